package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/fetch/progress"
	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/solve"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
)

var lockFlags struct {
	dir       string
	policy    string
	platforms stringList
	update    stringList
	updateAll bool
	check     bool
	dryRun    bool
	sign      string
	offline   bool
	scan      bool
	verbose   bool
	json      bool
}

var cmdLock = &Command{
	Name:  "lock",
	Usage: "lock [-C DIR] [--platform P]… [--update NAME]… [--update-all] [--check] [--scan] [--dry-run] [--sign KEY] [--policy FILE] [--offline] [-v] [--json]",
	Short: "resolve env.cue into env.lock",
	Long: `
Lock loads env.cue (with the site policy from --policy or $ENVLOCK_POLICY),
fetches the channels' repodata, solves every platform of the manifest in
parallel and writes env.lock atomically.

When env.lock exists, its packages are kept wherever they still satisfy
the manifest: a re-lock moves only what the manifest change requires.
--update NAME lets the named packages move to their newest versions;
--update-all resolves everything afresh. --platform re-solves only the
given platforms and keeps the others as locked.

--check writes nothing: it exits 0 when env.lock matches env.cue and is
complete for every platform, 1 with the reasons otherwise (CI runs this).
--dry-run resolves and prints what would change, without writing.
--sign KEY signs the new lock (env.lock.sig), as 'envlock sign' does.
--json prints the result for scripts (schemas/cli.cue #Lock): the mode,
whether the lock was written, its platforms, the changes, and for --check
whether it is up to date and why not; the exit codes stay the same.
-v reports what was read: CEP-16 shards and repodata.json files, how
many came from the network, the cache or local channels, and their bytes.

Channels serving CEP-16 sharded repodata (repodata_shards.msgpack.zst)
are read shard by shard: only the names the solve reaches are fetched.
Other channels' repodata.json is indexed once and decoded name by name.

--scan then fetches every locked package and wheel of the Linux platforms
into the package cache and reads their ELF files' GLIBC_x.y needs straight
from the archives, before anything is installed: a file needing a newer
glibc than the floor the lock promises (system: glibc in env.cue) is
printed, one line per file with its package or wheel, and the exit code
is 5. With --check, the existing lock is scanned (CI: 'lock --check
--scan' refuses a lock whose wheels will not run on the oldest nodes);
with --dry-run, the lock that would be written.

Example:

	envlock lock
	envlock lock --update numpy
	envlock lock --check
	envlock lock --check --scan
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&lockFlags.dir, "C", ".", "project directory")
		fs.StringVar(&lockFlags.policy, "policy", "", "site policy file (default $ENVLOCK_POLICY)")
		listVar(fs, &lockFlags.platforms, "platform", "re-solve only this platform (repeatable)")
		listVar(fs, &lockFlags.update, "update", "let this package move to its newest version (repeatable)")
		fs.BoolVar(&lockFlags.updateAll, "update-all", false, "resolve everything afresh")
		fs.BoolVar(&lockFlags.check, "check", false, "exit 1 if env.lock is stale or incomplete; write nothing")
		fs.BoolVar(&lockFlags.dryRun, "dry-run", false, "print what would change; write nothing")
		fs.StringVar(&lockFlags.sign, "sign", "", "sign the lock with this private key")
		fs.BoolVar(&lockFlags.offline, "offline", false, "use only cached repodata")
		fs.BoolVar(&lockFlags.scan, "scan", false, "fetch the locked artifacts and check their ELF files against the glibc floor (exit 5 when one needs more)")
		fs.BoolVar(&lockFlags.verbose, "v", false, "report the repodata read (shards, bytes, network or cache)")
		fs.BoolVar(&lockFlags.json, "json", false, "print the result as JSON (schemas/cli.cue #Lock)")
	},
	Run: runLock,
}

func runLock(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected arguments %q", args)
	}
	if lockFlags.json && lockFlags.scan {
		return usagef("--json does not combine with --scan yet")
	}
	dir := abs(env, lockFlags.dir)
	m, err := loadProject(ctx, env, lockFlags.dir, lockFlags.policy)
	if err != nil {
		return err
	}
	lockPath := filepath.Join(dir, lockfile.FileName)
	prev, _, err := lockfile.Read(lockPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if errors.Is(err, os.ErrNotExist) {
		prev = nil
	}
	if lockFlags.check {
		if prev == nil {
			if lockFlags.json {
				writeJSON(env.Stdout, jsonLock{Lock: lockPath, Mode: "check", Platforms: []string{}, UpToDate: new(false), Problems: []string{"the lock does not exist"}, Changes: []jsonChange{}})
			}
			return &exitError{code: exitFail, msg: fmt.Sprintf("%s does not exist; run 'envlock lock'", lockPath)}
		}
		if err := lock.Check(m, prev); err != nil {
			if lockFlags.json {
				writeJSON(env.Stdout, jsonLock{Lock: lockPath, Mode: "check", Platforms: platformNames(prev), UpToDate: new(false), Problems: problemLines(err), Changes: []jsonChange{}})
			}
			return &exitError{code: exitFail, msg: fmt.Sprintf("%v\nRun 'envlock lock' to update it.", err)}
		}
		if lockFlags.json {
			return writeJSON(env.Stdout, jsonLock{Lock: lockPath, Mode: "check", Platforms: platformNames(prev), UpToDate: new(true), Changes: []jsonChange{}})
		}
		fmt.Fprintf(env.Stdout, "%s is up to date (%s)\n", lockfile.FileName, plural(len(prev.Platforms), "platform", "platforms"))
		if lockFlags.scan {
			return scanLock(ctx, env, prev, lockPath, lockFlags.offline)
		}
		return nil
	}
	var platforms []platform.Platform
	for _, s := range lockFlags.platforms {
		p, err := platform.Parse(s)
		if err != nil {
			return usagef("%v", err)
		}
		platforms = append(platforms, p)
	}
	l, err := resolveProject(ctx, env, lockRun{
		dir:       dir,
		m:         m,
		prev:      prev,
		platforms: platforms,
		update:    lockFlags.update,
		updateAll: lockFlags.updateAll,
		offline:   lockFlags.offline,
		verbose:   lockFlags.verbose,
	})
	if err != nil {
		return err
	}
	if lockFlags.dryRun && lockFlags.json {
		return writeJSON(env.Stdout, jsonLock{Lock: lockPath, Mode: "dry-run", Platforms: platformNames(l), Changes: changesJSON(lock.Diff(prev, l))})
	}
	if lockFlags.dryRun {
		if err := lock.WriteDiff(env.Stdout, lock.Diff(prev, l)); err != nil || !lockFlags.scan {
			return err
		}
		return scanLock(ctx, env, l, lockPath, lockFlags.offline)
	}
	if err := lockfile.Write(lockPath, l); err != nil {
		return err
	}
	changes := lock.Diff(prev, l)
	fmt.Fprintf(env.Stderr, "wrote %s: %s, %s\n", lockfile.FileName, plural(len(l.Platforms), "platform", "platforms"), plural(len(changes), "change", "changes"))
	if lockFlags.sign != "" {
		if err := signLock(env, abs(env, lockFlags.sign), lockPath); err != nil {
			return err
		}
	}
	if lockFlags.json {
		return writeJSON(env.Stdout, jsonLock{Lock: lockPath, Mode: "lock", Written: true, Platforms: platformNames(l), Changes: changesJSON(changes)})
	}
	if lockFlags.scan {
		return scanLock(ctx, env, l, lockPath, lockFlags.offline)
	}
	return nil
}

// A lockRun is what one resolution of a project needs.
type lockRun struct {
	dir       string
	m         *spec.Manifest
	prev      *lockfile.Lock // nil for a first lock
	platforms []platform.Platform
	update    []string
	updateAll bool
	offline   bool
	verbose   bool
}

// resolveProject resolves r's manifest, keeping r.prev's packages wherever
// they still fit, and explains an unsatisfiable request on stderr.
func resolveProject(ctx context.Context, env *Env, r lockRun) (*lockfile.Lock, error) {
	chans, index, gw, err := manifestIndex(env, r.dir, r.m, r.offline)
	if err != nil {
		return nil, err
	}
	defer gw.Close()
	var locked []lockfile.Channel
	for i, c := range chans {
		locked = append(locked, lockfile.Channel{Name: r.m.Channels[i], URL: lockURL(r.dir, c), Priority: i})
	}
	tty := isTerminalWriter(env.Stderr)
	l, err := lock.Resolve(ctx, r.m, lock.Options{
		Channels:  locked,
		Index:     index,
		Previous:  r.prev,
		Update:    r.update,
		UpdateAll: r.updateAll,
		Platforms: r.platforms,
		PyPI:      newPyPI(env, r.dir, r.m, r.offline),
		Progress: func(p platform.Platform, n int) {
			if tty {
				fmt.Fprintf(env.Stderr, "locked %s: %d packages\n", p, n)
			}
		},
		Note: func(s string) { fmt.Fprintln(env.Stderr, "note: "+s) },
	})
	if r.verbose {
		writeFetchReport(env.Stderr, gw.Stats())
	}
	if err != nil {
		return nil, explainLockError(env, err)
	}
	return l, nil
}

// explainLockError prints a solver's explanation per platform.
func explainLockError(env *Env, err error) error {
	var pe *lock.PlatformError
	var ue *solve.UnsatError
	if errors.As(err, &pe) && errors.As(err, &ue) {
		var b strings.Builder
		for _, e := range unwrapAll(err) {
			var pe *lock.PlatformError
			var ue *solve.UnsatError
			if errors.As(e, &pe) && errors.As(e, &ue) {
				fmt.Fprintf(&b, "cannot solve env.cue for %s:\n%s\n", pe.Platform, ue.Explain())
			} else {
				fmt.Fprintf(&b, "%v\n", e)
			}
		}
		fmt.Fprint(env.Stderr, b.String())
		return &exitError{code: exitFail}
	}
	return err
}

// problemLines splits a stale lock's explanation into its reasons.
func problemLines(err error) []string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		if l != "" && !strings.HasSuffix(l, ":") {
			out = append(out, l)
		}
	}
	return out
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// loadProject loads env.cue from the project directory as the user gave
// it (so error positions read as typed), printing manifest errors.
func loadProject(ctx context.Context, env *Env, dir, policy string) (*spec.Manifest, error) {
	m, err := loadManifest(ctx, env, dir, policy)
	switch {
	case errors.Is(err, spec.ErrNoManifest):
		return nil, withHint(err, "create one with 'envlock init' or 'envlock import environment.yml'")
	case err != nil:
		return nil, manifestError(env, err)
	}
	return m, nil
}

// lockURL is how a channel's URL is written in the lock: a local channel
// inside the project directory is written relative to it ("./channel"),
// so the lock is the same wherever the project is checked out; installs
// resolve it against the lock's directory.
func lockURL(projectDir string, c channel.Channel) string {
	if !c.IsLocal() {
		return c.URL
	}
	rel, err := filepath.Rel(projectDir, c.Dir())
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return c.URL
	}
	return "./" + filepath.ToSlash(rel)
}

// manifestIndex resolves the manifest's channels (relative paths against
// the project directory) and returns the solver's input for each
// platform, read name by name through one gateway (CEP-16 shards where
// served, else repodata.json indexed once).
func manifestIndex(env *Env, projectDir string, m *spec.Manifest, offline bool) ([]channel.Channel, lock.IndexSource, *channel.Gateway, error) {
	chans, err := parseChannels(env, m.Channels, projectDir)
	if err != nil {
		return nil, nil, nil, err
	}
	gw := channel.NewGateway(newClient(env, offline))
	gw.Rewrite = func(c channel.Channel, r *repodata.Record) {
		if u := lockURL(projectDir, c); u != c.URL && r.Channel == c.URL {
			r.Channel = u
			r.URL = u + strings.TrimPrefix(r.URL, c.URL)
		}
	}
	return chans, func(ctx context.Context, p platform.Platform, roots []string) (solve.Index, error) {
		ix, err := gw.Index(ctx, chans, p)
		if err != nil {
			return nil, err
		}
		if err := ix.Prefetch(ctx, roots); err != nil {
			return nil, err
		}
		return ix, nil
	}, gw, nil
}

// writeFetchReport says what the lock read, for -v.
func writeFetchReport(w io.Writer, st channel.Stats) {
	if n := st.ShardIndexesNetwork + st.ShardIndexesCache + st.ShardIndexesLocal; n > 0 {
		fmt.Fprintf(w, "shard indexes: %d from the network (%s), %d from the cache (%s), %d local\n",
			st.ShardIndexesNetwork, progress.Bytes(st.ShardIndexBytesNetwork), st.ShardIndexesCache, progress.Bytes(st.ShardIndexBytesCache), st.ShardIndexesLocal)
	}
	if n := st.ShardsNetwork + st.ShardsCache + st.ShardsLocal; n > 0 {
		fmt.Fprintf(w, "shards: %d from the network (%s), %d from the cache (%s), %d local (%s)\n",
			st.ShardsNetwork, progress.Bytes(st.ShardBytesNetwork), st.ShardsCache, progress.Bytes(st.ShardBytesCache), st.ShardsLocal, progress.Bytes(st.ShardBytesLocal))
	}
	if n := st.RepodataNetwork + st.RepodataCache + st.RepodataLocal; n > 0 {
		fmt.Fprintf(w, "repodata.json: %d from the network (%s), %d from the cache (%s), %d local (%s); %d records indexed\n",
			st.RepodataNetwork, progress.Bytes(st.RepodataBytesNetwork), st.RepodataCache, progress.Bytes(st.RepodataBytesCache), st.RepodataLocal, progress.Bytes(st.RepodataBytesLocal), st.RepodataRecords)
	}
	fmt.Fprintf(w, "records decoded: %d, of %d package names (counted per subdir)\n", st.Records, st.Names)
}

func isTerminalWriter(w any) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

var diffFlags struct{ json bool }

var cmdDiff = &Command{
	Name:  "diff",
	Usage: "diff [--json] OLD.lock NEW.lock",
	Short: "show the packages that differ between two locks",
	Long: `
Diff prints, per platform, the packages added (+), removed (-) and changed
(~) between two lock files, as a table; --json prints the rows for
scripts (schemas/cli.cue #Changes).

Example:

	git show HEAD~1:env.lock > old.lock && envlock diff old.lock env.lock
`,
	Run: func(ctx context.Context, env *Env, args []string) error {
		if len(args) != 2 {
			return usagef("want OLD.lock and NEW.lock")
		}
		var locks [2]*lockfile.Lock
		for i, a := range args {
			l, _, err := lockfile.Read(abs(env, a))
			if err != nil {
				return err
			}
			locks[i] = l
		}
		changes := lock.Diff(locks[0], locks[1])
		if diffFlags.json {
			return writeJSON(env.Stdout, changesJSON(changes))
		}
		return lock.WriteDiff(env.Stdout, changes)
	},
	SetFlags: func(fs *flag.FlagSet) {
		fs.BoolVar(&diffFlags.json, "json", false, "print JSON (schemas/cli.cue #Changes)")
	},
}
