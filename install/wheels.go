package install

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/install/wheel"
	"github.com/envlock/envlock/lock/lockfile"
)

// installWheels installs the platform's wheels into the staging
// directory after the conda packages (so a wheel's files win, as pip's
// would over conda's) and returns them as name==version for the marker.
// Each wheel is fetched into the package cache with its sha256 checked
// and unpacked against its RECORD.
func installWheels(ctx context.Context, o Options, stage *os.Root, prefix string, pl *lockfile.Platform, pyver, sitePackages string, res *Result) ([]string, []*wheel.Result, error) {
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
	var installed []*wheel.Result
	for _, w := range pl.PyPI {
		fn := w.FileName()
		o.trace("fetch", w.Name)
		archive, err := o.Fetcher.FetchOne(ctx, cache.Artifact{Fn: fn, URL: w.URL, SHA256: w.SHA256, Size: w.Size})
		if err != nil {
			return nil, nil, fmt.Errorf("wheel %s %s: %w", w.Name, w.Version, err)
		}
		o.trace("link", w.Name)
		r, err := wheel.Install(archive, wheel.Options{Stage: stage, Prefix: prefix, SitePackages: sitePackages, PythonVersion: pyver, URL: o.sourceURL(w.URL), Requested: w.Requested != "", Name: w.Name, Version: w.Version})
		if err != nil {
			return nil, nil, fmt.Errorf("wheel %s %s: %w", w.Name, w.Version, err)
		}
		res.Files += len(r.Files)
		out = append(out, w.Name+"=="+w.Version)
		installed = append(installed, r)
	}
	return out, installed, nil
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
