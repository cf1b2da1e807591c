package verify

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/install"
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
	if want := filepath.Join(e.prefix, "conda-meta", install.LockCopyFile); err != nil || p != want || string(data) != string(e.data) {
		t.Fatalf("InstalledLock = %q, %v; want the copy in conda-meta, %s", p, err, want)
	}
	// A prefix installed by an envlock that kept the marker and the copy
	// in conda-meta itself (conda-meta/envlock.json, envlock.lock).
	meta := filepath.Join(e.prefix, "conda-meta")
	if err := os.Rename(filepath.Join(meta, install.MarkerFile), filepath.Join(meta, install.LegacyMarkerFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p, filepath.Join(meta, install.LegacyLockCopyFile)); err != nil {
		t.Fatal(err)
	}
	_, data, p, err = InstalledLock(e.prefix)
	if want := filepath.Join(meta, install.LegacyLockCopyFile); err != nil || p != want || string(data) != string(e.data) {
		t.Fatalf("old layout: InstalledLock = %q, %v; want %s", p, err, want)
	}
	os.Remove(p)
	if _, _, _, err := InstalledLock(e.prefix); !errors.Is(err, ErrLockGone) {
		t.Fatalf("with both gone: %v, want ErrLockGone", err)
	}
	if l, _, _, err := InstalledLock(t.TempDir()); l != nil || err != nil {
		t.Fatalf("a prefix envlock did not install: %v, %v", l, err)
	}
}
