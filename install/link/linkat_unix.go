//go:build unix

package link

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// oNoFollow makes an open fail on a symbolic link.
const oNoFollow = syscall.O_NOFOLLOW

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
