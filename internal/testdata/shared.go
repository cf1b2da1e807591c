// Package testdata finds the project's shared real-world test data
// (../shared/data beside the module root) for tests that use it.
package testdata

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
)

// SharedDir returns the absolute path of ../shared/data relative to the
// module root, or skips the test, saying why, when it is absent.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir, err := sharedDir()
	if err != nil {
		testenv.Missing(t, "real test data ../shared/data", err.Error()+"; expected beside the module root")
	}
	return dir
}

// SharedPath is SharedDir joined with rel, skipping when that path is
// missing.
func SharedPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(SharedDir(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(t, "real test data "+rel, err.Error())
	}
	return p
}

// ModuleRoot returns the directory holding go.mod, walking up from the
// working directory of the test.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

func sharedDir() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	d := filepath.Join(filepath.Dir(root), "shared", "data")
	if _, err := os.Stat(d); err != nil {
		return "", err
	}
	return d, nil
}
