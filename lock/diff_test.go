package lock

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/lock/lockfile"
)

func TestDiff(t *testing.T) {
	sha := func(c string) string { return strings.Repeat(c, 64) }
	lk := func(pkgs []*lockfile.Package, wheels []*lockfile.Wheel) *lockfile.Lock {
		return &lockfile.Lock{Platforms: []*lockfile.Platform{{Platform: "linux-64", Packages: pkgs, PyPI: wheels}}}
	}
	zlib := func(v, build, h string) *lockfile.Package {
		return &lockfile.Package{Name: "zlib", Version: v, Build: build, Channel: "https://conda.anaconda.org/conda-forge", SHA256: h}
	}
	whl := func(v, h string) *lockfile.Wheel { return &lockfile.Wheel{Name: "tinyfmt", Version: v, SHA256: h} }
	for _, tt := range []struct {
		name     string
		old, new *lockfile.Lock
		want     []Change
	}{
		{"same", lk([]*lockfile.Package{zlib("1.3", "h0", sha("a"))}, nil), lk([]*lockfile.Package{zlib("1.3", "h0", sha("a"))}, nil), nil},
		{"new version", lk([]*lockfile.Package{zlib("1.3", "h0", sha("a"))}, nil), lk([]*lockfile.Package{zlib("1.3.1", "h0", sha("b"))}, nil),
			[]Change{{Platform: "linux-64", Name: "zlib", Kind: "conda", Old: "1.3 h0 conda-forge", New: "1.3.1 h0 conda-forge"}}},
		{"same build, other file", lk([]*lockfile.Package{zlib("1.3", "h0", sha("a"))}, nil), lk([]*lockfile.Package{zlib("1.3", "h0", sha("b"))}, nil),
			[]Change{{Platform: "linux-64", Name: "zlib", Kind: "conda", Old: "1.3 h0 conda-forge sha256:aaaaaaaaaaaa", New: "1.3 h0 conda-forge sha256:bbbbbbbbbbbb"}}},
		{"sha256 in capitals is the same file", lk([]*lockfile.Package{zlib("1.3", "h0", sha("a"))}, nil), lk([]*lockfile.Package{zlib("1.3", "h0", sha("A"))}, nil), nil},
		{"wheel from another file", lk(nil, []*lockfile.Wheel{whl("1.0", sha("c"))}), lk(nil, []*lockfile.Wheel{whl("1.0", sha("d"))}),
			[]Change{{Platform: "linux-64", Name: "tinyfmt", Kind: "pypi", Old: "1.0 sha256:cccccccccccc", New: "1.0 sha256:dddddddddddd"}}},
		{"wheel added", lk(nil, nil), lk(nil, []*lockfile.Wheel{whl("1.0", sha("c"))}),
			[]Change{{Platform: "linux-64", Name: "tinyfmt", Kind: "pypi", New: "1.0"}}},
	} {
		if d := cmp.Diff(tt.want, Diff(tt.old, tt.new)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
}
