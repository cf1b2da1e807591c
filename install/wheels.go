package install

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/install/link"
	"github.com/envlock/envlock/install/wheel"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/pep508"
)

// A wheelRun installs the platform's wheels: started before the conda
// packages are linked, it fetches each wheel into the package cache
// (sha256 checked), unpacks it there (RECORD-checked) and plans its
// install (wheel.Open) in parallel with that linking, touching nothing
// in the stage; link then installs them, after the conda packages (so
// a wheel's file wins, as pip's would over conda's), side by side when
// no two write the same path, else one after another in the lock's
// order.
type wheelRun struct {
	o      Options
	cancel context.CancelFunc
	done   chan struct{} // closed when every wheel is prepared, or one failed
	err    error         // why one failed
	wheels []*preparedWheel
	step   func(stage string) // hears each wheel's "extract" and "link" (Options.Progress)
}

// A preparedWheel is one wheel fetched, unpacked and planned.
type preparedWheel struct {
	w    *lockfile.Wheel
	dir  string   // its tree in the package cache, "" when linked from the archive
	from *os.Root // that tree, open
	plan *wheel.Plan
	res  *wheel.Result
}

// startWheels starts preparing the platform's wheels for the stage.
func startWheels(ctx context.Context, o Options, stage *os.Root, prefix string, pl *lockfile.Platform, pyver, sitePackages string, step func(stage string)) *wheelRun {
	ctx, cancel := context.WithCancel(ctx)
	r := &wheelRun{o: o, cancel: cancel, done: make(chan struct{}), step: step}
	if len(pl.PyPI) == 0 {
		close(r.done)
		return r
	}
	if pyver == "" {
		r.err = fmt.Errorf("the lock has wheels for %s but no python package to install them for", pl.Platform)
		close(r.done)
		return r
	}
	if sitePackages == "" {
		sitePackages = path.Join("lib", "python"+pyver, "site-packages")
	}
	r.wheels = make([]*preparedWheel, len(pl.PyPI))
	tag := cacheTag(pyver)
	go func() {
		defer close(r.done)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(max(1, o.Fetcher.Parallel))
		for i, w := range pl.PyPI {
			g.Go(func() error {
				pw, err := prepareWheel(gctx, o, stage, prefix, w, pyver, sitePackages, tag)
				if err != nil {
					return fmt.Errorf("wheel %s %s: %w", w.Name, w.Version, err)
				}
				r.hear("extract")
				r.wheels[i] = pw
				return nil
			})
		}
		r.err = g.Wait()
	}()
	return r
}

// prepareWheel fetches, unpacks and plans one wheel.
func prepareWheel(ctx context.Context, o Options, stage *os.Root, prefix string, w *lockfile.Wheel, pyver, sitePackages, tag string) (*preparedWheel, error) {
	fn := w.FileName()
	o.trace("fetch", w.Name)
	archive, err := o.Fetcher.FetchOne(ctx, cache.Artifact{Fn: fn, URL: w.URL, SHA256: w.SHA256, Size: w.Size})
	if err != nil {
		return nil, err
	}
	pw := &preparedWheel{w: w}
	opts := wheel.Options{Stage: stage, Prefix: prefix, SitePackages: sitePackages, PythonVersion: pyver, URL: o.sourceURL(w.URL), Requested: w.Requested != "", Name: w.Name, Version: w.Version}
	if r, err := pep508.Parse(w.Requested); err == nil && r.URL != "" {
		// env.cue named this wheel by URL: pip records such an install
		// in direct_url.json, with the archive's hash (PEP 610).
		opts.DirectSHA256 = w.SHA256
	}
	// Hard links from the wheel's tree in the cache, with the byte-code
	// compiled there, unless copies (or clones) were asked for: those
	// come from the archive.
	if o.Link == link.Auto || o.Link == link.Hardlink {
		if pw.dir, err = unpackedWheel(ctx, o.Fetcher.Cache, archive, fn, o.Reinstall, o.Log); err != nil {
			return nil, err
		}
		if pw.from, err = os.OpenRoot(pw.dir); err != nil {
			return nil, err
		}
		opts.Unpacked = pw.from
		if !o.NoCompile {
			ix := loadPycIndex(pw.from)
			opts.Bytecode = func(name string, size int64, mtime time.Time) (string, wheel.RecordEntry, bool) {
				return ix.lookup(tag, name, size, mtime)
			}
		}
	}
	if pw.plan, err = wheel.Open(archive, opts); err != nil {
		pw.close()
		return nil, err
	}
	return pw, nil
}

func (pw *preparedWheel) close() {
	if pw.plan != nil {
		pw.plan.Close()
	}
	if pw.from != nil {
		pw.from.Close()
	}
}

// hear passes a wheel's stage to the Progress counts.
func (r *wheelRun) hear(stage string) {
	if r.step != nil {
		r.step(stage)
	}
}

// close stops the run and releases what it holds; link's results stay.
func (r *wheelRun) close() {
	r.cancel()
	<-r.done
	for _, pw := range r.wheels {
		if pw != nil {
			pw.close()
		}
	}
}

// link waits for the wheels to be prepared and installs them into the
// stage, returning them as name==version for the marker.
func (r *wheelRun) link(ctx context.Context, res *Result) ([]string, []wheelTree, error) {
	select {
	case <-r.done:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	if r.err != nil {
		return nil, nil, r.err
	}
	if len(r.wheels) == 0 {
		return nil, nil, nil
	}
	// Side by side only when no two wheels write the same path: then
	// the order they are linked in cannot change what the stage holds.
	owner := map[string]int{}
	apart := true
	for i, pw := range r.wheels {
		for _, d := range pw.plan.Dests() {
			if j, ok := owner[d]; ok && j != i {
				apart = false
			}
			owner[d] = i
		}
	}
	install := func(pw *preparedWheel) error {
		r.o.trace("link", pw.w.Name)
		res, err := pw.plan.Install()
		if err != nil {
			return fmt.Errorf("wheel %s %s: %w", pw.w.Name, pw.w.Version, err)
		}
		pw.res = res
		r.hear("link")
		return nil
	}
	if apart {
		// The largest first, so that the last to finish is a small one.
		order := make([]*preparedWheel, len(r.wheels))
		copy(order, r.wheels)
		sort.SliceStable(order, func(a, b int) bool { return order[a].plan.Files() > order[b].plan.Files() })
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
		for _, pw := range order {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				return install(pw)
			})
		}
		if err := g.Wait(); err != nil {
			return nil, nil, err
		}
	} else {
		for _, pw := range r.wheels {
			if err := install(pw); err != nil {
				return nil, nil, err
			}
		}
	}
	var c *cache.Cache
	if r.o.Fetcher != nil {
		c = r.o.Fetcher.Cache
	}
	var out []string
	var installed []wheelTree
	for _, pw := range r.wheels {
		res.Files += len(pw.res.Files)
		out = append(out, pw.w.Name+"=="+pw.w.Version)
		installed = append(installed, wheelTree{Result: pw.res, Dir: pw.dir, Cache: c})
	}
	return out, installed, nil
}

// unpackedWheel returns the wheel's tree in the package cache, unpacking
// it (RECORD-checked) under the entry's lock when missing; with validate,
// a tree whose files no longer match RECORD (an edit through a hard
// link) is unpacked afresh.
func unpackedWheel(ctx context.Context, c *cache.Cache, archive, fn string, validate bool, log func(string)) (string, error) {
	name := strings.TrimSuffix(fn, ".whl")
	if name == fn {
		return "", fmt.Errorf("the artifact %q is not a .whl file; the lock is damaged", fn)
	}
	if err := cache.CheckName(name); err != nil {
		return "", fmt.Errorf("%w; the lock is damaged or hostile", err)
	}
	said := map[string]bool{}
	ok := func(dir string) bool {
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() {
			return false
		}
		if validate {
			if bad, err := wheel.CheckUnpacked(dir); err != nil || bad != "" {
				if !said[dir] && bad != "" {
					said[dir] = true
					log(fmt.Sprintf("%s: the cached copy of %s was changed (through a hard link?); unpacking it again", name, bad))
				}
				return false
			}
		}
		return true
	}
	if !validate {
		for _, d := range c.Dirs() {
			if dir := filepath.Join(d, name); ok(dir) {
				return dir, nil
			}
		}
	}
	lk, err := c.LockEntry(name)
	if err != nil {
		return "", err
	}
	defer lk.Unlock()
	dir := filepath.Join(c.Writable(), name)
	if ok(dir) {
		if validate {
			// A repair: compile afresh what an edit could have changed.
			if err := wheel.DropCompiled(dir); err != nil {
				return "", fmt.Errorf("clearing the byte-code of %s: %w", dir, err)
			}
			if err := os.Remove(filepath.Join(dir, pycIndexName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("clearing the byte-code of %s: %w", dir, err)
			}
		}
		return dir, nil
	}
	if err := c.RemoveEntry(name); err != nil {
		return "", fmt.Errorf("removing the stale cache entry %s: %w", dir, err)
	}
	var fileMode os.FileMode
	if c.Shared() {
		fileMode = c.FileMode()
	}
	if err := wheel.Unpack(ctx, archive, dir, cache.TempPrefix(name), fileMode, c.DirMode()); err != nil {
		return "", err
	}
	return dir, nil
}

// sourceURL is where a wheel was read from for direct_url.json: a URL
// relative to the lock (a find_links directory inside the project) as
// the file:// URL of this checkout's copy.
func (o *Options) sourceURL(u string) string {
	if !strings.HasPrefix(u, "./") && !strings.HasPrefix(u, "../") {
		return u
	}
	p, err := url.PathUnescape(u)
	if err != nil || o.Fetcher == nil || !filepath.IsAbs(o.Fetcher.BaseDir) {
		return u
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(o.Fetcher.BaseDir, filepath.FromSlash(p)))}).String()
}
