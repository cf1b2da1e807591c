package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHostileVerifyRecords: a conda-meta record naming a path with "../"
// out of the prefix, and one whose path is a link out of it, each with
// the true sha256 of the canary file it points at. verify reports both
// as paths out of the prefix and reads neither: had it followed them,
// the hashes would have matched and nothing would be reported.
func TestHostileVerifyRecords(t *testing.T) {
	h := newHostileEnv(t)
	other := filepath.Join(h.Envs, "other")
	h.MustRun("install", "-p", other)
	h.allowBeside = regexp.MustCompile(`^(\.envlock-[^/]*\.lock|other)$`)

	canary := filepath.Join(h.Root, "canary", "keep.txt")
	data, err := os.ReadFile(canary)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	climb, err := filepath.Rel(other, canary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(canary, filepath.Join(other, "lib", "leak")); err != nil {
		t.Fatal(err)
	}
	recPath := filepath.Join(other, "conda-meta", "greet-1.0.0-h2345678_0.json")
	b, err := os.ReadFile(recPath)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	pd := rec["paths_data"].(map[string]any)
	for _, p := range []string{filepath.ToSlash(climb), "lib/leak"} {
		rec["files"] = append(rec["files"].([]any), p)
		pd["paths"] = append(pd["paths"].([]any), map[string]any{"_path": p, "path_type": "hardlink", "sha256": hex.EncodeToString(sum[:]), "size_in_bytes": len(data)})
	}
	b, _ = json.Marshal(rec)
	if err := os.WriteFile(recPath, b, 0o644); err != nil {
		t.Fatal(err)
	}

	out, _ := h.Expect(1, `^$`, "verify", "-p", other, "--json")
	var r struct {
		Status string `json:"status"`
		Files  struct {
			Issues []struct{ Path, Kind, Got string }
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, fi := range r.Files.Issues {
		got[fi.Path] = fi.Got
	}
	for _, p := range []string{filepath.ToSlash(climb), "lib/leak"} {
		if got[p] != "a path out of the prefix (not read)" {
			t.Errorf("verify's issue for %s: %q, want a path out of the prefix (not read); all issues: %v", p, got[p], got)
		}
	}
	if r.Status != "drift" || len(r.Files.Issues) != 2 {
		t.Errorf("status %s with %d issues, want drift with exactly the 2 planted: %v", r.Status, len(r.Files.Issues), got)
	}
}

// TestHostileWheelBomb: a 200 KB wheel whose one file unpacks to 200 MiB
// of zeros is refused before anything is unpacked, in bounded memory,
// through the CLI.
func TestHostileWheelBomb(t *testing.T) {
	h := newHostileEnv(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := map[string][]byte{
		"bomb-1.0.dist-info/METADATA": []byte("Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n"),
		"bomb-1.0.dist-info/WHEEL":    []byte("Wheel-Version: 1.0\nGenerator: hostile\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
	}
	var record strings.Builder
	for _, name := range []string{"bomb-1.0.dist-info/METADATA", "bomb-1.0.dist-info/WHEEL"} {
		w, _ := zw.Create(name)
		w.Write(files[name])
		record.WriteString(name + ",,\n")
	}
	w, _ := zw.Create("bomb/data.bin")
	zeros := make([]byte, 1<<20)
	for range 200 {
		w.Write(zeros)
	}
	record.WriteString("bomb/data.bin,,\nbomb-1.0.dist-info/RECORD,,\n")
	w, _ = zw.Create("bomb-1.0.dist-info/RECORD")
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := h.WriteFile("wheels/bomb-1.0-py3-none-any.whl", buf.String())
	sum := sha256.Sum256(buf.Bytes())
	m := h.Lock()
	pl := m["platforms"].([]any)[0].(map[string]any)
	pl["pypi"] = []any{map[string]any{"name": "bomb", "version": "1.0", "url": "file://" + p, "sha256": hex.EncodeToString(sum[:]), "size": buf.Len()}}
	l := h.WriteJSON("bomb.lock", m)
	h.Expect(1, `bomb-1\.0-py3-none-any\.whl.*it unpacks to 209715\d+ bytes from a \d+-byte archive, more than \d+: refusing it \(a zip bomb\?\)`, "install", "--lock", l, "-p", h.Prefix)
}
