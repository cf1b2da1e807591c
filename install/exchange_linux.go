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
