package install

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/envlock/envlock/install/wheel"
)

// pycBytes is a .pyc of CPython 3.11's magic with a timestamp header
// (flags 0, or flags when not 0) for a source of srcMtime and srcSize.
func pycBytes(flags, srcMtime, srcSize uint32, body string) []byte {
	b := []byte{0xa7, 0x0d, 0x0d, 0x0a}
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = binary.LittleEndian.AppendUint32(b, srcMtime)
	b = binary.LittleEndian.AppendUint32(b, srcSize)
	return append(b, body...)
}

// TestPycIndex checks that a cache tree's .pyc index is used only for
// the file state it was computed from (a rewritten .pyc, or a damaged
// or older index, is hashed afresh), and that a warm install's lookup
// finds a .pyc only for the source state its header names.
func TestPycIndex(t *testing.T) {
	dir := t.TempDir()
	rel := filepath.Join("pkg", "__pycache__", "m.cpython-311.pyc")
	full := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(data []byte, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(full, data, 0o644); err != nil {
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
	src := time.Unix(1690000000, 0)
	first := pycBytes(0, uint32(src.Unix()), 42, "first")
	t0 := time.Unix(1700000000, 123456789)
	write(first, t0)
	if got, want := hashOf(), wheel.Hash(first); got.Hash != want || got.Size != int64(len(first)) {
		t.Fatalf("first hash = %+v, want %s size %d", got, want, len(first))
	}
	if _, err := os.Stat(filepath.Join(dir, pycIndexName)); err != nil {
		t.Fatalf("index not written: %v", err)
	}
	// A warm install's lookup: the source state the header names, and
	// no other, finds the .pyc with its noted hash.
	ix := loadPycIndex(root)
	for _, c := range []struct {
		src   string
		size  int64
		mtime time.Time
		tag   string
		ok    bool
	}{
		{"pkg/m.py", 42, src, "cpython-311", true},
		{"pkg/m.py", 42, src.Add(time.Second), "cpython-311", false},
		{"pkg/m.py", 43, src, "cpython-311", false},
		{"pkg/m.py", 42, src, "cpython-312", false},
		{"pkg/n.py", 42, src, "cpython-311", false},
		{"pkg/m.py", 42, time.Time{}, "cpython-311", false},
	} {
		pyc, e, ok := ix.lookup(c.tag, c.src, c.size, c.mtime)
		if ok != c.ok {
			t.Errorf("lookup(%s, %s, %d, %v) ok = %v, want %v", c.tag, c.src, c.size, c.mtime, ok, c.ok)
			continue
		}
		if ok && (pyc != "pkg/__pycache__/m.cpython-311.pyc" || e.Hash != wheel.Hash(first) || e.Size != int64(len(first))) {
			t.Errorf("lookup(%s) = %s %+v", c.src, pyc, e)
		}
	}
	// The note is used: proven by a note that differs from the file
	// whose state it names (what an edit keeping size and mtime gives;
	// verify then reports the file).
	edited := pycBytes(0, uint32(src.Unix()), 42, "FIRST")
	write(edited, t0)
	if got := hashOf(); got.Hash != wheel.Hash(first) {
		t.Fatalf("hash with a matching note = %s, want the noted one", got.Hash)
	}
	// A rewrite with a new mtime is hashed afresh and noted, its header
	// with it.
	second := pycBytes(0, uint32(src.Unix())+1, 7, "second!")
	write(second, t0.Add(time.Nanosecond))
	if got, want := hashOf(), wheel.Hash(second); got.Hash != want || got.Size != int64(len(second)) {
		t.Fatalf("hash after a rewrite = %+v, want %s size %d", got, want, len(second))
	}
	if _, _, ok := loadPycIndex(root).lookup("cpython-311", "pkg/m.py", 7, src.Add(time.Second)); !ok {
		t.Fatalf("the rewritten .pyc's header is not noted")
	}
	// A hash-checked .pyc (flags not 0) is hashed but not noted: no
	// source state makes it valid.
	checked := pycBytes(3, 0, 0, "checked")
	write(checked, t0.Add(2*time.Nanosecond))
	if got := hashOf(); got.Hash != wheel.Hash(checked) {
		t.Fatalf("hash of a checked .pyc = %s, want %s", got.Hash, wheel.Hash(checked))
	}
	if n, ok := loadPycIndex(root).notes["pkg/__pycache__/m.cpython-311.pyc"]; ok && n.hash == wheel.Hash(checked) {
		t.Fatalf("a checked .pyc was noted: %+v", n)
	}
	write(second, t0.Add(time.Nanosecond))
	// A damaged index, or one of version 1, is ignored.
	for _, bad := range []string{
		"envlock-pyc-hashes 2\n7 x 1 1 sha256=zz " + rel + "\n",
		"envlock-pyc-hashes 1\n" + "23 1700000000123456790 " + wheel.Hash([]byte("x")) + " " + rel + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, pycIndexName), []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if ix := loadPycIndex(root); len(ix.notes) != 0 {
			t.Fatalf("notes of %q = %v, want none", bad, ix.notes)
		}
		if got, want := hashOf(), wheel.Hash(second); got.Hash != want {
			t.Fatalf("hash with a damaged index = %s, want %s", got.Hash, want)
		}
	}
	// A path outside the tree, or not a .pyc, is never taken from an
	// index.
	for _, p := range []string{"../x.pyc", "pkg/m.py"} {
		if err := os.WriteFile(filepath.Join(dir, pycIndexName), []byte("envlock-pyc-hashes 2\n7 1 1 1 "+wheel.Hash(nil)+" "+p+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if ix := loadPycIndex(root); len(ix.notes) != 0 {
			t.Fatalf("notes = %v, want none", ix.notes)
		}
	}
}
