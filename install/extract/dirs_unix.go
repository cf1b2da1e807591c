//go:build unix

package extract

import (
	"os"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

// maxDirFDs bounds the directory descriptors kept open; archives list a
// directory's files together, so a small cache hits almost always.
const maxDirFDs = 128

// dirs is the extractor's one layer over os.Root: it keeps descriptors
// of the directories it made, opened from the root's own descriptor one
// name at a time with O_NOFOLLOW, and does every operation with a single
// *at system call on the parent's descriptor and a single name (the
// last element, created with O_EXCL or checked not to be a link). No
// symlink is ever followed, not even one inside the package (os.Root
// follows those), and an entry costs one call instead of a walk from the
// root per operation.
type dirs struct {
	root *os.File // the root's directory, opened through the os.Root
	fds  map[string]int
	// settle, when set, is called before descriptors are closed: the
	// writers may be using them.
	settle func()
}

func newDirs(root *os.Root) (*dirs, error) {
	f, err := root.Open(".")
	if err != nil {
		return nil, err
	}
	return &dirs{root: f, fds: map[string]int{}}, nil
}

func (d *dirs) close() {
	for _, fd := range d.fds {
		unix.Close(fd)
	}
	d.fds = nil
	d.root.Close()
}

// fd returns a descriptor of the directory dir ("." for the root).
func (d *dirs) fd(dir string) (int, error) {
	if dir == "." {
		return int(d.root.Fd()), nil
	}
	if fd, ok := d.fds[dir]; ok {
		return fd, nil
	}
	parent, err := d.fd(path.Dir(dir))
	if err != nil {
		return -1, err
	}
	fd, err := openat(parent, path.Base(dir), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if len(d.fds) >= maxDirFDs {
		if d.settle != nil {
			d.settle()
		}
		for k, v := range d.fds {
			unix.Close(v)
			delete(d.fds, k)
		}
	}
	d.fds[dir] = fd
	return fd, nil
}

// parent returns the descriptor of name's directory and name's last
// element.
func (d *dirs) parent(name string) (int, string, error) {
	fd, err := d.fd(path.Dir(name))
	return fd, path.Base(name), err
}

func openat(dirfd int, name string, flags int, perm uint32) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// mkdir makes the directory name, whose parent exists; an existing
// directory (not a link to one) is fine.
func (d *dirs) mkdir(name string, perm os.FileMode) error {
	pfd, base, err := d.parent(name)
	if err != nil {
		return err
	}
	err = unix.Mkdirat(pfd, base, sysMode(perm))
	if err == unix.EEXIST {
		var st unix.Stat_t
		if serr := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			return nil
		}
	}
	if err != nil {
		return &os.PathError{Op: "mkdir", Path: name, Err: err}
	}
	return nil
}

// create makes the regular file name, which must not exist (O_EXCL
// refuses a link in its place, dangling or not).
func (d *dirs) create(name string, perm os.FileMode) (*outFile, error) {
	pfd, base, err := d.parent(name)
	if err != nil {
		return nil, err
	}
	fd, err := openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, sysMode(perm))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return &outFile{fd: fd, name: name}, nil
}

// open opens the regular file name for reading, not through a link.
func (d *dirs) open(name string) (*os.File, error) {
	pfd, base, err := d.parent(name)
	if err != nil {
		return nil, err
	}
	fd, err := openat(pfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

func (d *dirs) symlink(target, name string) error {
	pfd, base, err := d.parent(name)
	if err != nil {
		return err
	}
	if err := unix.Symlinkat(target, pfd, base); err != nil {
		return &os.LinkError{Op: "symlink", Old: target, New: name, Err: err}
	}
	return nil
}

// link hard-links the file old as name; linkat without
// AT_SYMLINK_FOLLOW links a link itself, never what it points to.
func (d *dirs) link(old, name string) error {
	ofd, obase, err := d.parent(old)
	if err != nil {
		return err
	}
	nfd, nbase, err := d.parent(name)
	if err != nil {
		return err
	}
	if err := unix.Linkat(ofd, obase, nfd, nbase, 0); err != nil {
		return &os.LinkError{Op: "link", Old: old, New: name, Err: err}
	}
	return nil
}

// remove removes the file, link or empty directory name.
func (d *dirs) remove(name string, isDir bool) error {
	pfd, base, err := d.parent(name)
	if err != nil {
		return err
	}
	flags := 0
	if isDir {
		flags = unix.AT_REMOVEDIR
		if fd, ok := d.fds[name]; ok {
			unix.Close(fd)
			delete(d.fds, name)
		}
	}
	if err := unix.Unlinkat(pfd, base, flags); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	return nil
}

// chtimes sets the mtime (and atime) of name, not following a link.
func (d *dirs) chtimes(name string, t time.Time) error {
	pfd, base, err := d.parent(name)
	if err != nil {
		return err
	}
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	if err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "chtimes", Path: name, Err: err}
	}
	return nil
}

// chmodDir sets the mode of the directory dir through its own
// descriptor.
func (d *dirs) chmodDir(dir string, mode os.FileMode) error {
	fd, err := d.fd(dir)
	if err != nil {
		return err
	}
	if err := unix.Fchmod(fd, sysMode(mode)); err != nil {
		return &os.PathError{Op: "chmod", Path: dir, Err: err}
	}
	return nil
}

// An outFile is a file being extracted: raw writes, and its mode and
// mtime set through its descriptor before it is closed.
type outFile struct {
	fd   int
	name string
}

func (f *outFile) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(f.fd, p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, &os.PathError{Op: "write", Path: f.name, Err: err}
		}
		n += m
	}
	return n, nil
}

func (f *outFile) chmod(mode os.FileMode) error {
	if err := unix.Fchmod(f.fd, sysMode(mode)); err != nil {
		return &os.PathError{Op: "chmod", Path: f.name, Err: err}
	}
	return nil
}

// setTime gives the file the archive's mtime through its descriptor
// (a zero time leaves it).
func (f *outFile) setTime(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if err := futimens(f.fd, t); err != nil {
		return &os.PathError{Op: "chtimes", Path: f.name, Err: err}
	}
	return nil
}

func (f *outFile) Close() error {
	if err := unix.Close(f.fd); err != nil {
		return &os.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// sysMode is m as the kernel spells it, special bits included (a
// group-shared cache's directories are setgid).
func sysMode(m os.FileMode) uint32 {
	r := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		r |= unix.S_ISUID
	}
	if m&os.ModeSetgid != 0 {
		r |= unix.S_ISGID
	}
	if m&os.ModeSticky != 0 {
		r |= unix.S_ISVTX
	}
	return r
}

// asyncWrites says whether small files are written by the writers'
// goroutines (a place is a descriptor and a name, valid on any thread).
const asyncWrites = true

// A place is where a file is created: its parent's descriptor and its
// last element. It stays valid until the directory cache evicts.
type place struct {
	dirfd int
	base  string
}

// prepare returns name's place, its parent's descriptor opened now.
func (d *dirs) prepare(name string) (place, error) {
	fd, base, err := d.parent(name)
	return place{fd, base}, err
}

// writeFile creates name at pl with data, its mode (chmod: set it
// through the descriptor, whatever the umask) and mtime, with one
// openat, one write, one futimens and one close.
func writeFile(pl place, name string, perm os.FileMode, chmod bool, data []byte, mtime time.Time) error {
	fd, err := openat(pl.dirfd, pl.base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, sysMode(perm))
	if err != nil {
		return &os.PathError{Op: "open", Path: name, Err: err}
	}
	f := &outFile{fd: fd, name: name}
	_, err = f.Write(data)
	if err == nil && chmod {
		err = f.chmod(perm)
	}
	if err == nil {
		err = f.setTime(mtime)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
