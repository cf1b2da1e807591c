//go:build unix

package link

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// openDirAt opens the directory name (one path element) of parent, the
// open directory dir's parent, not following a link: a symlink in its
// place is an error, so what is opened stays under the root parent was
// opened through. One openat, where the root would walk from its top.
func openDirAt(parent *os.File, dir, name string) (*os.File, error) {
	return dirAt(parent, dir, name, false)
}

// dirAt opens the directory name in parent (dir is its path, for
// errors), first making it when mkdir is set and it is not there.
func dirAt(parent *os.File, dir, name string, mkdir bool) (*os.File, error) {
	pc, err := parent.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var oerr error
	op := "openat"
	err = pc.Control(func(pfd uintptr) {
		if mkdir {
			op = "mkdir"
			for {
				oerr = unix.Mkdirat(int(pfd), name, 0o755)
				if oerr != unix.EINTR {
					break
				}
			}
			if oerr != nil && oerr != unix.EEXIST {
				return
			}
		}
		fd, oerr = openDirFD(int(pfd), name)
	})
	if err == nil {
		err = oerr
	}
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// openDirFD opens the directory name in the directory pfd, not following
// a link, retrying on EINTR.
func openDirFD(pfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(pfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
