package install

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/install/extract"
	"github.com/envlock/envlock/install/link"
	"github.com/envlock/envlock/install/pkginfo"
	"github.com/envlock/envlock/lock/lockfile"
)

// MarkerFile, relative to conda-meta, marks an envlock prefix and
// records which lock it holds. It sits in a directory of its own because
// conda, conda-pack and rattler read every conda-meta/*.json as a package
// record.
const MarkerFile = "envlock/envlock.json"

// LockCopyFile, relative to conda-meta, holds the bytes of the lock
// installed; its signature, when signed, is beside it with ".sig" added.
const LockCopyFile = "envlock/env.lock"

// LegacyMarkerFile and LegacyLockCopyFile are where envlock before 0.x
// kept the marker and the lock copy (conda-meta/envlock.json, which conda
// mistook for a package record); they are still read.
const (
	LegacyMarkerFile   = "envlock.json"
	LegacyLockCopyFile = "envlock.lock"
)

// Marker is the content of conda-meta/envlock/envlock.json.
type Marker struct {
	Lock      string    `json:"lock"`        // path of the lock installed
	LockHash  string    `json:"lock_sha256"` // sha256 of its bytes
	Name      string    `json:"name"`
	Platform  string    `json:"platform"`
	Signature string    `json:"signature"` // "verified by <fingerprint>", "unsigned", "not checked"
	Installed time.Time `json:"installed"`
	Packages  []string  `json:"packages"` // name-version-build
	// PyPI are the wheels installed, as name==version.
	PyPI []string `json:"pypi,omitempty"`
	// Env are the variables of the lock's manifest, set by "envlock run"
	// and shell hooks.
	Env map[string]string `json:"env,omitempty"`
	// Kernel is the lock's Jupyter kernel, nil for none; "envlock kernel
	// install" uses it for the kernel's defaults.
	Kernel *lockfile.Kernel `json:"kernel,omitempty"`
	// Foreign marks a marker OpenMarker made up for a conda environment
	// envlock did not install: no lock, no signature, no variables.
	Foreign bool `json:"-"`
}

// Options adjust Apply.
type Options struct {
	// Lock and its bytes; LockPath is recorded in the marker.
	Lock     *lockfile.Lock
	LockData []byte
	LockPath string
	// Platform to install (one of the lock's).
	Platform string
	// Prefix is the target path (absolute).
	Prefix string
	// Fetcher fills the cache.
	Fetcher *download.Fetcher
	// Link chooses hardlinks or copies.
	Link link.Mode
	// ReplaceForeign replaces a target that exists, is not empty and is
	// not an envlock prefix: the user asked for exactly that, for that
	// path. Nothing else makes envlock delete a directory it did not make.
	ReplaceForeign bool
	// NoWait fails with ErrBusy instead of waiting when another envlock
	// run holds the prefix's lock.
	NoWait bool
	// Reinstall installs even when the prefix is up to date with the
	// lock, and checks each cached extraction against its paths.json
	// first, extracting afresh any whose files were changed (an edit of
	// a hard-linked file in an environment changes the cache's copy too).
	// It repairs an environment that verify reports drifted.
	Reinstall bool
	// AllowScripts runs packages' post-link scripts (bin/.NAME-post-link.sh)
	// once the environment is in place; otherwise they are reported as
	// skipped.
	AllowScripts bool
	// NoCompile skips byte-compiling. Otherwise the .py files of noarch
	// python packages and of wheels are compiled with the environment's
	// python in the staging directory, in parallel, as pip and conda do,
	// and the .pyc files recorded (conda-meta pyc_file, RECORD) so that
	// verify checks them and an import with bytecode writing on finds
	// them valid.
	NoCompile bool
	// NoSync skips flushing the new environment to disk before it takes
	// the prefix's name (one syncfs of its file system, started early in
	// a cold install): faster where a flush is slow, as on a busy network
	// home directory, but a power cut soon after may leave files empty. A
	// killed install still leaves nothing half-done either way.
	NoSync bool
	// Signature describes the signature check done by the caller.
	Signature string
	// LockSig is the lock's signature (nil when unsigned); it is kept in
	// conda-meta beside the copy of the lock.
	LockSig []byte
	// Log receives one line per notable event (fallbacks, warnings),
	// one call at a time though workers run in parallel.
	Log func(string)
	// Now is the clock (tests).
	Now func() time.Time
	// Trace, when set, hears each package's "fetch", "fetched",
	// "extracted" and "link" events, and the install's "stage" (the
	// staging directory exists), "sync" and "synced" (before and after
	// the staging directory is written to disk), "journal" (the swap
	// journal is written), "swap" (the old prefix is moved aside) and
	// "swapped" (the new one is in place) events, with pkg "" (tests,
	// benchmarks, the kill tests that stop a run at each of them).
	Trace func(event, pkg string)
	// Progress, when set, hears how far the install has come, for a
	// display: stage "extract" counts the conda packages and wheels
	// whose tree is ready in the package cache, "link" those linked into
	// the staging directory, each as done of total (the platform's
	// packages plus wheels); "compile" (0 of 0) says byte-compiling
	// began. Fetched bytes go to Fetcher.Progress. It is called from
	// several goroutines, one call at a time for a stage, and a stage's
	// done rises by one from call to call; "link" starts again at 1 when
	// packages that install the same path are relinked one by one.
	Progress func(stage string, done, total int64)
}

func (o *Options) trace(event, pkg string) {
	if o.Trace != nil {
		o.Trace(event, pkg)
	}
}

func (o *Options) progress(stage string, done, total int) {
	if o.Progress != nil {
		o.Progress(stage, int64(done), int64(total))
	}
}

// counter counts one Progress stage. Workers finish in parallel; the
// lock held across the call makes the counts reach Progress in order,
// so a display never sees one go back.
type counter struct {
	mu    sync.Mutex
	n     int
	stage string
	total int
	o     *Options
}

func (c *counter) step() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.o.progress(c.stage, c.n, c.total)
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = 0
}

// Result describes an install.
type Result struct {
	Packages  int
	Files     int
	UpToDate  bool
	Skipped   []string // post-link scripts not run
	Ran       []string // post-link scripts run
	Messages  string   // what scripts wrote to $PREFIX/.messages.txt
	Warnings  []string
	Hardlinks int
	// Copies counts files copied, Reflinks those of them cloned
	// (--link reflink).
	Copies   int
	Reflinks int
	// Compiled counts the .pyc files byte-compiled and recorded.
	Compiled int
}

// ErrNotEnvlockPrefix is wrapped when the target exists and was not made
// by envlock.
var ErrNotEnvlockPrefix = errors.New("the target exists and is not an envlock environment")

// ReadMarker reads the marker of a prefix (conda-meta/envlock/envlock.json,
// or conda-meta/envlock.json where an older envlock installed it).
func ReadMarker(prefix string) (*Marker, error) {
	p := filepath.Join(prefix, "conda-meta", MarkerFile)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		p = filepath.Join(prefix, "conda-meta", LegacyMarkerFile)
		if d, lerr := os.ReadFile(p); lerr == nil {
			data, err = d, nil
		}
	}
	if err != nil {
		return nil, err
	}
	var m Marker
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	return &m, nil
}

// OpenMarker is ReadMarker for commands that work on any conda
// environment (kernel, module): for a conda environment envlock did not
// install (conda-meta without a marker) it returns a marker made from
// what the prefix holds, with Foreign set, the directory's name as Name
// and its conda-meta records as Packages; a directory that is no conda
// environment gets an error that says so and how to make one.
func OpenMarker(prefix string) (*Marker, error) {
	m, err := ReadMarker(prefix)
	if !errors.Is(err, fs.ErrNotExist) {
		return m, err
	}
	meta := filepath.Join(prefix, "conda-meta")
	if fi, serr := os.Stat(meta); serr != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a conda environment (no conda-meta/); make one with 'envlock install -p %s'", prefix, prefix)
	}
	recs, err := filepath.Glob(filepath.Join(meta, "*.json"))
	if err != nil {
		return nil, err
	}
	m = &Marker{Name: filepath.Base(prefix), Foreign: true}
	for _, r := range recs {
		if b := filepath.Base(r); b != LegacyMarkerFile {
			m.Packages = append(m.Packages, strings.TrimSuffix(b, ".json"))
		}
	}
	sort.Strings(m.Packages)
	return m, nil
}

// Apply installs the lock's platform into the prefix.
func Apply(ctx context.Context, o Options) (*Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = func(string) {}
	} else {
		log, mu := o.Log, new(sync.Mutex)
		o.Log = func(s string) {
			mu.Lock()
			defer mu.Unlock()
			log(s)
		}
	}
	pl := o.Lock.Platform(o.Platform)
	if pl == nil {
		return nil, fmt.Errorf("the lock has no platform %s (it has %s)", o.Platform, platforms(o.Lock))
	}
	prefix := filepath.Clean(o.Prefix)
	// A target envlock will refuse is refused before anything, even the
	// lock file beside it, is made.
	if _, err := checkTarget(prefix, o, pl, false); err != nil {
		return nil, err
	}
	// One run at a time per prefix; the lock held, whatever killed runs
	// left beside the prefix is theirs to remove.
	st, err := openSite(ctx, prefix, o.NoWait, o.Log)
	if err != nil {
		return nil, err
	}
	defer st.close()
	if err := st.recover(o.Log); err != nil {
		return nil, err
	}
	if upToDate, err := checkTarget(prefix, o, pl, true); err != nil || upToDate {
		if err != nil {
			return nil, err
		}
		return &Result{UpToDate: true, Packages: len(pl.Packages)}, nil
	}

	// Downloads, extraction into the cache and linking into the staging
	// directory overlap: each package is fetched, extracted and linked by
	// a worker as soon as one is free, packages side by side. A path two
	// packages install (a clobber, a file where another package has a
	// directory) stops that: the stage is emptied and the packages are
	// linked again one by one in dependency order, so that the later
	// package wins as in conda. Nothing outside the cache and the staging
	// directory is touched before all of them succeeded.
	stageName, err := st.newStage()
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			st.root.RemoveAll(stageName)
		}
	}()
	o.trace("stage", "")

	pyver, sitePackages := pythonOf(pl)
	if err := checkSitePackages(sitePackages); err != nil {
		return nil, err
	}
	// Every file of the new prefix is written through this root: no
	// package path or symlink can lead a write out of the staging
	// directory.
	stageRoot, err := st.root.OpenRoot(stageName)
	if err != nil {
		return nil, err
	}
	defer stageRoot.Close()
	if err := stageRoot.Mkdir("conda-meta", 0o755); err != nil {
		return nil, err
	}
	meta, err := stageRoot.OpenRoot("conda-meta")
	if err != nil {
		return nil, err
	}
	defer meta.Close()

	n := len(pl.Packages)
	artifacts := n + len(pl.PyPI) // what the Progress stages count
	extractedN := counter{stage: "extract", total: artifacts, o: &o}
	linkedN := counter{stage: "link", total: artifacts, o: &o}
	// Packages extracted into the cache by this install, not found there:
	// write-back of their files starts early (see writeback).
	var freshN atomic.Int64
	var wb *writeback // nil: kick does nothing
	if !o.NoSync {
		wb = startWriteback(stageRoot, o.trace)
		defer wb.close()
	}
	// The wheels are fetched, unpacked and planned while the conda
	// packages are linked, and linked after them.
	wr := startWheels(ctx, o, stageRoot, prefix, pl, pyver, sitePackages, func(stage string) {
		switch stage {
		case "extract":
			extractedN.step()
		case "link":
			linkedN.step()
		}
	})
	defer wr.close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	paths := make([]string, n)
	dirs := make([]string, n)
	infos := make([]*pkginfo.Info, n)
	links := make([]*link.Result, n)
	errs := make([]error, n)
	ready := make([]chan struct{}, n)
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	var conflict atomic.Bool // a path two packages install: link one by one
	linkOne := func(i int, exclusive bool) (*link.Result, error) {
		pk := pl.Packages[i]
		o.trace("link", pk.Name)
		lr, err := link.Package(dirs[i], infos[i], link.Options{Stage: stageRoot, Prefix: prefix, Mode: o.Link, PythonVersion: pyver, SitePackages: sitePackages, Exclusive: exclusive})
		if err != nil {
			return nil, fmt.Errorf("%s-%s-%s: %w", pk.Name, pk.Version, pk.Build, err)
		}
		linkedN.step()
		return lr, nil
	}
	order := installOrder(pl.Packages)
	// Workers take packages in link order, so the first needed is fetched
	// first.
	jobs := make(chan int, n)
	for _, i := range order {
		jobs <- i
	}
	close(jobs)
	var wg sync.WaitGroup
	for w := 0; w < max(1, o.Fetcher.Parallel); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				func() {
					defer close(ready[i])
					if ctx.Err() != nil {
						errs[i] = ctx.Err()
						return
					}
					pk := pl.Packages[i]
					o.trace("fetch", pk.Name)
					p, err := o.Fetcher.FetchOne(ctx, cache.Artifact{Fn: fileName(pk), URL: pk.URL, SHA256: pk.SHA256, Size: pk.Size})
					if err != nil {
						errs[i] = err
						cancel()
						return
					}
					o.trace("fetched", pk.Name)
					d, err := extracted(ctx, o.Fetcher.Cache, p, pk, o.Fetcher.BaseDir, o.Reinstall, o.Log, func() {
						// A third and two thirds of the way through the
						// packages, what was extracted so far starts on its
						// way to the disk.
						if crossesThird(int(freshN.Add(1)), n) {
							wb.kick()
						}
					})
					if err != nil {
						errs[i] = err
						cancel()
						return
					}
					o.trace("extracted", pk.Name)
					extractedN.step()
					paths[i], dirs[i] = p, d
					if infos[i], err = pkginfo.Read(d); err != nil {
						errs[i] = err
						cancel()
						return
					}
					if conflict.Load() || ctx.Err() != nil {
						return
					}
					lr, err := linkOne(i, true)
					if errors.As(err, new(*link.ConflictError)) {
						conflict.Store(true)
						return
					}
					if err != nil {
						errs[i] = err
						cancel()
						return
					}
					links[i] = lr
				}()
			}
		}()
	}
	defer wg.Wait()
	firstErr := func() error {
		for _, i := range order {
			if errs[i] != nil && !errors.Is(errs[i], context.Canceled) {
				return errs[i]
			}
		}
		for _, e := range errs {
			if e != nil {
				return e
			}
		}
		return nil
	}
	for _, i := range order {
		<-ready[i]
		if errs[i] != nil || ctx.Err() != nil {
			wg.Wait()
			return nil, firstErr()
		}
	}
	if conflict.Load() {
		// Two packages install one path: what ends up there depends on
		// the order, so link again, one package at a time, in order.
		if err := emptyStage(stageRoot); err != nil {
			return nil, err
		}
		linkedN.reset()
		for _, i := range order {
			lr, err := linkOne(i, false)
			if err != nil {
				return nil, err
			}
			links[i] = lr
		}
	}

	res := &Result{Packages: len(pl.Packages)}
	var (
		reflinkFailed int   // files copied because a clone failed
		reflinkErr    error // why the first did
	)
	var scripts []*lockfile.Package
	var (
		noarchPy []string         // .py files of noarch python packages
		recs     []*PackageRecord // conda-meta, written once the .pyc files are known
		pyOwner  = map[string]*PackageRecord{}
	)
	for _, i := range order {
		pk, info, lr := pl.Packages[i], infos[i], links[i]
		for _, w := range lr.Warnings {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s", pk.Name, w))
		}
		res.Files += len(lr.Files)
		res.Hardlinks += lr.Hardlinked
		res.Copies += lr.Copied
		res.Reflinks += lr.Reflinked
		reflinkFailed += lr.ReflinkFailed
		if reflinkErr == nil {
			reflinkErr = lr.ReflinkErr
		}
		if hasPostLink(info, pk.Name) {
			if o.AllowScripts {
				scripts = append(scripts, pk)
			} else {
				res.Skipped = append(res.Skipped, pk.Name+": post-link.sh")
			}
		}
		rec := &PackageRecord{Package: pk, BaseDir: o.Fetcher.BaseDir, Archive: paths[i], Extracted: dirs[i], Info: info, Files: lr.Files, Copy: o.Link == link.Copy}
		recs = append(recs, rec)
		if info.Noarch == "python" {
			for _, f := range lr.Files {
				if strings.HasSuffix(f.Path, ".py") && f.Type != pkginfo.SoftLink {
					noarchPy = append(noarchPy, f.Path)
					pyOwner[f.Path] = rec
				}
			}
		}
	}
	wheels, installed, err := wr.link(ctx, res)
	if err != nil {
		return nil, err
	}
	if !o.NoCompile {
		o.trace("compile", "")
		o.progress("compile", 0, 0)
		if err := compileStage(ctx, stageRoot, filepath.Join(st.dir, stageName), prefix, pyver, noarchPy, pyOwner, installed, res); err != nil {
			res.Warnings = append(res.Warnings, "byte-compiling: "+err.Error())
		}
	}
	// The records are encoded and written on every core: each lists
	// every file of its package.
	g := new(errgroup.Group)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, rec := range recs {
		g.Go(func() error { return writeCondaMeta(meta, rec) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if res.Hardlinks == 0 && res.Copies > 0 && o.Link == link.Auto {
		o.Log("hard links were not possible (the package cache is on another file system); files were copied")
	}
	if reflinkFailed > 0 && o.Link == link.Reflink {
		// One note for the install, not one a file: the reason is the
		// same for every file of a cache and a prefix.
		o.Log(fmt.Sprintf("reflinks were not possible (%v); %d files were copied instead", reflinkErr, reflinkFailed))
	}
	if err := writeMetaFile(meta, "history", History(pl, o.Fetcher.BaseDir, o.Now(), "envlock install")); err != nil {
		return nil, err
	}
	if err := writeMetaFile(meta, "created_at", CreatedAt(o.Now())); err != nil {
		return nil, err
	}
	// envlock's own files go in conda-meta/envlock/, through a root of
	// their own: every name written there is one file name.
	ownDir := filepath.Dir(MarkerFile)
	if err := meta.Mkdir(ownDir, 0o755); err != nil {
		return nil, fmt.Errorf("making conda-meta/%s: %w", ownDir, err)
	}
	own, err := meta.OpenRoot(ownDir)
	if err != nil {
		return nil, err
	}
	defer own.Close()
	var names []string
	for _, pk := range pl.Packages {
		names = append(names, pk.Name+"-"+pk.Version+"-"+pk.Build)
	}
	sort.Strings(names)
	marker := Marker{Lock: o.LockPath, LockHash: lockfile.Hash(o.LockData), Name: o.Lock.Name, Platform: o.Platform, Signature: o.Signature, Installed: o.Now().UTC(), Packages: names, PyPI: wheels, Env: o.Lock.Env, Kernel: o.Lock.Kernel}
	mb, _ := json.MarshalIndent(marker, "", "  ")
	if err := writeMetaFile(own, filepath.Base(MarkerFile), append(mb, '\n')); err != nil {
		return nil, err
	}
	// A copy of the lock's exact bytes, so that the prefix describes
	// itself when the lock it came from moves, changes, or was a bundle.
	if err := writeMetaFile(own, filepath.Base(LockCopyFile), o.LockData); err != nil {
		return nil, err
	}
	if o.LockSig != nil {
		if err := writeMetaFile(own, filepath.Base(LockCopyFile)+".sig", o.LockSig); err != nil {
			return nil, err
		}
	}
	// The new environment reaches the disk before its name does (see
	// syncStage).
	if !o.NoSync {
		o.trace("sync", "")
		if err := syncStage(stageRoot); err != nil {
			return nil, fmt.Errorf("writing the new environment to disk: %w", err)
		}
		o.trace("synced", "")
	}
	if err := st.swap(stageName, o.trace); err != nil {
		return nil, err
	}
	ok = true
	for _, pk := range scripts {
		if err := runScript(ctx, prefix, pk, "post-link"); err != nil {
			return res, fmt.Errorf("the environment is installed, but %v", err)
		}
		res.Ran = append(res.Ran, pk.Name+": post-link.sh")
	}
	// Read through a root of the prefix: a package's .messages.txt that
	// links out of it is not followed.
	if pr, err := os.OpenRoot(prefix); err == nil {
		if b, err := pr.ReadFile(".messages.txt"); err == nil {
			res.Messages = string(b)
			pr.Remove(".messages.txt")
		}
		pr.Close()
	}
	return res, nil
}

// hasPostLink reports whether the package ships a post-link script
// (bin/.NAME-post-link.sh), from its paths.json: the script is one of
// its files.
func hasPostLink(info *pkginfo.Info, name string) bool {
	want := "bin/." + name + "-post-link.sh"
	for _, p := range info.Paths {
		if p.Path == want {
			return true
		}
	}
	return false
}

// emptyStage removes everything linking put in the stage (all but
// conda-meta/, which only the installer writes), through its root.
func emptyStage(stage *os.Root) error {
	d, err := stage.Open(".")
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		if n == "conda-meta" {
			continue
		}
		if err := stage.RemoveAll(n); err != nil {
			return fmt.Errorf("emptying the staging directory: %w", err)
		}
	}
	return nil
}

// checkTarget checks what is at prefix: nothing, an empty directory or
// an envlock environment (up to date with the lock, or not), else an
// error unless o.ReplaceForeign; with note, the replacement of a foreign
// directory is echoed.
func checkTarget(prefix string, o Options, pl *lockfile.Platform, note bool) (upToDate bool, err error) {
	fi, err := os.Stat(prefix)
	if err != nil {
		return false, nil
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%s exists and is not a directory", prefix)
	}
	m, err := ReadMarker(prefix)
	switch {
	case err == nil && m.LockHash == lockfile.Hash(o.LockData) && m.Platform == o.Platform && !o.Reinstall:
		return true, nil
	case err != nil && !isEmptyDir(prefix):
		if !o.ReplaceForeign {
			return false, fmt.Errorf("%s: %w (no conda-meta/%s); pass --replace-foreign to replace it", prefix, ErrNotEnvlockPrefix, MarkerFile)
		}
		if note {
			o.Log(fmt.Sprintf("replacing %s, which is not an envlock environment, as --replace-foreign asked", prefix))
		}
	}
	return false, nil
}

// runScript runs a package's link script with conda's environment.
func runScript(ctx context.Context, prefix string, pk *lockfile.Package, which string) error {
	script := filepath.Join(prefix, "bin", "."+pk.Name+"-"+which+".sh")
	cmd := exec.CommandContext(ctx, "/bin/sh", script)
	cmd.Dir = prefix
	cmd.Env = append(os.Environ(), "PREFIX="+prefix, "PKG_NAME="+pk.Name, "PKG_VERSION="+pk.Version,
		"PKG_BUILDNUM="+fmt.Sprint(pk.BuildNumber), "ROOT_PREFIX="+prefix)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("the %s script of %s failed: %v\n%s", which, pk.Name, err, out)
	}
	return nil
}

func platforms(l *lockfile.Lock) string { return strings.Join(l.PlatformNames(), ", ") }

func isEmptyDir(p string) bool {
	entries, err := os.ReadDir(p)
	return err == nil && len(entries) == 0
}

// fileName is the artifact's file name, from its URL.
func fileName(pk *lockfile.Package) string {
	u := pk.URL
	if i := strings.LastIndexByte(u, '/'); i >= 0 {
		u = u[i+1:]
	}
	if j := strings.IndexAny(u, "?#"); j >= 0 {
		u = u[:j]
	}
	return u
}

// extracted returns the package's extracted tree in the cache, making it
// under the entry's lock when missing. The tree holds
// info/repodata_record.json, as conda's does, written by the extraction
// before the tree is renamed into place. The entry is named after the
// artifact's file name (checked by cache.CheckName), never after the
// record's name, version and build. fresh, when not nil, is called once
// the tree was extracted by this call rather than found in the cache.
func extracted(ctx context.Context, c *cache.Cache, archive string, pk *lockfile.Package, baseDir string, validate bool, log func(string), fresh func()) (string, error) {
	fn := fileName(pk)
	name := strings.TrimSuffix(strings.TrimSuffix(fn, ".conda"), ".tar.bz2")
	if name == fn {
		return "", fmt.Errorf("%s %s: the artifact %q is not a .conda or .tar.bz2 file; the lock is damaged", pk.Name, pk.Version, fn)
	}
	if err := cache.CheckName(name); err != nil {
		return "", fmt.Errorf("%s %s: %w; the lock is damaged or hostile", pk.Name, pk.Version, err)
	}
	said := map[string]bool{} // a tree checked again under the lock is reported once
	ok := func(dir string) bool {
		if !extractedOK(dir, pk) {
			return false
		}
		if validate {
			if bad := intact(dir); bad != "" {
				if said[dir] {
					return false
				}
				said[dir] = true
				log(fmt.Sprintf("%s: the cached copy of %s was changed (through a hard link?); extracting it again", name, bad))
				return false
			}
		}
		return true
	}
	for _, d := range c.Dirs() {
		dir := filepath.Join(d, name)
		if ok(dir) {
			return dir, nil
		}
	}
	lk, err := c.LockEntry(name)
	if err != nil {
		return "", err
	}
	defer lk.Unlock()
	dir := filepath.Join(c.Writable(), name)
	if ok(dir) {
		return dir, nil
	}
	// A stale, foreign or altered tree: extract afresh.
	if err := c.RemoveEntry(name); err != nil {
		return "", fmt.Errorf("removing the stale cache entry %s: %w", dir, err)
	}
	rec, err := RepodataRecord(pk, baseDir)
	if err != nil {
		return "", err
	}
	opts := extract.Options{
		Want:   extract.Identity{Name: pk.Name, Version: pk.Version, Build: pk.Build, Subdir: pk.Subdir},
		Record: rec,
	}
	if c.Shared() {
		opts.FileMode, opts.DirMode = c.FileMode(), c.DirMode()
	} else {
		opts.DirMode = c.DirMode()
	}
	res, err := extract.Package(ctx, archive, dir, opts)
	if err != nil {
		return "", err
	}
	for _, w := range res.Warnings {
		log(fmt.Sprintf("%s: %s: %s", name, w.Entry, w.Reason))
	}
	if fresh != nil {
		fresh()
	}
	return dir, nil
}

// intact checks an extracted package's regular files against the sizes
// and hashes of its info/paths.json, returning the first that differs
// ("" when all match, or when the package records no hashes). Files are
// read through os.Root: a tree altered in a shared cache cannot make it
// read outside.
func intact(dir string) string {
	info, err := pkginfo.Read(dir)
	if err != nil {
		return "info/paths.json"
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "."
	}
	defer root.Close()
	for _, p := range info.Paths {
		if p.Type != pkginfo.HardLink || p.SHA256 == "" {
			continue
		}
		fi, err := root.Lstat(p.Path)
		if err != nil || !fi.Mode().IsRegular() {
			continue // links and missing entries are the packaging's own matter
		}
		if p.Size != 0 && fi.Size() != p.Size {
			return p.Path
		}
		if sum, err := cache.HashIn(root, p.Path); err != nil || sum != p.SHA256 {
			return p.Path
		}
	}
	return ""
}

// extractedOK reports whether dir is a complete extraction of pk: its
// repodata_record.json (which the extraction writes last, before the
// tree is renamed into place) names the same sha256.
func extractedOK(dir string, pk *lockfile.Package) bool {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return false
	}
	defer root.Close()
	fi, err := root.Lstat("info/repodata_record.json")
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > 1<<20 {
		return false
	}
	data, err := root.ReadFile("info/repodata_record.json")
	if err != nil {
		return false
	}
	var r struct {
		SHA256 string `json:"sha256"`
	}
	return json.Unmarshal(data, &r) == nil && strings.EqualFold(r.SHA256, pk.SHA256)
}

// writeCondaMeta writes conda-meta/<name>-<version>-<build>.json.
func writeCondaMeta(meta *os.Root, r *PackageRecord) error {
	b, err := r.JSON()
	if err != nil {
		return err
	}
	return writeMetaFile(meta, RecordFile(r.Package), b)
}

// writeMetaFile writes a new file name in conda-meta (the root meta):
// name must be one file name, so a record's name, version or build
// cannot place it anywhere else.
func writeMetaFile(meta *os.Root, name string, data []byte) error {
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("conda-meta/%s: not a file name (a package's name, version or build holds a path separator)", name)
	}
	f, err := meta.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing conda-meta/%s: %w", name, err)
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// checkSitePackages refuses a python_site_packages_path (CEP 17) that is
// not a relative path inside the prefix, or that lies in conda-meta.
func checkSitePackages(sp string) error {
	if sp == "" {
		return nil
	}
	if err := link.CheckDest(sp); err != nil {
		return fmt.Errorf("the lock's python_site_packages_path: %w", err)
	}
	return nil
}

// pythonOf returns the python version ("3.12") and site-packages of the
// platform's python package, if any.
func pythonOf(pl *lockfile.Platform) (string, string) {
	py := pl.Package("python")
	if py == nil {
		return "", ""
	}
	parts := strings.SplitN(py.Version, ".", 3)
	if len(parts) < 2 {
		return "", ""
	}
	return parts[0] + "." + parts[1], py.PythonSitePackagesPath
}

// installOrder links dependencies before their dependents (so a later
// package's files win a clobber, as conda's order does), ties by name.
func installOrder(pkgs []*lockfile.Package) []int {
	byName := map[string]int{}
	for i, p := range pkgs {
		byName[p.Name] = i
	}
	seen := make([]bool, len(pkgs))
	var order []int
	var visit func(i int, depth int)
	visit = func(i int, depth int) {
		if seen[i] || depth > len(pkgs) {
			return
		}
		seen[i] = true
		for _, d := range pkgs[i].Depends {
			name := strings.Fields(d)
			if len(name) == 0 {
				continue
			}
			n := strings.FieldsFunc(name[0], func(r rune) bool { return strings.ContainsRune("=<>!~[", r) })
			if len(n) == 0 {
				continue
			}
			if j, ok := byName[n[0]]; ok {
				visit(j, depth+1)
			}
		}
		order = append(order, i)
	}
	idx := make([]int, len(pkgs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return pkgs[idx[a]].Name < pkgs[idx[b]].Name })
	for _, i := range idx {
		visit(i, 0)
	}
	return order
}

// crossesThird reports whether the done-th of n extractions is the one
// that reaches a third or two thirds of n.
func crossesThird(done, n int) bool {
	for _, t := range []int{n, 2 * n} {
		if 3*(done-1) < t && 3*done >= t {
			return true
		}
	}
	return false
}
