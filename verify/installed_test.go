package verify

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestInstalledLock(t *testing.T) {
	e := demoEnv(t)
	_, _, p, err := InstalledLock(e.prefix)
	if err != nil || p != e.lockPath {
		t.Fatalf("InstalledLock = %q, %v; want the recorded %s", p, err, e.lockPath)
	}
	// The recorded file is no lock any more (say, it was a bundle): the
	// copy in conda-meta stands in, with the same bytes.
	os.WriteFile(e.lockPath, []byte("not json"), 0o644)
	_, data, p, err := InstalledLock(e.prefix)
	if err != nil || filepath.Base(p) != "envlock.lock" || string(data) != string(e.data) {
		t.Fatalf("InstalledLock = %q, %v; want the copy in conda-meta", p, err)
	}
	os.Remove(p)
	if _, _, _, err := InstalledLock(e.prefix); !errors.Is(err, ErrLockGone) {
		t.Fatalf("with both gone: %v, want ErrLockGone", err)
	}
	if l, _, _, err := InstalledLock(t.TempDir()); l != nil || err != nil {
		t.Fatalf("a prefix envlock did not install: %v, %v", l, err)
	}
}
