package export

import (
	"strings"
	"testing"

	"github.com/envlock/envlock/spec/envfile"
)

// TestExplicitParses reads envlock's own @EXPLICIT output back with the
// reader "envlock import" uses (spec/envfile.ParseExplicit, which also
// reads the real files of ../shared/data/envfiles/explicit): every
// package, with the checksum asked for, dependencies before dependents.
func TestExplicitParses(t *testing.T) {
	for name, l := range goldenLocks(t) {
		for _, p := range l.Platforms {
			for _, h := range []Hash{MD5, SHA256} {
				out, err := Explicit(l, p.Platform, "/project", h)
				if err != nil {
					t.Fatal(err)
				}
				ex, err := envfile.ParseExplicit("out.txt", out)
				if err != nil {
					t.Fatalf("%s %s: own output does not parse: %v\n%s", name, p.Platform, err, out)
				}
				if ex.Platform != p.Platform {
					t.Errorf("%s: # platform: %q", p.Platform, ex.Platform)
				}
				if len(ex.Packages) != len(p.Packages) {
					t.Errorf("%s %s: reader saw %d packages, lock has %d", name, p.Platform, len(ex.Packages), len(p.Packages))
				}
				pos := map[string]int{}
				for i, e := range ex.Packages {
					pos[e.Name] = i
					pk := p.Package(e.Name)
					if pk == nil {
						t.Errorf("%s %s: %s is not in the lock", name, p.Platform, e.Name)
						continue
					}
					if e.Version != pk.Version || e.Build != pk.Build {
						t.Errorf("%s %s: read %s %s %s, lock has %s %s", name, p.Platform, e.Name, e.Version, e.Build, pk.Version, pk.Build)
					}
					switch h {
					case MD5:
						if e.MD5 != pk.MD5 || e.SHA256 != "" {
							t.Errorf("%s %s: md5 %q sha256 %q, want md5 %q", name, e.Name, e.MD5, e.SHA256, pk.MD5)
						}
					case SHA256:
						if e.SHA256 != pk.SHA256 || e.MD5 != "" {
							t.Errorf("%s %s: md5 %q sha256 %q, want sha256 %q", name, e.Name, e.MD5, e.SHA256, pk.SHA256)
						}
					}
				}
				for _, pk := range p.Packages {
					for _, d := range pk.Depends {
						dn, _, _ := strings.Cut(d, " ")
						if pk.Name == "python" && dn == "pip" {
							continue // conda installs python first too
						}
						if j, ok := pos[dn]; ok && j > pos[pk.Name] {
							t.Errorf("%s: %s listed before its dependency %s", p.Platform, pk.Name, dn)
						}
					}
				}
			}
		}
	}
}
