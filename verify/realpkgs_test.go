package verify

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/install/extract"
	"github.com/envlock/envlock/install/pkginfo"
	"github.com/envlock/envlock/internal/locktest"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/lock/lockfile"
)

// lockArchives locks real package files as they are: each record comes
// from the archive's own info/index.json, its URL is the file, its hash
// the file's.
func lockArchives(t *testing.T, paths ...string) (*lockfile.Lock, []byte) {
	t.Helper()
	var pkgs []*lockfile.Package
	for _, p := range paths {
		dir := t.TempDir()
		if _, err := extract.Into(context.Background(), p, dir); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		info, err := pkginfo.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		str := func(k string) string { s, _ := info.Index[k].(string); return s }
		sum, _ := cache.HashFile(p)
		fi, _ := os.Stat(p)
		pk := &lockfile.Package{Name: str("name"), Version: str("version"), Build: str("build"), Subdir: cmp.Or(str("subdir"), "linux-64"),
			Noarch: str("noarch"), URL: "file://" + filepath.ToSlash(p), SHA256: sum, Size: fi.Size(), Depends: []string{}}
		pkgs = append(pkgs, pk)
	}
	l := &lockfile.Lock{Name: "t", Manifest: lockfile.Manifest{SHA256: strings.Repeat("0", 64)}, ChannelPriority: "strict",
		Platforms: []*lockfile.Platform{{Platform: "linux-64", Packages: pkgs}}}
	l.Canonicalize()
	data, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return l, data
}

// TestRealTestPackages installs real packages from rattler's test data —
// a zip64 .conda, sparse files, symlinks, "./" paths, packages that
// clobber each other's files — and verifies each environment clean.
func TestRealTestPackages(t *testing.T) {
	root := testdata.SharedPath(t, "packages/rattler-test-packages")
	for _, tc := range []struct {
		name string
		pkgs []string
	}{
		{"empty", []string{"packages/empty-0.1.0-h4616a5c_0.conda"}},
		{"sparse", []string{"sparse/sparse-test-1.0.0-0.conda", "sparse/zip64-test-1.0.0-0.conda", "sparse/symlink-test-1.0.0-0.conda", "sparse/dotslash-test-1.0.0-0.conda", "sparse/info-only-1.0.0-0.conda"}},
		{"clobber", []string{"clobber/clobber-1-0.1.0-h4616a5c_0.tar.bz2", "clobber/clobber-2-0.1.0-h4616a5c_0.tar.bz2", "clobber/clobber-3-0.1.0-h4616a5c_0.tar.bz2"}},
		{"clobber nested", []string{"clobber/clobber-nested-1-0.1.0-h4616a5c_0.tar.bz2", "clobber/clobber-nested-2-0.1.0-h4616a5c_0.tar.bz2", "clobber/clobber-nested-3-0.1.0-h4616a5c_0.tar.bz2"}},
		{"clobber with symlinks", []string{"clobber/clobber-with-symlink-a-0.1.0-h4616a5c_0.conda", "clobber/clobber-with-symlink-b-0.1.0-h4616a5c_0.conda"}},
		{"test-server", []string{"test-server/repo/noarch/test-package-0.1-0.tar.bz2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			for _, p := range tc.pkgs {
				paths = append(paths, filepath.Join(root, filepath.FromSlash(p)))
			}
			l, data := lockArchives(t, paths...)
			f := locktest.Fetcher(t, t.TempDir())
			prefix := filepath.Join(t.TempDir(), "env")
			res, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range res.Warnings {
				t.Logf("install warning: %s", w)
			}
			r, err := Prefix(context.Background(), Options{Prefix: prefix, Lock: l, LockData: data})
			if err != nil {
				t.Fatal(err)
			}
			checkSchema(t, r)
			if r.Status != StatusClean {
				t.Errorf("status %s: packages %+v, files %v", r.Status, r.Packages, issues(r))
			}
			t.Logf("%d packages, %d files checked, %d bytes hashed", r.Packages.Installed, r.Files.Checked, r.Files.Bytes)
		})
	}
}
