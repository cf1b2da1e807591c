package link

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLinkerMkdirAll checks that the Linker makes nested directories
// once, follows a symlink only where it stays in the root, and refuses
// a path out of it.
func TestLinkerMkdirAll(t *testing.T) {
	base := t.TempDir()
	dst := filepath.Join(base, "dst")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(dst, "real"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("real", filepath.Join(dst, "in")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dst, "out")); err != nil {
		t.Fatal(err)
	}
	src, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	root, err := os.OpenRoot(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	l := NewLinker(src, root)
	defer l.Close()
	for _, tc := range []struct {
		dir  string
		ok   bool
		made string // where it must be, relative to base
	}{
		{"a/b/c", true, "dst/a/b/c"},
		{"a/b/d", true, "dst/a/b/d"},
		{"in/x", true, "dst/real/x"},
		{"out/x", false, ""},
		{"../x", false, ""},
		{"a/../b", false, ""},
	} {
		err := l.MkdirAll(tc.dir)
		if (err == nil) != tc.ok {
			t.Errorf("MkdirAll(%q) = %v, want ok %v", tc.dir, err, tc.ok)
			continue
		}
		if tc.made != "" {
			if fi, err := os.Lstat(filepath.Join(base, tc.made)); err != nil || !fi.IsDir() {
				t.Errorf("MkdirAll(%q): %s is not a directory (%v)", tc.dir, tc.made, err)
			}
		}
	}
	if _, err := os.Lstat(filepath.Join(outside, "x")); err == nil {
		t.Errorf("MkdirAll made a directory outside the root")
	}
	if _, err := os.Lstat(filepath.Join(base, "x")); err == nil {
		t.Errorf("MkdirAll made ../x")
	}
}
