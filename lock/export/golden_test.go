package export

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestGoldenQuickstart checks the explicit export of the bundled example;
// the lock's directory is replaced by $DIR so the golden file is portable.
func TestGoldenQuickstart(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "quickstart", "env.lock")
	l, _, err := lockfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	const dir = "/DIR"
	for _, p := range l.Platforms {
		got, err := Explicit(l, p.Platform, dir)
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "quickstart-"+p.Platform+".explicit.txt")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s mismatch (-want +got):\n%s", golden, cmp.Diff(string(want), string(got)))
		}
	}
}
