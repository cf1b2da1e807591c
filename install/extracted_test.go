package install

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/internal/hostile"
	"github.com/envlock/envlock/lock/lockfile"
)

// TestExtractedNames checks that the cache names an extracted tree after
// the artifact's file name, never after the record's name, version and
// build: a build of "0/../../x" (which another layer refuses when the
// lock is read) still cannot make the cache remove or extract outside
// itself, and a file name that is not one cache entry is refused.
func TestExtractedNames(t *testing.T) {
	root := t.TempDir()
	p := &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Files: []hostile.Entry{hostile.Reg("lib/a", "a")}}
	archive := filepath.Join(root, "evil-1.0-0.conda")
	os.WriteFile(archive, p.Archive(".conda"), 0o644)
	sum, _ := cache.HashFile(archive)
	pkgs := filepath.Join(root, "a", "b", "pkgs")
	c, err := cache.Open([]string{pkgs}, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// What "0/../../x" would reach from the cache: it must survive.
	victim := filepath.Join(root, "a", "x")
	os.MkdirAll(victim, 0o755)
	os.WriteFile(filepath.Join(victim, "keep.txt"), []byte("keep"), 0o644)
	logf := func(string) {}

	pk := &lockfile.Package{Name: "evil", Version: "1.0", Build: "0/../../x", Subdir: "linux-64", URL: "https://example.invalid/linux-64/evil-1.0-0.conda", SHA256: sum}
	_, err = extracted(context.Background(), c, archive, pk, "", false, logf, nil)
	// The tree is named evil-1.0-0 (the file name); the identity check
	// then refuses the lying build.
	if err == nil || !strings.Contains(err.Error(), `it says build "0", the lock says "0/../../x"`) {
		t.Fatalf("err = %v, want the build mismatch", err)
	}
	if b, err := os.ReadFile(filepath.Join(victim, "keep.txt")); err != nil || string(b) != "keep" {
		t.Fatalf("outside the cache changed: %q %v", b, err)
	}

	pk.Build = "0"
	dir, err := extracted(context.Background(), c, archive, pk, "", false, logf, nil)
	if err != nil || dir != filepath.Join(pkgs, "evil-1.0-0") {
		t.Fatalf("extracted = %q, %v", dir, err)
	}
	for _, u := range []string{"https://example.invalid/linux-64/..", "https://example.invalid/linux-64/.conda", "https://example.invalid/linux-64/.locks.conda", "https://example.invalid/linux-64/evil.whl"} {
		pk.URL = u
		if _, err := extracted(context.Background(), c, archive, pk, "", false, logf, nil); err == nil {
			t.Errorf("%s: extracted", u)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(root, "a"))
	if len(ents) != 2 {
		t.Errorf("beside the cache: %v", ents)
	}
}
