package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/envlock/envlock/fetch/bundle"
	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/install/link"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/spec/config"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/verify"
)

var installFlags struct {
	lock      string
	prefix    string
	platform  string
	pkgsDirs  stringList
	link      string
	force     bool
	foreign   bool
	noWait    bool
	offline   bool
	trust     trustFlags
	policy    string
	scripts   bool
	compile   bool // accepted, a no-op: compiling is the default
	noCompile bool
	bundle    string
	from      string // oci://…, see pull.go

	noHostCheck bool
	noKernel    bool
	noSync      bool
	json        bool
}

var cmdInstall = &Command{
	Name:  "install",
	Usage: "install [--lock env.lock | --bundle FILE] [-p PATH | -n NAME] [--platform P] [--pkgs-dir DIR]… [--link hardlink|reflink|copy] [--key PUB]… [--force] [--replace-foreign] [--no-wait] [--offline] [--allow-scripts] [--no-compile] [--no-kernel] [--json]",
	Short: "replay a lock into an environment at PATH",
	Long: `
Install makes PATH hold exactly the packages env.lock pins for this
platform: it checks the lock against this host first (as 'envlock doctor'
does: glibc floor, __cuda and other virtual packages; --no-host-check
skips it, to install from a login node for compute nodes), then downloads
every package into the shared package cache (each checked against the
lock's sha256), extracts and links them into a staging directory beside
PATH, writes conda-meta so conda and mamba can use the environment, and
moves it into place. An interrupted install leaves PATH as it was; the
next run finishes or rolls back. Re-installing the same lock is a no-op.

The package cache is --pkgs-dir (repeatable; the first writable is used,
the others are read), else $ENVLOCK_PKGS_DIRS (colon-separated), else
pkgs_dirs from the configuration files ('envlock help config'), else
$XDG_CACHE_HOME/envlock/pkgs. Put it on group or scratch storage to spare
the home quota; a group-writable or setgid cache is shared with the group
(files 664, directories 2775, whatever the umask), and $ENVLOCK_PKGS_MODE
(octal, e.g. 660) forces the mode of what envlock writes there.

--link chooses how files get from the cache into PATH: hard links when
they share a file system (default, falling back to copies), reflinks
(copy-on-write clones, on one XFS or btrfs file system; otherwise copies,
with a note), or copies.

Who may sign the lock: --key PUB (or $ENVLOCK_TRUSTED_KEYS), keyless
signers given by --certificate-identity[-regexp] and
--certificate-oidc-issuer[-regexp] (checked offline against
--trusted-root), and the trust section of the site policy (--policy FILE
or $ENVLOCK_POLICY); when none of these names anyone, the trust section
of the env.cue beside the lock. When any is given, the lock must carry a valid
signature by one of them (env.lock.sigstore.json or env.lock.sig, see
'envlock verify-lock'), checked before anything is fetched.

With neither -p nor -n, PATH is the prefix env.cue sets (beside the
lock; a relative prefix is relative to env.cue's directory), for a
project with one environment: then 'envlock install', 'envlock verify',
'envlock run -- CMD' and the other commands that take -p need no flag.

PATH must not exist, be empty, or be an envlock environment; anything
else is refused unless --replace-foreign asks to delete and replace that
directory (the path is echoed). Installing a lock the environment
already holds checks it quickly (sizes and modification times against
the records, what 'envlock verify --quick' does) and, when anything
drifted, installs it again from the package cache, each cached package
checked against its paths.json first (an edit through a hard link changes
the cache too), naming the files it repaired: 'envlock install' repairs
what 'envlock verify' reports. --force installs again without looking.

One run at a time uses a PATH: a lock file beside it (.envlock-NAME.lock)
makes a second install or remove wait, saying so, or fail at once with
--no-wait. A run removes what interrupted runs left beside PATH.

--bundle FILE installs from an offline bundle made by 'envlock bundle':
the bundle's manifest, the lock's signature (with --key) and every package
are checked before anything is installed; packages go into the package
cache, and no network is touched.

Post-link scripts in packages are not run unless --allow-scripts; install
says which it skipped. The .py files of noarch python packages and of wheels are byte-compiled
with the environment's python, in parallel, before the environment is put
in place, and the .pyc files recorded (conda-meta, RECORD) so that verify
checks them, as pip and conda compile; --no-compile skips it (--compile,
the default, is accepted).

When env.cue sets kernel, install then writes the environment's Jupyter
kernel into the user's Jupyter data directory, as 'envlock kernel install'
does (--no-kernel skips it).

Progress goes to stderr: on a terminal, one display of bars for the
bytes fetched and the packages (conda packages and wheels) extracted and
linked, which overlap, erased when done; elsewhere (a batch job's log) a
line at most every 5 seconds, or every $ENVLOCK_PROGRESS_INTERVAL (30s,
1m). Install ends with one summary line: the packages and wheels,
their files, and what was fetched (nothing when all came from the cache).

--json prints the result on stdout for scripts (schemas/cli.cue #Install):
the prefix, whether it was already up to date, the packages, wheels and
files; progress and notes stay on stderr.

Example:

	envlock install -p /blue/mylab/envs/proj --pkgs-dir /blue/mylab/pkgs
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&installFlags.lock, "lock", lockfile.FileName, "lock file")
		fs.StringVar(&installFlags.bundle, "bundle", "", "install from an offline bundle (see 'envlock bundle'); no network")
		fs.StringVar(&installFlags.from, "from", "", "install from a registry: oci://HOST/REPO:TAG or @sha256:… (see 'envlock push')")
		prefixFlag(fs, &installFlags.prefix, "environment path (required)")
		fs.StringVar(&installFlags.platform, "platform", "", "platform to install (default: this host's)")
		listVar(fs, &installFlags.pkgsDirs, "pkgs-dir", "package cache directory (repeatable)")
		fs.StringVar(&installFlags.link, "link", "", "hardlink, reflink or copy (default: hardlink, else copy)")
		fs.BoolVar(&installFlags.force, "force", false, "reinstall an up-to-date environment, re-checking the cache")
		fs.BoolVar(&installFlags.foreign, "replace-foreign", false, "delete and replace a PATH that is not an envlock environment")
		fs.BoolVar(&installFlags.noWait, "no-wait", false, "fail instead of waiting when another envlock run uses PATH")
		fs.BoolVar(&installFlags.offline, "offline", false, "use only the package cache")
		installFlags.trust.set(fs)
		fs.StringVar(&installFlags.policy, "policy", "", "site policy `FILE` whose trust section says who may sign the lock (default $ENVLOCK_POLICY)")
		fs.BoolVar(&installFlags.scripts, "allow-scripts", false, "run packages' post-link scripts")
		fs.BoolVar(&installFlags.noHostCheck, "no-host-check", false, "install even if this host cannot run the lock (for other nodes)")
		fs.BoolVar(&installFlags.compile, "compile", false, "byte-compile .py files (the default; kept for old scripts)")
		fs.BoolVar(&installFlags.noCompile, "no-compile", false, "do not byte-compile noarch packages' and wheels' .py files")
		fs.BoolVar(&installFlags.noKernel, "no-kernel", false, "do not write the Jupyter kernel env.cue asks for")
		fs.BoolVar(&installFlags.noSync, "no-sync", false, "do not flush the environment to disk before it takes PATH's name (faster where a flush is slow; a power cut may then leave files empty; config key sync, $ENVLOCK_SYNC)")
		fs.BoolVar(&installFlags.json, "json", false, "print the result as JSON on stdout (schemas/cli.cue #Install)")
	},
	Run: runInstall,
}

func runInstall(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected arguments %q", args)
	}
	if installFlags.prefix == "" {
		return errNoPrefix
	}
	noSync := installFlags.noSync
	if v := env.Getenv("ENVLOCK_SYNC"); v != "" && !noSync {
		// config.Load checked it (a bad value stops every command).
		sync, err := config.ParseBool(v)
		if err != nil {
			return usagef("$ENVLOCK_SYNC: %v", err)
		}
		noSync = !sync
	}
	mode := link.Mode(cmp.Or(installFlags.link, env.Getenv("ENVLOCK_LINK_MODE")))
	switch mode {
	case link.Auto, link.Hardlink, link.Copy, link.Reflink:
	default:
		return usagef("--link must be hardlink, reflink or copy")
	}
	p := platform.Host()
	if installFlags.platform != "" {
		var err error
		if p, err = platform.Parse(installFlags.platform); err != nil {
			return usagef("%v", err)
		}
	}
	projectDir := ""
	if installFlags.bundle == "" {
		projectDir = filepath.Dir(abs(env, installFlags.lock))
	}
	trust, err := trustPolicy(env, &installFlags.trust, sitePolicyPath(env, installFlags.policy), projectDir)
	if err != nil {
		return err
	}
	c, err := openCache(env, installFlags.pkgsDirs)
	if err != nil {
		return err
	}
	checkSig := func(where string, sig, data []byte) error {
		if trust.IsEmpty() {
			return nil
		}
		signer, err := trust.Verify(sig, data)
		if err != nil {
			return &exitError{code: exitSignature, msg: fmt.Sprintf("%s: %v; nothing was installed", where, err)}
		}
		fmt.Fprintf(env.Stderr, "signature OK, signed by %s\n", signer)
		return nil
	}
	var (
		l        *lockfile.Lock
		data     []byte
		lockPath string
		offline  = installFlags.offline
		lockSig  []byte // the lock's signature, kept in the prefix
	)
	if installFlags.bundle != "" {
		// Everything comes from the bundle: its artifacts stream into the
		// package cache, checked against the lock, and nothing is fetched.
		bpath := abs(env, installFlags.bundle)
		f, err := os.Open(bpath)
		if err != nil {
			return err
		}
		contents, err := bundle.Read(ctx, f, c, string(p), func(ct *bundle.Contents) error {
			if ct.Lock.Platform(string(p)) == nil {
				return fmt.Errorf("%s: the bundled lock has no packages for %s", bpath, p)
			}
			return checkSig(bpath, ct.Signature, ct.LockData)
		})
		f.Close()
		if err != nil {
			return err
		}
		l, data, lockPath, offline = contents.Lock, contents.LockData, bpath, true
		lockSig = contents.Signature
	} else if installFlags.from != "" {
		if l, data, lockSig, err = installFrom(ctx, env, installFlags.from, c, string(p), trust.Keys, checkSig); err != nil {
			return err
		}
		lockPath, offline = installFlags.from, true
	} else {
		lockPath = abs(env, installFlags.lock)
		if l, data, err = lockfile.Read(lockPath); err != nil {
			return err
		}
		sig, err := sign.ReadSignature(lockPath)
		if err != nil {
			return err
		}
		lockSig = sig
		if err := checkSig(lockPath, sig, data); err != nil {
			return err
		}
	}
	sigStatus := "not checked"
	if !trust.IsEmpty() {
		sigStatus = "verified"
	}
	pl := l.Platform(string(p))
	if pl == nil {
		return withHint(fmt.Errorf("%s has no packages for this platform (%s); it was locked for %s", filepath.Base(lockPath), p, strings.Join(l.PlatformNames(), ", ")),
			"add %q to platforms in env.cue and run 'envlock lock', or pass --platform", string(p))
	}
	if p == platform.Host() && !installFlags.noHostCheck {
		// What 'envlock doctor' checks, before anything is downloaded.
		h, err := probe(ctx, env)
		if err != nil {
			return err
		}
		if d := verify.Doctor(l, string(p), h); !d.OK {
			var b strings.Builder
			printChecks(&b, d.Checks)
			fmt.Fprint(env.Stderr, b.String())
			return withHint(fmt.Errorf("%s cannot run on this host; nothing was installed", filepath.Base(lockPath)),
				"apply a fix above, or pass --no-host-check to install for other nodes than this one")
		}
	}
	client := newClient(env, offline)
	var total int64
	for _, pk := range pl.Packages {
		total += pk.Size
	}
	for _, w := range pl.PyPI {
		total += w.Size
	}
	interval := 5 * time.Second
	if v := env.Getenv("ENVLOCK_PROGRESS_INTERVAL"); v != "" {
		if interval, err = time.ParseDuration(v); err != nil || interval < 0 {
			return fmt.Errorf("$ENVLOCK_PROGRESS_INTERVAL=%q: want a duration such as 30s or 1m", v)
		}
	}
	rep := newInstallDisplay(env.Stderr, total, len(pl.Packages)+len(pl.PyPI), interval)
	prefix := abs(env, installFlags.prefix)
	iopts := install.Options{
		Lock: l, LockData: data, LockPath: lockPath, Platform: string(p), Prefix: prefix,
		Fetcher:        &download.Fetcher{Client: client, Cache: c, Parallel: 4, BaseDir: filepath.Dir(lockPath), Progress: rep},
		Link:           mode,
		Reinstall:      installFlags.force,
		ReplaceForeign: installFlags.foreign,
		NoWait:         installFlags.noWait,
		AllowScripts:   installFlags.scripts,
		NoCompile:      installFlags.noCompile,
		NoSync:         noSync,
		Signature:      sigStatus,
		LockSig:        lockSig,
		Log:            func(s string) { rep.println("note: " + s) },
		Progress:       rep.stage,
	}
	res, err := install.Apply(ctx, iopts)
	var repaired []verify.FileIssue
	if err == nil && res.UpToDate {
		// Up to date with the lock is not yet as installed: a quick check
		// (sizes and mtimes, verify --quick's cost) finds what drifted,
		// and installing again repairs it from the cache.
		var drifted bool
		if repaired, drifted, err = quickDrift(ctx, prefix, l, data, lockPath, string(p)); err == nil && drifted {
			fmt.Fprintf(env.Stderr, "%s has drifted from %s; repairing it from the package cache\n", prefix, filepath.Base(lockPath))
			iopts.Reinstall = true
			res, err = install.Apply(ctx, iopts)
		}
	}
	if err != nil {
		// The error (or "interrupted") goes on a clean line, not after
		// the bar.
		rep.Abort()
		if errors.Is(err, install.ErrNotEnvlockPrefix) {
			return withHint(err, "choose another path, or pass --replace-foreign to delete and replace %s", prefix)
		}
		if errors.Is(err, install.ErrBusy) {
			return withHint(err, "wait for the other run to finish, or run again without --no-wait to wait for it")
		}
		return err
	}
	// The kernel env.cue asks for is (re)written even when the
	// environment was up to date, so that a lost kernel comes back.
	writeKernel := func() error {
		if l.Kernel == nil || installFlags.noKernel {
			return nil
		}
		if p != platform.Host() {
			fmt.Fprintf(env.Stderr, "note: not writing the Jupyter kernel: the environment is for %s, not this host\n", p)
			return nil
		}
		return installLockKernel(env, prefix, l)
	}
	result := jsonInstall{Prefix: prefix, Lock: lockPath, Platform: string(p), UpToDate: res.UpToDate,
		Packages: res.Packages, Wheels: len(pl.PyPI), Files: res.Files, Signature: sigStatus}
	if res.UpToDate {
		fmt.Fprintf(env.Stderr, "%s is up to date with %s (%s)\n", prefix, filepath.Base(lockPath), packageCount(res.Packages, len(pl.PyPI)))
		if err := writeKernel(); err != nil || !installFlags.json {
			return err
		}
		return writeJSON(env.Stdout, result)
	}
	rep.Finish()
	for _, w := range res.Warnings {
		fmt.Fprintln(env.Stderr, "warning: "+w)
	}
	for _, s := range res.Skipped {
		fmt.Fprintln(env.Stderr, "skipped post-link script (use --allow-scripts to run it): "+s)
	}
	for _, s := range res.Ran {
		fmt.Fprintln(env.Stderr, "ran post-link script: "+s)
	}
	if res.Messages != "" {
		fmt.Fprint(env.Stderr, res.Messages)
	}
	if len(repaired) > 0 {
		for i, fi := range repaired {
			if i == maxRepairLines {
				fmt.Fprintf(env.Stderr, "repaired  … and %d more\n", len(repaired)-i)
				break
			}
			fmt.Fprintf(env.Stderr, "repaired  %-9s %s (%s)\n", fi.Kind, fi.Path, fi.Package)
		}
		fmt.Fprintf(env.Stderr, "repaired %s: reinstalled %s (%s files) into %s\n", plural(len(repaired), "drifted file", "drifted files"), packageCount(res.Packages, len(pl.PyPI)), thousands(res.Files), prefix)
	} else {
		fetched := rep.summary()
		if fetched != "" {
			fetched = "; " + fetched
		}
		fmt.Fprintf(env.Stderr, "installed %s (%s files%s) into %s\n", packageCount(res.Packages, len(pl.PyPI)), thousands(res.Files), fetched, prefix)
	}
	if err := writeKernel(); err != nil || !installFlags.json {
		return err
	}
	return writeJSON(env.Stdout, result)
}

// maxRepairLines bounds the repaired files install names one by one.
const maxRepairLines = 20

// quickDrift checks an up-to-date prefix as 'envlock verify --quick'
// does (sizes and mtimes against the records, no hashing, no ELF scan)
// and says whether it drifted, with the files that did. A package or
// wheel gone or changed whole counts as drift with its own entry.
func quickDrift(ctx context.Context, prefix string, l *lockfile.Lock, data []byte, lockPath, plat string) ([]verify.FileIssue, bool, error) {
	r, err := verify.Prefix(ctx, verify.Options{Prefix: prefix, Lock: l, LockData: data, LockPath: lockPath, Platform: plat, Quick: true})
	if err != nil {
		return nil, false, fmt.Errorf("checking %s for drift: %w", prefix, err)
	}
	if r.Status != verify.StatusDrift {
		return nil, false, nil
	}
	issues := append([]verify.FileIssue(nil), r.Files.Issues...)
	for _, pk := range r.Packages.Missing {
		issues = append(issues, verify.FileIssue{Path: "conda-meta", Kind: "missing", Package: pk.Name + "-" + pk.Version + "-" + pk.Build})
	}
	for _, pk := range r.Packages.Extra {
		issues = append(issues, verify.FileIssue{Path: "conda-meta", Kind: "extra", Package: pk.Name + "-" + pk.Version + "-" + pk.Build})
	}
	for _, d := range r.PyPI.Untracked {
		issues = append(issues, verify.FileIssue{Path: d.Path, Kind: "untracked", Package: "pypi:" + d.Name + "==" + d.Version + ", installed by " + d.Installer})
	}
	for _, d := range r.PyPI.Missing {
		issues = append(issues, verify.FileIssue{Path: "site-packages", Kind: "missing", Package: "pypi:" + d.Name + "==" + d.Version})
	}
	return issues, true, nil
}

// openCache opens the package cache from --pkgs-dir, $ENVLOCK_PKGS_DIRS or
// the default, with $ENVLOCK_PKGS_MODE.
func openCache(env *Env, given []string) (*cache.Cache, error) {
	dirs := append([]string(nil), given...)
	for i := range dirs {
		dirs[i] = abs(env, dirs[i])
	}
	if len(dirs) == 0 {
		dirs = cache.DefaultDirs(env.Getenv)
	}
	var copts cache.Options
	if m := env.Getenv("ENVLOCK_PKGS_MODE"); m != "" {
		v, err := strconv.ParseUint(m, 8, 32)
		if err != nil || v&^0o777 != 0 {
			return nil, usagef("ENVLOCK_PKGS_MODE=%q is not an octal file mode such as 664", m)
		}
		copts.Mode = os.FileMode(v)
	}
	return cache.Open(dirs, copts)
}

var removeFlags struct {
	prefix string
	noWait bool
	json   bool
}

var cmdRemove = &Command{
	Name:  "remove",
	Usage: "remove [-p PATH | -n NAME] [--no-wait] [--json] | remove [drop's flags] NAME…",
	Short: "delete an environment envlock installed, or drop dependencies",
	Long: `
Remove deletes the environment at PATH, which must have been made by
'envlock install' (it has conda-meta/envlock.json); anything else is
refused, so a typo cannot delete another directory. The package cache is
kept. Like install, remove waits for another run using PATH (--no-wait:
fails instead). --json prints what was removed for scripts (schemas/cli.cue
#Remove).

Given package names and no -p or -n, remove is 'envlock drop NAME…', as
in pixi and uv: it takes them out of env.cue and re-locks (with drop's
-C, --pypi, --platform, --no-lock, --offline, --policy and --json).

Example:

	envlock remove -p /blue/mylab/envs/proj
`,
	SetFlags: func(fs *flag.FlagSet) {
		prefixFlag(fs, &removeFlags.prefix, "environment path (required)")
		fs.BoolVar(&removeFlags.noWait, "no-wait", false, "fail instead of waiting when another envlock run uses PATH")
		fs.BoolVar(&removeFlags.json, "json", false, "print what was removed as JSON (schemas/cli.cue #Remove; with NAME…, drop's #Lock)")
		// remove NAME… is drop NAME…: the same flags, but --json above.
		editFlagsWithout(fs, "with NAME…: ")
	},
	Run: func(ctx context.Context, env *Env, args []string) error {
		if len(args) != 0 {
			if removeFlags.prefix != "" {
				return usagef("remove NAME… takes dependencies out of env.cue; to delete an environment give -p PATH or -n NAME and no names")
			}
			editFlags.json = removeFlags.json
			return runEdit(ctx, env, args, false)
		}
		if removeFlags.prefix == "" {
			return usagef("want -p PATH and no arguments")
		}
		prefix := abs(env, removeFlags.prefix)
		// What the environment was, read before it goes; Remove itself
		// refuses a directory without the marker.
		res := jsonRemove{Prefix: prefix}
		if m, err := install.ReadMarker(prefix); err == nil {
			res.Name, res.Lock, res.LockSHA256, res.Platform = m.Name, m.Lock, m.LockHash, m.Platform
			res.Packages, res.Wheels = len(m.Packages), len(m.PyPI)
		}
		err := install.Remove(ctx, prefix, install.RemoveOptions{NoWait: removeFlags.noWait, Log: func(s string) { fmt.Fprintln(env.Stderr, "note: "+s) }})
		if errors.Is(err, install.ErrBusy) {
			return withHint(err, "wait for the other run to finish, or run again without --no-wait to wait for it")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "removed %s\n", prefix)
		if removeFlags.json {
			return writeJSON(env.Stdout, res)
		}
		return nil
	},
}

// packageCount says how many conda packages and wheels: "4 packages",
// "1 conda package and 32 wheels".
func packageCount(pkgs, wheels int) string {
	if wheels == 0 {
		return count(pkgs, "package")
	}
	return count(pkgs, "conda package") + " and " + count(wheels, "wheel")
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return thousands(n) + " " + what + "s"
}

// thousands formats n with a comma between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
