package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConfined makes conda-meta name files outside the prefix — by
// "../", through a chain of relative links, through an absolute link —
// each with the true hash of the outside file, and links a record out of
// conda-meta: verify reports each as a path out of the prefix and reads
// none of them (before, it hashed them and called the prefix clean).
func TestConfined(t *testing.T) {
	e := demoEnv(t)
	outsideDir := t.TempDir()
	secret := "outside the prefix\n"
	write(t, filepath.Join(outsideDir, "secret"), secret)
	sum := sha256.Sum256([]byte(secret))
	hash := hex.EncodeToString(sum[:])
	// share/a/b -> ../.. (the prefix), share/up -> a/b/.. , share/esc ->
	// up/../<outsideDir relative to the prefix>.
	rel, err := filepath.Rel(e.path("share"), outsideDir)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(e.path("share/a"), 0o755)
	for link, target := range map[string]string{"share/a/b": "../..", "share/up": "a/b/..", "share/esc": rel, "share/abs": outsideDir} {
		if err := os.Symlink(target, e.path(link)); err != nil {
			t.Fatal(err)
		}
	}
	dotdot, _ := filepath.Rel(e.prefix, filepath.Join(outsideDir, "secret"))
	rec := e.path("conda-meta/greet-1.0.0-h2345678_0.json")
	var m map[string]any
	b, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &m)
	pd := m["paths_data"].(map[string]any)
	paths := pd["paths"].([]any)
	size := len(secret)
	for _, p := range []string{filepath.ToSlash(dotdot), "share/esc/secret", "share/abs/secret"} {
		paths = append(paths, map[string]any{"_path": p, "path_type": "hardlink", "sha256": hash, "size_in_bytes": size})
	}
	pd["paths"] = paths
	b, _ = json.Marshal(m)
	write(t, rec, string(b))
	// A record that is a link to a record outside.
	write(t, filepath.Join(outsideDir, "evil.json"), `{"name":"evil","version":"1","build":"0","files":["secret"]}`)
	if err := os.Symlink(filepath.Join(outsideDir, "evil.json"), e.path("conda-meta/evil-1-0.json")); err != nil {
		t.Fatal(err)
	}

	r := e.verify(t, Options{})
	got := issues(r)
	for _, want := range []string{
		"type " + filepath.ToSlash(dotdot) + " greet-1.0.0-h2345678_0",
		"type share/esc/secret greet-1.0.0-h2345678_0",
		"type share/abs/secret greet-1.0.0-h2345678_0",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing issue %q in %q", want, got)
		}
	}
	for _, fi := range r.Files.Issues {
		if strings.Contains(fi.Path, "secret") && fi.Got != "a path out of the prefix (not read)" {
			t.Errorf("%s: got %q", fi.Path, fi.Got)
		}
	}
	if len(r.Packages.Unreadable) != 1 || !strings.HasPrefix(r.Packages.Unreadable[0], "conda-meta/evil-1-0.json: ") {
		t.Errorf("unreadable = %q, want the linked-out record", r.Packages.Unreadable)
	}
	if r.Status == StatusClean {
		t.Error("a prefix whose records point outside it verified clean")
	}
}
