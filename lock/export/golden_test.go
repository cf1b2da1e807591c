package export

import (
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/internal/golden"
	"github.com/envlock/envlock/lock/lockfile"
)

// goldenDir replaces the lock's directory in the golden files, so they
// are the same on every machine.
const goldenDir = "/DIR"

// goldenLocks are the locks every format is checked on: the bundled
// example, and a 3-platform lock of the real conda-forge subset with
// wheels (testdata/subset.lock, see TestSubsetLock).
func goldenLocks(t *testing.T) map[string]*lockfile.Lock {
	t.Helper()
	out := map[string]*lockfile.Lock{}
	for name, path := range map[string]string{
		"quickstart": filepath.Join("..", "..", "examples", "quickstart", "env.lock"),
		"subset":     filepath.Join("testdata", "subset.lock"),
	} {
		l, _, err := lockfile.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = l
	}
	return out
}

// TestGolden checks every format's output on the golden locks.
func TestGolden(t *testing.T) {
	for name, l := range goldenLocks(t) {
		for _, p := range l.Platforms {
			for _, f := range []struct {
				ext string
				fn  func() ([]byte, error)
			}{
				{"explicit.txt", func() ([]byte, error) { return Explicit(l, p.Platform, goldenDir, MD5) }},
				{"explicit-sha256.txt", func() ([]byte, error) { return Explicit(l, p.Platform, goldenDir, SHA256) }},
				{"requirements.txt", func() ([]byte, error) { return Requirements(l, p.Platform) }},
				{"environment.yml", func() ([]byte, error) { return EnvironmentYML(l, p.Platform, goldenDir) }},
			} {
				got, err := f.fn()
				if err != nil {
					t.Fatalf("%s %s %s: %v", name, p.Platform, f.ext, err)
				}
				golden.Check(t, filepath.Join("testdata", name+"-"+p.Platform+"."+f.ext), got)
			}
		}
		got, err := CondaLock(l, nil, goldenDir)
		if err != nil {
			t.Fatalf("%s conda-lock: %v", name, err)
		}
		golden.Check(t, filepath.Join("testdata", name+".conda-lock.yml"), got)
	}
}
