//go:build unix

package link

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

// linkAt hard-links the entry oldname of directory od as newname of
// directory nd (linkat without AT_SYMLINK_FOLLOW: a link is linked, not
// followed; an existing newname is an error).
func linkAt(od *os.File, oldname string, nd *os.File, newname string) error {
	oc, err := od.SyscallConn()
	if err != nil {
		return err
	}
	nc, err := nd.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	err = oc.Control(func(ofd uintptr) {
		err := nc.Control(func(nfd uintptr) {
			for {
				lerr = unix.Linkat(int(ofd), oldname, int(nfd), newname, 0)
				if lerr != unix.EINTR {
					return
				}
			}
		})
		if lerr == nil {
			lerr = err
		}
	})
	if err != nil {
		return err
	}
	if lerr != nil {
		return &os.LinkError{Op: "linkat", Old: oldname, New: newname, Err: lerr}
	}
	return nil
}

// lstat is Lstat of name in the source (stage false) or the stage: its
// final element is looked up (not followed) in its parent directory,
// opened through the root, in one fstatat.
func (l *linker) lstat(stage bool, name string) (fs.FileInfo, error) {
	d, err := l.dir(stage, path.Dir(name))
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	for {
		err = unix.Fstatat(int(d.Fd()), path.Base(name), &st, unix.AT_SYMLINK_NOFOLLOW)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "fstatat", Path: name, Err: err}
	}
	return &statInfo{name: path.Base(name), st: st}, nil
}

// statInfo is the fs.FileInfo of a Stat_t, as far as linking reads it.
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(int64(s.st.Mtim.Sec), int64(s.st.Mtim.Nsec)) }
func (s *statInfo) IsDir() bool        { return s.st.Mode&unix.S_IFMT == unix.S_IFDIR }
func (s *statInfo) Sys() any           { return &s.st }
func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch s.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFREG:
	default:
		m |= fs.ModeIrregular
	}
	return m
}

// open opens name of the source (stage false) or the stage: its final
// element is opened, never followed, in its parent directory opened
// through the root, in one openat.
func (l *linker) open(stage bool, name string, flag int, perm os.FileMode) (*os.File, error) {
	d, err := l.dir(stage, path.Dir(name))
	if err != nil {
		return nil, err
	}
	var fd int
	for {
		fd, err = unix.Openat(int(d.Fd()), path.Base(name), flag|unix.O_CLOEXEC|unix.O_NOFOLLOW, uint32(perm.Perm()))
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "openat", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// mkdirAt makes the directory name (one path element) in parent, the
// open directory dir's parent, unless it is there, and opens it, not
// following a link: a symlink in its place is an error, so what is
// opened stays under the root parent was opened through.
func mkdirAt(_ *os.Root, parent *os.File, dir, name string) (*os.File, error) {
	return dirAt(parent, dir, name, true)
}

// isExist reports an error for a name that is already there.
func isExist(err error) bool { return errors.Is(err, fs.ErrExist) }

// isCrossDevice reports a hard link across file systems.
func isCrossDevice(err error) bool { return errors.Is(err, unix.EXDEV) }
