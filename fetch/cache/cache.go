// Package cache is envlock's package cache, laid out like conda's
// pkgs_dirs so conda and mamba could reuse it: each archive under its file
// name, and later its extracted tree <name>-<version>-<build>/.
//
// A cache is an ordered list of directories: the first writable one
// receives new entries, read-only ones (an admin's group cache) are only
// read. Several processes, on several nodes of a shared file system, may
// fill one cache at once: each entry is written under a per-entry lock
// file (.locks/<entry>.lock) to a temporary name (.<fn>.part-* for an
// archive, .<name>.tmp-* for an extracted tree) and renamed into place,
// so a killed process leaves nothing that looks complete. What it does
// leave, the temporary files, is removed by the next Open (Sweep), each
// only when its entry's lock is free, so a writer still at work on
// another node keeps its file. Every archive is checked against its
// sha256 before it is used; a corrupt one is replaced, never used.
// Downloads stop at the locked size.
//
// Entry names are file names from the lock, checked by CheckName (no
// separators, no "..", no leading dot, which is the cache's own), and
// every removal inside the cache goes through os.Root: no name can make
// the cache write or delete outside its directory.
//
// When a cache directory is group-writable or setgid (a lab's shared
// cache), everything created in it is made group-readable and writable
// whatever the user's umask, so the next member of the group can reuse it.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// An Artifact is a file the cache holds: a conda package or a wheel.
type Artifact struct {
	Fn     string // file name in the cache
	URL    string
	SHA256 string // hex; required
	Size   int64  // 0 when unknown
}

// A Cache is an ordered list of package directories.
type Cache struct {
	dirs     []string
	writable string
	shared   bool        // group-shared permissions
	fileMode os.FileMode // for files created in the writable dir
	dirMode  os.FileMode
}

// Options adjust Open.
type Options struct {
	// Mode forces the permission bits of files created in the cache
	// (e.g. 0o664); directories get the matching execute bits. 0 picks
	// group-shared modes when the writable directory is group-writable
	// or setgid, else the umask's.
	Mode os.FileMode
}

// DefaultDirs returns the cache directories: $ENVLOCK_PKGS_DIRS
// (colon-separated, first writable used), else
// $XDG_CACHE_HOME/envlock/pkgs or ~/.cache/envlock/pkgs.
func DefaultDirs(getenv func(string) string) []string {
	if v := getenv("ENVLOCK_PKGS_DIRS"); v != "" {
		var out []string
		for _, d := range filepath.SplitList(v) {
			if d != "" {
				out = append(out, d)
			}
		}
		return out
	}
	base := getenv("XDG_CACHE_HOME")
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		base = filepath.Join(home, ".cache")
	}
	return []string{filepath.Join(base, "envlock", "pkgs")}
}

// ErrNoWritableDir is returned when no cache directory can be written.
var ErrNoWritableDir = errors.New("no writable package cache directory")

// Open opens the cache over dirs, creating the first one if none exists,
// and finds the first writable directory.
func Open(dirs []string, opts Options) (*Cache, error) {
	if len(dirs) == 0 {
		return nil, errors.New("no package cache directories given")
	}
	c := &Cache{dirs: dirs}
	for i, d := range dirs {
		if i == 0 {
			os.MkdirAll(d, 0o755) // best effort; a read-only first dir is fine
		}
		if isWritable(d) {
			c.writable = d
			break
		}
	}
	if c.writable != "" {
		fi, err := os.Stat(c.writable)
		if err == nil && (fi.Mode()&os.ModeSetgid != 0 || fi.Mode().Perm()&0o020 != 0) {
			c.shared = true
		}
	}
	switch {
	case opts.Mode != 0:
		c.fileMode = opts.Mode.Perm()
		c.dirMode = c.fileMode | (c.fileMode&0o444)>>2
	case c.shared:
		c.fileMode, c.dirMode = 0o664, 0o775|os.ModeSetgid // os.FileMode spells setgid as a flag, not 0o2000
	default:
		c.fileMode, c.dirMode = 0o644, 0o755
	}
	c.Sweep()
	return c, nil
}

// CheckName reports whether name can be a cache entry: a file name from
// the lock (an archive) or its stem (an extracted tree). It must be one
// path element, not hidden (names starting with a dot are the cache's own:
// locks, stamps, temporary files), without control characters.
func CheckName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("invalid package cache entry name %q", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("invalid package cache entry name %q: it holds a path separator", name)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("invalid package cache entry name %q: it starts with a dot", name)
	case len(name) > 250:
		return fmt.Errorf("invalid package cache entry name %q: longer than 250 bytes", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("invalid package cache entry name %q: it holds a control character", name)
		}
	}
	return nil
}

// TempPrefix is how temporary names of the entry name begin: an
// extraction of name writes to TempPrefix(name)+random and renames.
func TempPrefix(name string) string { return "." + name + tmpInfix }

const (
	tmpInfix  = ".tmp-"
	partInfix = ".part-"
)

// Sweep removes what killed runs left in the writable directory:
// partial downloads and extractions whose entry is not locked by a live
// writer (on any node sharing the cache), and stale write probes. It is
// best effort and returns the names it removed.
func (c *Cache) Sweep() []string {
	if c.writable == "" {
		return nil
	}
	ents, err := os.ReadDir(c.writable)
	if err != nil {
		return nil
	}
	var root *os.Root
	defer func() {
		if root != nil {
			root.Close()
		}
	}()
	var removed []string
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, ".") {
			continue
		}
		var entry string
		switch {
		case strings.HasPrefix(n, ".envlock-probe-"):
			if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < time.Hour {
				continue
			}
		case strings.LastIndex(n, partInfix) > 1:
			entry = n[1:strings.LastIndex(n, partInfix)]
		case strings.LastIndex(n, tmpInfix) > 1:
			entry = n[1:strings.LastIndex(n, tmpInfix)]
		default:
			continue
		}
		if entry != "" && CheckName(entry) != nil {
			continue // not a name the cache would have made
		}
		if root == nil {
			if root, err = os.OpenRoot(c.writable); err != nil {
				return removed
			}
		}
		if entry == "" {
			if root.Remove(n) == nil {
				removed = append(removed, n)
			}
			continue
		}
		lk, ok := c.tryLock(entry)
		if !ok {
			continue // a writer is at work
		}
		if root.RemoveAll(n) == nil {
			removed = append(removed, n)
		}
		lk.Unlock()
	}
	return removed
}

// RemoveEntry removes the entry name (an archive or an extracted tree)
// from the writable directory, through os.Root so that nothing outside
// it is touched whatever the entry holds. The caller holds its lock.
func (c *Cache) RemoveEntry(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if c.writable == "" {
		return ErrNoWritableDir
	}
	root, err := os.OpenRoot(c.writable)
	if err != nil {
		return err
	}
	defer root.Close()
	return root.RemoveAll(name)
}

func isWritable(dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	f, err := os.CreateTemp(dir, ".envlock-probe-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// Dirs returns the cache directories in order.
func (c *Cache) Dirs() []string { return c.dirs }

// Writable returns the directory new entries go to, or "".
func (c *Cache) Writable() string { return c.writable }

// Shared reports whether entries are made group-shared.
func (c *Cache) Shared() bool { return c.shared }

// FileMode returns the mode of files the cache creates.
func (c *Cache) FileMode() os.FileMode { return c.fileMode }

// DirMode returns the mode of directories the cache creates.
func (c *Cache) DirMode() os.FileMode { return c.dirMode }

// Find returns the path of a verified copy of a in any cache directory.
// A copy whose hash does not match is ignored (and removed when it is in
// the writable directory).
func (c *Cache) Find(a Artifact) (string, bool) {
	if CheckName(a.Fn) != nil {
		return "", false
	}
	for _, d := range c.dirs {
		p := filepath.Join(d, a.Fn)
		if !fileExists(p) {
			continue
		}
		if c.verified(p, a) {
			return p, true
		}
		if d == c.writable {
			os.Remove(p)
			os.Remove(stampPath(p))
		}
	}
	return "", false
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// stampPath is where the cache remembers that a file was hashed: its
// sha256, size and modification time, so an unchanged file is not
// hashed again on every use.
func stampPath(p string) string {
	return filepath.Join(filepath.Dir(p), ".verified", filepath.Base(p))
}

func (c *Cache) verified(p string, a Artifact) bool {
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	if a.Size > 0 && fi.Size() != a.Size {
		return false
	}
	stamp := fmt.Sprintf("%s %d %d", strings.ToLower(a.SHA256), fi.Size(), fi.ModTime().UnixNano())
	if b, err := os.ReadFile(stampPath(p)); err == nil && string(b) == stamp {
		return true
	}
	sum, err := HashFile(p)
	if err != nil || !strings.EqualFold(sum, a.SHA256) {
		return false
	}
	if c.writable != "" && filepath.Dir(p) == c.writable {
		c.writeStamp(p, stamp)
	}
	return true
}

func (c *Cache) writeStamp(p, stamp string) {
	f, err := c.metaFile(".verified", filepath.Base(p), os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return
	}
	f.WriteString(stamp)
	f.Close()
}

// metaFile opens the cache's own file sub/name in the writable
// directory (.locks/<entry>.lock, .verified/<entry>), making sub when
// missing, with the cache's modes applied through the open file. It goes
// through os.Root: in a group-writable cache another member could
// replace sub or the file with a symlink, and envlock would then create,
// truncate or chmod a file of the user's elsewhere.
func (c *Cache) metaFile(sub, name string, flag int) (*os.File, error) {
	root, err := os.OpenRoot(c.writable)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if err := root.Mkdir(sub, c.dirMode.Perm()); err == nil {
		root.Chmod(sub, c.dirMode) // the umask narrowed it; it is ours, just made
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	if fi, err := root.Lstat(sub); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s: %s is not a directory; the package cache was tampered with", c.writable, sub)
	}
	f, err := root.OpenFile(sub+"/"+name, flag|syscallNoFollow, c.fileMode)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm() != c.fileMode && fi.Mode().IsRegular() {
		f.Chmod(c.fileMode) // through the descriptor: never a link's target
	}
	return f, nil
}

// HashFile returns the hex sha256 of a file.
func HashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// HashIn returns the hex sha256 of the file name inside root.
func HashIn(root *os.Root, name string) (string, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// A HashError says an artifact's bytes are not the locked ones.
type HashError struct {
	Fn, URL     string
	Want, Got   string
	Size, Want2 int64
}

// maxUnknownSize bounds an artifact whose size the lock does not
// record (the lock schema makes size optional): the largest conda
// packages are a few GB; an endless stream must not fill the disk. A
// variable for tests.
var maxUnknownSize int64 = 32 << 30

func (e *HashError) Error() string {
	if e.Want2 <= 0 && e.Size > maxUnknownSize {
		return fmt.Sprintf("%s: more than %d bytes (from %s), and the lock records no size; the download was stopped there: re-lock to record sizes, or check the source", e.Fn, maxUnknownSize, e.URL)
	}
	if e.Want2 > 0 && e.Size > e.Want2 {
		return fmt.Sprintf("%s: more than the %d bytes the lock says (from %s); the download was stopped there: the file is not the locked package", e.Fn, e.Want2, e.URL)
	}
	if e.Want2 > 0 && e.Size != e.Want2 {
		return fmt.Sprintf("%s: size %d, the lock says %d (from %s); the file is truncated or is not the locked package", e.Fn, e.Size, e.Want2, e.URL)
	}
	return fmt.Sprintf("%s: sha256 %s, the lock says %s (from %s); the file is corrupt or was replaced since the lock was made — nothing was installed", e.Fn, e.Got, e.Want, e.URL)
}

// Writer is an entry being written: data goes to a temporary file that
// Commit verifies and renames into place.
type Writer struct {
	c     *Cache
	a     Artifact
	f     *os.File
	h     hashWriter
	final string
	lock  *Lock
	n     int64
}

// Create starts writing a into the writable directory, holding the
// entry's lock until Commit or Abort. If another process completed the
// entry meanwhile, Create returns its path and a nil Writer.
func (c *Cache) Create(a Artifact) (*Writer, string, error) {
	if c.writable == "" {
		return nil, "", fmt.Errorf("%w among %s; pass --pkgs-dir or set ENVLOCK_PKGS_DIRS", ErrNoWritableDir, strings.Join(c.dirs, ", "))
	}
	if err := CheckName(a.Fn); err != nil {
		return nil, "", err
	}
	lk, err := c.lock(a.Fn)
	if err != nil {
		return nil, "", err
	}
	if p, ok := c.Find(a); ok {
		lk.Unlock()
		return nil, p, nil
	}
	f, err := os.CreateTemp(c.writable, "."+a.Fn+partInfix+"*")
	if err != nil {
		lk.Unlock()
		return nil, "", err
	}
	w := &Writer{c: c, a: a, f: f, final: filepath.Join(c.writable, a.Fn), lock: lk}
	w.h.h = sha256.New()
	return w, "", nil
}

// Write appends to the entry. Past the locked size it writes nothing
// more and fails with a *HashError: a server that never stops, or
// file:///dev/zero, fills no disk.
func (w *Writer) Write(p []byte) (int, error) {
	limit := w.a.Size
	if limit <= 0 {
		limit = maxUnknownSize
	}
	if w.n+int64(len(p)) > limit {
		return 0, &HashError{Fn: w.a.Fn, URL: w.a.URL, Want: w.a.SHA256, Size: w.n + int64(len(p)), Want2: w.a.Size}
	}
	n, err := w.f.Write(p)
	w.h.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Written returns how many bytes were written.
func (w *Writer) Written() int64 { return w.n }

// Reset empties the entry to write it again from the start.
func (w *Writer) Reset() error {
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	w.h.h.Reset()
	w.n = 0
	return nil
}

// Commit checks size and sha256 and moves the entry into place.
func (w *Writer) Commit() (string, error) {
	defer w.lock.Unlock()
	got := hex.EncodeToString(w.h.h.Sum(nil))
	w.f.Chmod(w.c.fileMode) // through the descriptor: the umask narrowed it
	serr := w.f.Sync()
	cerr := w.f.Close()
	if err := errors.Join(serr, cerr); err != nil {
		os.Remove(w.f.Name())
		return "", err
	}
	if (w.a.Size > 0 && w.n != w.a.Size) || !strings.EqualFold(got, w.a.SHA256) {
		os.Remove(w.f.Name())
		return "", &HashError{Fn: w.a.Fn, URL: w.a.URL, Want: w.a.SHA256, Got: got, Size: w.n, Want2: w.a.Size}
	}
	if err := os.Rename(w.f.Name(), w.final); err != nil {
		os.Remove(w.f.Name())
		return "", err
	}
	if fi, err := os.Stat(w.final); err == nil {
		w.c.writeStamp(w.final, fmt.Sprintf("%s %d %d", strings.ToLower(w.a.SHA256), fi.Size(), fi.ModTime().UnixNano()))
	}
	return w.final, nil
}

// Abort drops the entry.
func (w *Writer) Abort() {
	w.f.Close()
	os.Remove(w.f.Name())
	w.lock.Unlock()
}

type hashWriter struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
		Reset()
	}
}

// Lock is a held per-entry lock.
type Lock struct {
	f *os.File
}

// lock takes the entry's lock file, waiting for another holder.
func (c *Cache) lock(fn string) (*Lock, error) {
	f, err := c.metaFile(".locks", fn+".lock", os.O_CREATE|os.O_RDWR)
	if err != nil {
		return nil, fmt.Errorf("locking the cache entry %s: %w", fn, err)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the cache entry %s in %s: %v", fn, c.writable, err)
	}
	f.Truncate(0)
	f.WriteString(strconv.Itoa(os.Getpid()))
	return &Lock{f: f}, nil
}

// Unlock releases the lock.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	funlock(l.f)
	l.f.Close()
	l.f = nil
}

// LockEntry takes the lock of an entry by name (for extraction and other
// multi-step writes of derived entries).
func (c *Cache) LockEntry(name string) (*Lock, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if c.writable == "" {
		return nil, ErrNoWritableDir
	}
	return c.lock(name)
}

// tryLock takes the entry's lock if no one holds it.
func (c *Cache) tryLock(name string) (*Lock, bool) {
	f, err := c.metaFile(".locks", name+".lock", os.O_CREATE|os.O_RDWR)
	if err != nil {
		return nil, false
	}
	if !tryFlock(f) {
		f.Close()
		return nil, false
	}
	return &Lock{f: f}, true
}
