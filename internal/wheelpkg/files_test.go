package wheelpkg

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFileIndex indexes wheel files that already exist, by the Name
// and Requires-Python of their METADATA, with PEP 658 metadata beside
// them and sha256 hashes in both page formats.
func TestWriteFileIndex(t *testing.T) {
	src := t.TempDir()
	var files []string
	for _, w := range []*Wheel{
		{Name: "Tiny_Fmt", Version: "1.2", RequiresPython: ">=3.8"},
		{Name: "Tiny_Fmt", Version: "1.0"},
		{Name: "other", Version: "3", Tag: "cp311-cp311-manylinux_2_17_x86_64"},
	} {
		b, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(src, w.Filename())
		os.WriteFile(p, b, 0o644)
		files = append(files, p)
	}
	dir := t.TempDir()
	if err := WriteFileIndex(dir, files); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "simple", "tiny-fmt", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Files []struct {
			Filename       string            `json:"filename"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python"`
		} `json:"files"`
	}
	if err := json.Unmarshal(page, &j); err != nil {
		t.Fatal(err)
	}
	if len(j.Files) != 2 || j.Files[0].Filename != "Tiny_Fmt-1.0-py3-none-any.whl" || j.Files[1].RequiresPython != ">=3.8" || len(j.Files[1].Hashes["sha256"]) != 64 {
		t.Errorf("tiny-fmt page: %+v", j.Files)
	}
	meta, err := os.ReadFile(filepath.Join(dir, "files", "Tiny_Fmt-1.2-py3-none-any.whl.metadata"))
	if err != nil || !strings.Contains(string(meta), "Requires-Python: >=3.8") {
		t.Errorf("metadata file: %q, %v", meta, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "simple", "other", "index.html")); err != nil {
		t.Error(err)
	}
	os.WriteFile(filepath.Join(src, "bad-1-py3-none-any.whl"), []byte("not a zip"), 0o644)
	if err := WriteFileIndex(t.TempDir(), []string{filepath.Join(src, "bad-1-py3-none-any.whl")}); err == nil || !strings.Contains(err.Error(), "bad-1-py3-none-any.whl") {
		t.Errorf("a broken wheel: %v", err)
	}
}
