package install

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/envlock/envlock/install/wheel"
)

// The .pyc files compiled in a wheel's tree in the package cache are
// noted in one index at the tree's top, each with its RECORD hash and
// the source state its header is valid for (PEP 552: the .py's mtime
// and size), written under the cache entry's lock by the install that
// compiled them. A warm install reads the index alone: a .py whose
// archive mtime and size (what the tree keeps) match its note has its
// .pyc linked and recorded with the noted hash, no .pyc opened, read or
// hashed (some 3,400 files and 70 MB for a scientific stack). Each note
// also names the size and mtime (in nanoseconds) of the .pyc it was
// computed from, for the installs that do look at the file (a first
// install, a repair): a .pyc rewritten since no longer matches and is
// hashed afresh. A note that lies (a .pyc edited through a hard link)
// can only make the hash recorded for an environment differ from its
// file, which verify reports and 'envlock install' repairs (it compiles
// the tree's byte-code afresh): it never makes a changed file pass.
// A .py that python would not compile (Python 2 code in a test
// directory, say) is noted too, hash noCompile, so that a warm install
// starts no python to try again.
const pycIndexName = ".envlock-pyc-hashes"

// noCompile is the hash noted for a source that did not compile.
const noCompile = "-"

// pycIndexHeader is the index's first line; an index of another
// version is ignored (and rewritten when the tree is next compiled).
const pycIndexHeader = "envlock-pyc-hashes 2\n"

// maxPycIndex bounds the index read: a larger one is ignored.
const maxPycIndex = 16 << 20

// A pycNote is one .pyc's noted size, mtime, header and RECORD hash.
type pycNote struct {
	size, mtime int64
	// srcMtime and srcSize are the source's state as the .pyc's
	// (timestamp-checked) header names it.
	srcMtime, srcSize uint32
	hash              string
}

// A pycIndex is the notes of one cache tree, by path in the tree.
type pycIndex struct {
	notes map[string]pycNote
	dirty bool
}

// loadPycIndex reads the index of the tree from; a missing or damaged
// one is empty.
func loadPycIndex(from *os.Root) *pycIndex {
	ix := &pycIndex{notes: map[string]pycNote{}}
	fi, err := from.Lstat(pycIndexName)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxPycIndex {
		return ix
	}
	data, err := from.ReadFile(pycIndexName)
	if err != nil || !bytes.HasPrefix(data, []byte(pycIndexHeader)) {
		return ix
	}
	sc := bufio.NewScanner(bytes.NewReader(data[len(pycIndexHeader):]))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 6)
		if len(f) != 6 {
			continue
		}
		size, err1 := strconv.ParseInt(f[0], 10, 64)
		mtime, err2 := strconv.ParseInt(f[1], 10, 64)
		srcMtime, err3 := strconv.ParseUint(f[2], 10, 32)
		srcSize, err4 := strconv.ParseUint(f[3], 10, 32)
		hash, rel := f[4], f[5]
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || size < 0 || (hash != noCompile && (!strings.HasPrefix(hash, "sha256=") || len(hash) != len("sha256=")+43)) || !filepath.IsLocal(rel) || !strings.HasSuffix(rel, ".pyc") {
			continue
		}
		ix.notes[rel] = pycNote{size: size, mtime: mtime, srcMtime: uint32(srcMtime), srcSize: uint32(srcSize), hash: hash}
	}
	return ix
}

// hash returns the RECORD entry (hash and size) of the .pyc rel in the
// tree from, whose state fi is (from an open file, not followed
// through a link; nil when not known): from the index when its note
// matches, else hashed now and noted.
func (ix *pycIndex) hash(from *os.Root, rel string, fi fs.FileInfo) (wheel.RecordEntry, bool) {
	if fi == nil {
		var err error
		if fi, err = from.Lstat(rel); err != nil {
			return wheel.RecordEntry{}, false
		}
	}
	if !fi.Mode().IsRegular() {
		return wheel.RecordEntry{}, false
	}
	if n, ok := ix.notes[rel]; ok && n.hash != noCompile && n.size == fi.Size() && n.mtime == fi.ModTime().UnixNano() {
		return wheel.RecordEntry{Hash: n.hash, Size: n.size}, true
	}
	data, err := from.ReadFile(rel)
	if err != nil {
		return wheel.RecordEntry{}, false
	}
	// The file read must be the one stat'ed: a rewrite in between
	// changes its size or mtime, and then nothing is noted or trusted.
	after, err := from.Lstat(rel)
	if err != nil || !os.SameFile(fi, after) || after.Size() != int64(len(data)) || !after.ModTime().Equal(fi.ModTime()) {
		return wheel.RecordEntry{}, false
	}
	h := wheel.Hash(data)
	// Only a timestamp-checked .pyc (flags 0) is noted: its header
	// names the source state it is valid for.
	if len(data) >= 16 && binary.LittleEndian.Uint32(data[4:8]) == 0 && !strings.ContainsAny(rel, "\n\r") {
		ix.notes[rel] = pycNote{size: fi.Size(), mtime: fi.ModTime().UnixNano(), srcMtime: binary.LittleEndian.Uint32(data[8:12]), srcSize: binary.LittleEndian.Uint32(data[12:16]), hash: h}
		ix.dirty = true
	}
	return wheel.RecordEntry{Hash: h, Size: fi.Size()}, true
}

// lookup is what wheel.Options.Bytecode asks: the .pyc for tag
// ("cpython-311") noted beside the tree's .py file src (a slash path)
// whose header is valid for src's size and mtime, and its RECORD entry;
// "" and true for a source of that state noted as not compiling.
func (ix *pycIndex) lookup(tag, src string, size int64, mtime time.Time) (string, wheel.RecordEntry, bool) {
	pyc := pycFor(tag, src)
	if pyc == "" || mtime.IsZero() {
		return "", wheel.RecordEntry{}, false
	}
	n, ok := ix.notes[pyc]
	if !ok || n.srcMtime != uint32(mtime.Unix()) || n.srcSize != uint32(size) {
		return "", wheel.RecordEntry{}, false
	}
	if n.hash == noCompile {
		return "", wheel.RecordEntry{}, true
	}
	return pyc, wheel.RecordEntry{Hash: n.hash, Size: n.size}, true
}

// pycFor is the .pyc path for tag of the .py file src (slash paths);
// "" when either is not one.
func pycFor(tag, src string) string {
	if tag == "" || !strings.HasSuffix(src, ".py") {
		return ""
	}
	return path.Join(path.Dir(src), "__pycache__", strings.TrimSuffix(path.Base(src), ".py")+"."+tag+".pyc")
}

// noteFailed notes that the tree's .py file src (a slash path), of size
// and mtime as fi has them, did not compile for tag.
func (ix *pycIndex) noteFailed(tag, src string, fi fs.FileInfo) {
	pyc := pycFor(tag, src)
	if pyc == "" || fi == nil || !fi.Mode().IsRegular() || strings.ContainsAny(pyc, "\n\r") {
		return
	}
	ix.notes[pyc] = pycNote{srcMtime: uint32(fi.ModTime().Unix()), srcSize: uint32(fi.Size()), hash: noCompile}
	ix.dirty = true
}

// save writes the index back when it gained notes, atomically (temp,
// fsync, rename); a cache that does not take it (read-only) is left as
// it is: the notes are only a saving.
func (ix *pycIndex) save(from *os.Root) {
	if !ix.dirty {
		return
	}
	var b bytes.Buffer
	b.WriteString(pycIndexHeader)
	for rel, n := range ix.notes {
		fmt.Fprintf(&b, "%d %d %d %d %s %s\n", n.size, n.mtime, n.srcMtime, n.srcSize, n.hash, rel)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", pycIndexName, os.Getpid())
	f, err := from.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return
	}
	_, werr := f.Write(b.Bytes())
	serr := f.Sync()
	if cerr := f.Close(); werr != nil || serr != nil || cerr != nil {
		from.Remove(tmp)
		return
	}
	if err := from.Rename(tmp, pycIndexName); err != nil {
		from.Remove(tmp)
	}
}
