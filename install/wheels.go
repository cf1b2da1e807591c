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
	"strings"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/install/link"
	"github.com/envlock/envlock/install/wheel"
	"github.com/envlock/envlock/lock/lockfile"
)

// installWheels installs the platform's wheels into the staging
// directory after the conda packages (so a wheel's files win, as pip's
// would over conda's) and returns them as name==version for the marker.
// Each wheel is fetched into the package cache with its sha256 checked
// and unpacked against its RECORD.
func installWheels(ctx context.Context, o Options, stage *os.Root, prefix string, pl *lockfile.Platform, pyver, sitePackages string, res *Result) ([]string, []wheelTree, error) {
	if len(pl.PyPI) == 0 {
		return nil, nil, nil
	}
	if pyver == "" {
		return nil, nil, fmt.Errorf("the lock has wheels for %s but no python package to install them for", pl.Platform)
	}
	if sitePackages == "" {
		sitePackages = path.Join("lib", "python"+pyver, "site-packages")
	}
	var out []string
	var installed []wheelTree
	done, artifacts := len(pl.Packages), len(pl.Packages)+len(pl.PyPI) // for Progress
	for _, w := range pl.PyPI {
		fn := w.FileName()
		o.trace("fetch", w.Name)
		archive, err := o.Fetcher.FetchOne(ctx, cache.Artifact{Fn: fn, URL: w.URL, SHA256: w.SHA256, Size: w.Size})
		if err != nil {
			return nil, nil, fmt.Errorf("wheel %s %s: %w", w.Name, w.Version, err)
		}
		// Hard links from the wheel's tree in the cache, unless copies
		// (or clones) were asked for: those come from the archive.
		var dir string
		var from *os.Root
		if o.Link == link.Auto || o.Link == link.Hardlink {
			if dir, err = unpackedWheel(ctx, o.Fetcher.Cache, archive, fn, o.Reinstall, o.Log); err != nil {
				return nil, nil, fmt.Errorf("wheel %s %s: %w", w.Name, w.Version, err)
			}
			if from, err = os.OpenRoot(dir); err != nil {
				return nil, nil, err
			}
		}
		done++
		o.progress("extract", done, artifacts)
		o.trace("link", w.Name)
		r, err := wheel.Install(archive, wheel.Options{Stage: stage, Prefix: prefix, SitePackages: sitePackages, PythonVersion: pyver, URL: o.sourceURL(w.URL), Requested: w.Requested != "", Name: w.Name, Version: w.Version, Unpacked: from})
		if from != nil {
			from.Close()
		}
		if err != nil {
			return nil, nil, fmt.Errorf("wheel %s %s: %w", w.Name, w.Version, err)
		}
		o.progress("link", done, artifacts)
		res.Files += len(r.Files)
		out = append(out, w.Name+"=="+w.Version)
		installed = append(installed, wheelTree{Result: r, Dir: dir})
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
