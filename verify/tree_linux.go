package verify

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// resolve confines openat2 to the prefix: no step above it, through an
// absolute link, or through /proc's magic links.
const resolve = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS

// initFast opens the prefix's directory and checks openat2 works
// (Linux 5.6 and later, and not filtered by a container's seccomp).
func (t *tree) initFast() {
	d, err := t.root.Open(".")
	if err != nil {
		return
	}
	fd, err := unix.Openat2(int(d.Fd()), ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolve})
	if err != nil {
		d.Close()
		return
	}
	unix.Close(fd)
	t.dir, t.dirfd, t.fast = d, int(d.Fd()), true
}

func (t *tree) openat2(rel string, flags uint64) (int, error) {
	for {
		fd, err := unix.Openat2(t.dirfd, rel, &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: resolve})
		if err == unix.EINTR || err == unix.EAGAIN {
			continue // EAGAIN: a rename raced the lookup; try again
		}
		if err != nil {
			return -1, &fs.PathError{Op: "openat2", Path: rel, Err: err}
		}
		return fd, nil
	}
}

// openFile opens rel (flags must hold O_NOFOLLOW) by its name in its
// directory's cached descriptor: one step of lookup where openat2 takes
// one a component, for the same result. The directory's descriptor was
// opened by openat2 beneath the prefix, and the name is one component
// whose final link O_NOFOLLOW refuses, so nothing outside the prefix can
// be reached that a whole openat2 would not reach: a directory moved
// out of the prefix since is still one that was inside it. Without a
// descriptor (the cache is full, or the directory is not one beneath the
// prefix) it is openat2 of the whole name.
func (t *tree) openFile(rel string, flags uint64) (int, error) {
	dir, base := path.Split(rel)
	if dir == "" || base == "" || base == "." || base == ".." {
		return t.openat2(rel, flags)
	}
	dfd, ok := t.dirs.get(dir, func() (int, error) {
		return t.openat2(dir, unix.O_PATH|unix.O_DIRECTORY)
	})
	if !ok {
		return t.openat2(rel, flags)
	}
	for {
		fd, err := unix.Openat(dfd, base, int(flags)|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "openat", Path: rel, Err: err}
		}
		return fd, nil
	}
}

// A dirCache holds directory descriptors by prefix-relative name, at most
// maxDirs of them.
type dirCache struct {
	mu  sync.Mutex
	fds map[string]int
}

const maxDirs = 1024

// get returns dir's descriptor, opening it with open the first time;
// false when it cannot be opened or the cache is full.
func (c *dirCache) get(dir string, open func() (int, error)) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fd, ok := c.fds[dir]; ok {
		return fd, fd >= 0
	}
	if len(c.fds) >= maxDirs {
		return -1, false
	}
	if c.fds == nil {
		c.fds = map[string]int{}
	}
	fd, err := open()
	if err != nil {
		fd = -1 // the whole name's openat2 says why
	}
	c.fds[dir] = fd
	return fd, fd >= 0
}

func (c *dirCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, fd := range c.fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	c.fds = nil
}

func (t *tree) fstatOf(rel string, flags uint64) (fs.FileInfo, error) {
	fd, err := t.openat2(rel, flags)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "fstat", Path: rel, Err: err}
	}
	return &statInfo{name: path.Base(rel), st: st}, nil
}

func (t *tree) lstatFast(rel string) (fs.FileInfo, error) {
	return t.fstatOf(rel, unix.O_PATH|unix.O_NOFOLLOW)
}

func (t *tree) statFast(rel string) (fs.FileInfo, error) {
	return t.fstatOf(rel, unix.O_PATH)
}

// lstatOpenFast opens rel without following a final link and stats
// the descriptor: for a regular file (the common case) one openat2 and
// one fstat give both the lstat and the content to hash. A link (ELOOP)
// is stat'ed as one.
func (t *tree) lstatOpenFast(rel string) (fs.FileInfo, content, error) {
	fd, err := t.openFile(rel, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENXIO) || errors.Is(err, unix.EACCES) {
			fi, err := t.lstatFast(rel)
			return fi, nil, err
		}
		return nil, nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, nil, &fs.PathError{Op: "fstat", Path: rel, Err: err}
	}
	fi := &statInfo{name: path.Base(rel), st: st}
	if !fi.Mode().IsRegular() {
		unix.Close(fd)
		return fi, nil, nil
	}
	return fi, fdContent{fd, st.Size}, nil
}

// hashFast reads rel with raw system calls: they skip what os.File adds
// for files read once and closed (registration with the poller,
// finalizers), a tenth of the time over 10,000 small files
// (BenchmarkVerify).
func (t *tree) hashFast(rel string, d *digester) (int64, error) {
	fd, err := t.openat2(rel, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, &fs.PathError{Op: "fstat", Path: rel, Err: err}
	}
	// Followed through a link: not a file of the ELF scan's.
	return fdContent{fd, st.Size}.digest(d, "")
}

// isEscape reports an openat2 refusal to leave the prefix (EXDEV) or
// os.Root's.
func isEscape(err error) bool {
	return errors.Is(err, unix.EXDEV) || (err != nil && strings.Contains(err.Error(), "path escapes from parent"))
}

// statInfo is an fs.FileInfo of a Stat_t.
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(s.st.Mtim.Unix()) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.st }
func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch s.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	}
	if s.st.Mode&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if s.st.Mode&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if s.st.Mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
