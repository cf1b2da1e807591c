package install

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/envlock/envlock/install/wheel"
)

// TestPycIndex checks that a cache tree's .pyc hash index is used only
// for the file state it was computed from: a rewritten .pyc, or a
// damaged index, is hashed afresh.
func TestPycIndex(t *testing.T) {
	dir := t.TempDir()
	rel := filepath.Join("pkg", "__pycache__", "m.cpython-311.pyc")
	full := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(data string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(full, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	hashOf := func() wheel.RecordEntry {
		t.Helper()
		ix := loadPycIndex(root)
		e, ok := ix.hash(root, rel, nil)
		if !ok {
			t.Fatalf("no hash for %s", rel)
		}
		ix.save(root)
		return e
	}
	t0 := time.Unix(1700000000, 123456789)
	write("first", t0)
	if got, want := hashOf(), wheel.Hash([]byte("first")); got.Hash != want || got.Size != 5 {
		t.Fatalf("first hash = %+v, want %s size 5", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, pycIndexName)); err != nil {
		t.Fatalf("index not written: %v", err)
	}
	// The note is used: proven by a note that differs from the file
	// whose state it names (what an edit keeping size and mtime gives;
	// verify then reports the file).
	ix := loadPycIndex(root)
	n := ix.notes[rel]
	if n.hash != wheel.Hash([]byte("first")) {
		t.Fatalf("note = %+v", n)
	}
	write("FIRST", t0)
	if got := hashOf(); got.Hash != wheel.Hash([]byte("first")) {
		t.Fatalf("hash with a matching note = %s, want the noted one", got.Hash)
	}
	// A rewrite with a new mtime is hashed afresh and noted.
	write("second!", t0.Add(time.Nanosecond))
	if got, want := hashOf(), wheel.Hash([]byte("second!")); got.Hash != want || got.Size != 7 {
		t.Fatalf("hash after a rewrite = %+v, want %s size 7", got, want)
	}
	// A damaged index is ignored.
	if err := os.WriteFile(filepath.Join(dir, pycIndexName), []byte("envlock-pyc-hashes 1\n7 x sha256=zz "+rel+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := hashOf(), wheel.Hash([]byte("second!")); got.Hash != want {
		t.Fatalf("hash with a damaged index = %s, want %s", got.Hash, want)
	}
	// A path outside the tree is never taken from an index.
	if err := os.WriteFile(filepath.Join(dir, pycIndexName), []byte("envlock-pyc-hashes 1\n7 1 "+wheel.Hash(nil)+" ../x.pyc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ix := loadPycIndex(root); len(ix.notes) != 0 {
		t.Fatalf("notes = %v, want none", ix.notes)
	}
}
