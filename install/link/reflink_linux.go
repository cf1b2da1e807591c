//go:build linux

package link

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// reflink clones in into out with FICLONE (btrfs, XFS, …).
func reflink(in, out *os.File) error {
	if err := unix.IoctlFileClone(int(out.Fd()), int(in.Fd())); err != nil {
		return cloneError(err)
	}
	return nil
}

// cloneError puts the two usual reasons FICLONE fails in a user's words:
// the installer's note should say what to change, not name an errno.
func cloneError(err error) error {
	switch {
	case errors.Is(err, unix.EXDEV):
		return &reflinkError{"the package cache and the environment are on different file systems", err}
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOTTY):
		return &reflinkError{"the environment's file system does not support them", err}
	}
	return err
}

type reflinkError struct {
	why string
	err error
}

func (e *reflinkError) Error() string { return e.why }
func (e *reflinkError) Unwrap() error { return e.err }
