package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/condapkg"
)

// TestParallelLinkConflicts installs packages that put something on one
// path: packages are linked side by side until one does, then one by one
// in dependency order, so the result is conda's whatever the timing: the
// dependent's file wins a clobber with one warning, a file where another
// package has a directory fails, and packages without a shared path are
// all there.
func TestParallelLinkConflicts(t *testing.T) {
	many := func(name string, n int) []condapkg.File {
		var fs []condapkg.File
		for j := range n {
			fs = append(fs, condapkg.File{Path: fmt.Sprintf("lib/%s/f%03d", name, j), Data: []byte(name)})
		}
		return fs
	}
	for _, tc := range []struct {
		name     string
		pkgs     []*condapkg.Package
		want     map[string]string // path: content
		warnings []string
		err      string
	}{{
		name: "clobber, dependent wins",
		pkgs: []*condapkg.Package{
			// "a" sorts first but depends on "b": b links first, a wins.
			{Name: "a", Version: "1", Build: "0", Depends: []string{"b"}, Files: append(many("a", 50), condapkg.File{Path: "share/x.txt", Data: []byte("from a\n")})},
			{Name: "b", Version: "1", Build: "0", Files: append(many("b", 50), condapkg.File{Path: "share/x.txt", Data: []byte("from b\n")})},
			{Name: "c", Version: "1", Build: "0", Files: many("c", 50)},
		},
		want:     map[string]string{"share/x.txt": "from a\n", "lib/b/f049": "b", "lib/c/f000": "c"},
		warnings: []string{"a: share/x.txt: replaces a file of another package (clobbering)"},
	}, {
		name: "no shared path",
		pkgs: []*condapkg.Package{
			{Name: "a", Version: "1", Build: "0", Files: many("a", 50)},
			{Name: "b", Version: "1", Build: "0", Files: many("b", 50)},
		},
		want: map[string]string{"lib/a/f000": "a", "lib/b/f049": "b"},
	}, {
		name: "file where a directory is",
		pkgs: []*condapkg.Package{
			{Name: "a", Version: "1", Build: "0", Depends: []string{"b"}, Files: []condapkg.File{{Path: "share/d", Data: []byte("file")}}},
			{Name: "b", Version: "1", Build: "0", Files: []condapkg.File{{Path: "share/d/inner", Data: []byte("in a dir")}}},
		},
		err: "share/d would replace a directory of another package",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			for round := range 3 { // several runs: the parallel timing varies
				ch := filepath.Join(t.TempDir(), "channel")
				if err := condapkg.WriteChannel(ch, tc.pkgs, nil); err != nil {
					t.Fatal(err)
				}
				l, data := lockOf(t, ch, nil)
				prefix := filepath.Join(t.TempDir(), "env")
				res, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: fetcher(t, t.TempDir())})
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("round %d: error %v, want one saying %q", round, err, tc.err)
					}
					if _, serr := os.Lstat(prefix); serr == nil {
						t.Fatalf("round %d: a failed install left %s", round, prefix)
					}
					continue
				}
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				for p, want := range tc.want {
					got, err := os.ReadFile(filepath.Join(prefix, p))
					if err != nil || string(got) != want {
						t.Errorf("round %d: %s holds %q (%v), want %q", round, p, got, err, want)
					}
				}
				if !slices.Equal(res.Warnings, tc.warnings) {
					t.Errorf("round %d: warnings %q, want %q", round, res.Warnings, tc.warnings)
				}
			}
		})
	}
}
