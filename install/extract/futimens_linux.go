package extract

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// futimens sets fd's atime and mtime to t: utimensat with a NULL path
// acts on the descriptor itself (what libc's futimens does).
func futimens(fd int, t time.Time) error {
	ts := [2]unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
