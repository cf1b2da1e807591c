//go:build !unix

package extract

import (
	"errors"
	"os"
	"time"
)

// dirs is the extractor's layer over os.Root; on systems without the
// *at calls every operation goes through the root as it is.
type dirs struct {
	root   *os.Root
	settle func() // unused: no descriptors are kept
}

func newDirs(root *os.Root) (*dirs, error) { return &dirs{root: root}, nil }

func (d *dirs) close() {}

func (d *dirs) mkdir(name string, perm os.FileMode) error {
	err := d.root.Mkdir(name, perm)
	if os.IsExist(err) {
		if fi, serr := d.root.Lstat(name); serr == nil && fi.IsDir() {
			return nil
		}
	}
	return err
}

func (d *dirs) create(name string, perm os.FileMode) (*outFile, error) {
	f, err := d.root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_EXCL, perm)
	if err != nil {
		return nil, err
	}
	return &outFile{File: f, d: d, name: name}, nil
}

func (d *dirs) open(name string) (*os.File, error) { return d.root.Open(name) }

func (d *dirs) symlink(target, name string) error { return d.root.Symlink(target, name) }

func (d *dirs) link(old, name string) error { return d.root.Link(old, name) }

func (d *dirs) remove(name string, isDir bool) error { return d.root.Remove(name) }

func (d *dirs) chtimes(name string, t time.Time) error { return d.root.Chtimes(name, t, t) }

func (d *dirs) chmodDir(dir string, mode os.FileMode) error { return d.root.Chmod(dir, mode) }

// An outFile is a file being extracted.
type outFile struct {
	*os.File
	d     *dirs
	name  string
	mtime time.Time
}

func (f *outFile) chmod(mode os.FileMode) error { return f.File.Chmod(mode) }

// setTime records the mtime, set once the file is closed.
func (f *outFile) setTime(t time.Time) error { f.mtime = t; return nil }

func (f *outFile) Close() error {
	if err := f.File.Close(); err != nil {
		return err
	}
	if f.mtime.IsZero() {
		return nil
	}
	return f.d.chtimes(f.name, f.mtime)
}

// asyncWrites says whether small files are written by the writers'
// goroutines: not here.
const asyncWrites = false

type place struct{}

func (d *dirs) prepare(name string) (place, error) { return place{}, nil }

func writeFile(pl place, name string, perm os.FileMode, chmod bool, data []byte, mtime time.Time) error {
	return errors.New("extract: asynchronous writes are not supported here")
}
