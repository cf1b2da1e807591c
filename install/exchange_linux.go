package install

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps the entries a and b of root's directory in one step
// (renameat2 RENAME_EXCHANGE): at no moment is either name absent. Both
// are single names resolved in that directory, never followed.
func exchange(root *os.Root, a, b string) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	rc, err := d.SyscallConn()
	if err != nil {
		return err
	}
	var rerr error
	if err := rc.Control(func(fd uintptr) {
		rerr = unix.Renameat2(int(fd), a, int(fd), b, unix.RENAME_EXCHANGE)
	}); err != nil {
		return err
	}
	if errors.Is(rerr, unix.EINVAL) || errors.Is(rerr, unix.ENOSYS) || errors.Is(rerr, unix.ENOTSUP) {
		return errNoExchange // file systems (NFS, older kernels) without it
	}
	return rerr
}

// syncStage makes the staging directory durable before the swap gives it
// the prefix's name: one syncfs(2) of its file system, which writes the
// copied files' data, the new directories and links, and the cache files
// the links share, where an fsync a file and a directory would be
// thousands of calls. Without it a power cut after the swap could leave
// the prefix's name on files whose data never reached the disk (ext4
// allocates late); a killed process needs none of this, the kernel keeps
// what was written.
func syncStage(stage *os.Root) error {
	d, err := stage.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	rc, err := d.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = unix.Syncfs(int(fd)); serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}
