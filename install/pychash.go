package install

import (
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/envlock/envlock/install/wheel"
)

// A .pyc compiled in a wheel's tree in the package cache has its RECORD
// hash kept beside it, in "<name>.pyc.sha256", computed once, so that
// an install that links the .pyc need not read and hash it again (some
// 70 MB for a scientific stack). The note names the size and mtime (in
// nanoseconds) of the file it was computed from; a .pyc rewritten since
// (by python, or an edit through a hard link) no longer matches and is
// hashed afresh. A note that lies can only make the hash recorded for
// the environment differ from its file, which verify reports: it can
// never make a changed file pass.
const pycHashSuffix = ".sha256"

// pycHashNote is the note's content for a file of that size, mtime and
// RECORD hash.
func pycHashNote(fi fs.FileInfo, hash string) string {
	return fmt.Sprintf("envlock-pyc-hash 1 %d %d %s\n", fi.Size(), fi.ModTime().UnixNano(), hash)
}

// cachedPycHash returns the RECORD entry (hash and size) of the .pyc rel
// in the cache tree from, linked to dest in the stage: from its note
// when the note matches the file, else hashed now and noted (when the
// cache takes it: a read-only cache is only read). ok is false when
// dest is not the cache's file (the caller then hashes the stage's).
func cachedPycHash(from, stage *os.Root, rel, dest string) (wheel.RecordEntry, bool) {
	fi, err := from.Lstat(rel)
	if err != nil || !fi.Mode().IsRegular() {
		return wheel.RecordEntry{}, false
	}
	if si, err := stage.Lstat(dest); err != nil || !os.SameFile(fi, si) {
		return wheel.RecordEntry{}, false
	}
	note := rel + pycHashSuffix
	if b, err := from.ReadFile(note); err == nil && len(b) < 256 {
		if h, ok := parsePycHashNote(string(b), fi); ok {
			return wheel.RecordEntry{Hash: h, Size: fi.Size()}, true
		}
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
	tmp := fmt.Sprintf("%s.tmp-%d", note, os.Getpid())
	if err := from.WriteFile(tmp, []byte(pycHashNote(fi, h)), 0o644); err == nil {
		if err := from.Rename(tmp, note); err != nil {
			from.Remove(tmp)
		}
	}
	return wheel.RecordEntry{Hash: h, Size: fi.Size()}, true
}

// parsePycHashNote returns the hash a note holds when it was made for a
// file of fi's size and mtime.
func parsePycHashNote(s string, fi fs.FileInfo) (string, bool) {
	f := strings.Fields(s)
	if len(f) != 5 || f[0] != "envlock-pyc-hash" || f[1] != "1" || !strings.HasSuffix(s, "\n") {
		return "", false
	}
	size, err1 := strconv.ParseInt(f[2], 10, 64)
	mtime, err2 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || size != fi.Size() || mtime != fi.ModTime().UnixNano() {
		return "", false
	}
	if !strings.HasPrefix(f[4], "sha256=") || len(f[4]) != len("sha256=")+43 {
		return "", false
	}
	return f[4], true
}
