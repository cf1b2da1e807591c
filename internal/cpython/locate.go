package cpython

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
)

// Env names the python whose installation Locate packages.
const Env = "ENVLOCK_CPYTHON"

// Locate returns the CPython the tests package: $ENVLOCK_CPYTHON (a
// python executable), else the python3 on PATH (through pyenv's shim
// when there is one). When neither is a CPython with its own prefix, it
// calls testenv.Missing.
func Locate(t testing.TB) *Source {
	t.Helper()
	s, err := located()
	if err != nil {
		testenv.Missing(t, "a CPython with its own prefix to package ("+err.Error()+")",
			"set "+Env+" to the bin/python3 of a CPython built with --prefix, e.g. `pyenv install 3.11`")
	}
	return s
}

// Find is Locate without a test: the source, or why there is none.
func Find() (*Source, error) { return located() }

var located = sync.OnceValues(func() (*Source, error) {
	exe := os.Getenv(Env)
	if exe == "" {
		var err error
		if exe, err = exec.LookPath("python3"); err != nil {
			return nil, err
		}
	}
	return Probe(exe)
})

// CacheDir is where Build keeps the packages it wrote, shared by test
// runs: ${XDG_CACHE_HOME:-$HOME/.cache}/envlock-ci/cpython ("" when there
// is no user cache directory).
func CacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "envlock-ci", "cpython")
}
