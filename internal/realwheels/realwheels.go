// Package realwheels finds the fixture of real manylinux wheels (numpy,
// pandas, ipykernel and their closure, pinned in requirements.txt) that
// .ci/run downloads into a cache outside the clone, and writes them as a
// PEP 503/691 index for a loopback server.
package realwheels

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/internal/wheelpkg"
)

// Requirements is the pinned set, as .ci/run gives it to pip download.
//
//go:embed requirements.txt
var Requirements string

// Env names the fixture directory; by default it is
// ${XDG_CACHE_HOME:-$HOME/.cache}/envlock-ci/wheels.
const Env = "ENVLOCK_WHEELS_FIXTURE"

const how = "run .ci/run, which downloads them with pip into $" + Env

// Find returns the fixture directory when it holds the complete pinned
// set (a copy of requirements.txt marks a finished download), or an
// error saying what is missing and how to get it.
func Find() (string, error) {
	d := os.Getenv(Env)
	if d == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("the real wheel fixture is not available (%s)", how)
		}
		d = filepath.Join(c, "envlock-ci", "wheels")
	}
	marker, err := os.ReadFile(filepath.Join(d, "requirements.txt"))
	if err != nil {
		return "", fmt.Errorf("the real wheel fixture is not in %s (%s)", d, how)
	}
	if string(marker) != Requirements {
		return "", fmt.Errorf("the real wheel fixture in %s holds another set than internal/realwheels/requirements.txt (%s)", d, how)
	}
	return d, nil
}

// Dir returns Find's directory, or calls testenv.Missing.
func Dir(t testing.TB) string {
	t.Helper()
	d, err := Find()
	if err != nil {
		testenv.Missing(t, "the real wheel fixture", err.Error())
	}
	return d
}

// Wheels returns the fixture's wheel files.
func Wheels(t testing.TB) []string {
	t.Helper()
	ws, err := filepath.Glob(filepath.Join(Dir(t), "*.whl"))
	if err != nil || len(ws) == 0 {
		testenv.Missing(t, "the real wheels", how)
	}
	sort.Strings(ws)
	return ws
}

// WriteIndex writes the fixture's wheels as an index under dir (for
// wheelpkg.Handler or a plain file server).
func WriteIndex(t testing.TB, dir string) {
	t.Helper()
	if err := wheelpkg.WriteFileIndex(dir, Wheels(t)); err != nil {
		t.Fatal(err)
	}
}
