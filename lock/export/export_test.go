package export

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/envfile"
)

func TestExplicitParses(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "quickstart", "env.lock")
	l, _, err := lockfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs(filepath.Dir(path))
	for _, p := range l.Platforms {
		out, err := Explicit(l, p.Platform, dir)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := envfile.ParseExplicit("out.txt", out)
		if err != nil {
			t.Fatalf("%s: own output does not parse: %v\n%s", p.Platform, err, out)
		}
		if len(ex.Packages) != len(p.Packages) {
			t.Errorf("%s: reader saw %d packages, lock has %d", p.Platform, len(ex.Packages), len(p.Packages))
		}
		pos := map[string]int{}
		for i, e := range ex.Packages {
			pos[e.Name] = i
		}
		for _, pk := range p.Packages {
			for _, d := range pk.Depends {
				dn, _, _ := strings.Cut(d, " ")
				if j, ok := pos[dn]; ok && j > pos[pk.Name] {
					t.Errorf("%s: %s listed before its dependency %s", p.Platform, pk.Name, dn)
				}
			}
		}
	}
}
