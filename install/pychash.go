package install

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/envlock/envlock/install/wheel"
)

// The .pyc files compiled in a wheel's tree in the package cache have
// their RECORD hashes noted in one index at the tree's top, computed
// once, so that an install that links them need not read and hash them
// again (some 70 MB for a scientific stack). Each line names the size
// and mtime (in nanoseconds) of the file its hash was computed from; a
// .pyc rewritten since (by python, or an edit through a hard link) no
// longer matches and is hashed afresh. A note that lies can only make
// the hash recorded for an environment differ from its file, which
// verify reports: it never makes a changed file pass.
const pycIndexName = ".envlock-pyc-hashes"

// pycIndexHeader is the index's first line.
const pycIndexHeader = "envlock-pyc-hashes 1\n"

// maxPycIndex bounds the index read: a larger one is ignored.
const maxPycIndex = 16 << 20

// A pycNote is one .pyc's noted size, mtime and RECORD hash.
type pycNote struct {
	size, mtime int64
	hash        string
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
		f := strings.SplitN(sc.Text(), " ", 4)
		if len(f) != 4 {
			continue
		}
		size, err1 := strconv.ParseInt(f[0], 10, 64)
		mtime, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || size < 0 || !strings.HasPrefix(f[2], "sha256=") || len(f[2]) != len("sha256=")+43 || !filepath.IsLocal(f[3]) {
			continue
		}
		ix.notes[f[3]] = pycNote{size: size, mtime: mtime, hash: f[2]}
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
	if n, ok := ix.notes[rel]; ok && n.size == fi.Size() && n.mtime == fi.ModTime().UnixNano() {
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
	if !strings.ContainsAny(rel, "\n\r") {
		ix.notes[rel] = pycNote{size: fi.Size(), mtime: fi.ModTime().UnixNano(), hash: h}
		ix.dirty = true
	}
	return wheel.RecordEntry{Hash: h, Size: fi.Size()}, true
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
		fmt.Fprintf(&b, "%d %d %s %s\n", n.size, n.mtime, n.hash, rel)
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
