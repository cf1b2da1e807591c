package verify

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// A tree is a prefix opened for reading, confined to it: every file
// verify reads or stats by a name from conda-meta or a RECORD goes
// through it, so neither "../" in a record nor a symlink in the prefix
// leads verify to hash or stat anything outside. On Linux it resolves
// names with openat2(RESOLVE_BENEATH) in one system call (the kernel
// refuses any step out); elsewhere, or where openat2 is missing, with
// os.Root.
type tree struct {
	root  *os.Root
	dir   *os.File // the prefix's directory, for openat2
	dirfd int      // its descriptor
	fast  bool     // openat2 works here

	// dirs caches descriptors of the prefix's directories for
	// lstatOpenFast (Linux), each opened once by openat2 beneath the
	// prefix.
	dirs dirCache
}

// errOutside is returned for a name that resolves outside the prefix.
var errOutside = errors.New("leads outside the prefix")

func openTree(prefix string) (*tree, error) {
	root, err := os.OpenRoot(prefix)
	if err != nil {
		return nil, err
	}
	t := &tree{root: root}
	t.initFast()
	return t, nil
}

func (t *tree) close() {
	t.dirs.close()
	if t.dir != nil {
		t.dir.Close()
	}
	t.root.Close()
}

// local reports whether rel is a relative path that stays inside the
// prefix by its text (no "..", not absolute).
func local(rel string) bool { return rel != "" && filepath.IsLocal(filepath.FromSlash(rel)) }

// Lstat is os.Lstat of rel inside the prefix.
func (t *tree) Lstat(rel string) (fs.FileInfo, error) {
	if !local(rel) {
		return nil, fmt.Errorf("%s: %w", rel, errOutside)
	}
	if t.fast {
		return t.lstatFast(rel)
	}
	return t.root.Lstat(filepath.FromSlash(rel))
}

// Stat is os.Stat of rel, following links that stay inside the prefix.
func (t *tree) Stat(rel string) (fs.FileInfo, error) {
	if !local(rel) {
		return nil, fmt.Errorf("%s: %w", rel, errOutside)
	}
	if t.fast {
		return t.statFast(rel)
	}
	return t.root.Stat(filepath.FromSlash(rel))
}

// ReadFile reads rel, following links that stay inside the prefix.
func (t *tree) ReadFile(rel string) ([]byte, error) {
	if !local(rel) {
		return nil, fmt.Errorf("%s: %w", rel, errOutside)
	}
	return t.root.ReadFile(filepath.FromSlash(rel))
}

// Open opens rel, following links that stay inside the prefix.
func (t *tree) Open(rel string) (*os.File, error) {
	if !local(rel) {
		return nil, fmt.Errorf("%s: %w", rel, errOutside)
	}
	return t.root.Open(filepath.FromSlash(rel))
}

// content is a regular file opened for hashing.
type content interface {
	// digest feeds the file into d.h and, when d.elf and rel is not
	// "", has d inspect it for the ELF scan, as the file rel.
	digest(d *digester, rel string) (int64, error)
	// inspect has d inspect the file for the ELF scan without hashing it.
	inspect(d *digester, rel string)
	close()
}

// lstatOpen is Lstat of rel; when open and rel is a regular file it is
// also opened, by the same lookup, for hashing.
func (t *tree) lstatOpen(rel string, open bool) (fs.FileInfo, content, error) {
	if !local(rel) {
		return nil, nil, fmt.Errorf("%s: %w", rel, errOutside)
	}
	if t.fast && open {
		return t.lstatOpenFast(rel)
	}
	fi, err := t.Lstat(rel)
	if err != nil || !open || !fi.Mode().IsRegular() {
		return fi, nil, err
	}
	f, err := t.root.OpenFile(filepath.FromSlash(rel), os.O_RDONLY, 0)
	if err != nil {
		return fi, nil, nil // hashFile reports it
	}
	return fi, fileContent{f, fi.Size()}, nil
}

type fileContent struct {
	f    *os.File
	size int64
}

func (c fileContent) inspect(d *digester, rel string) { d.inspect(rel, c.f, c.size) }

func (c fileContent) digest(d *digester, rel string) (int64, error) {
	// The anonymous struct hides (*os.File).WriteTo, whose fallback
	// allocates a buffer per file.
	n, err := io.CopyBuffer(d.h, struct{ io.Reader }{c.f}, d.buf)
	if err == nil && d.elf && rel != "" {
		d.inspect(rel, c.f, n)
	}
	return n, err
}

func (c fileContent) close() { c.f.Close() }

// hashFile feeds the file rel (following links that stay inside the
// prefix) into d.h.
func (t *tree) hashFile(rel string, d *digester) (int64, error) {
	if !local(rel) {
		return 0, fmt.Errorf("%s: %w", rel, errOutside)
	}
	if t.fast {
		return t.hashFast(rel, d)
	}
	f, err := t.root.Open(filepath.FromSlash(rel))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.CopyBuffer(d.h, struct{ io.Reader }{f}, d.buf)
}

// outside reports whether err says a name resolved outside the prefix.
func outside(err error) bool {
	return errors.Is(err, errOutside) || isEscape(err)
}
