//go:build unix && !linux

package extract

import (
	"time"

	"golang.org/x/sys/unix"
)

// futimens sets fd's atime and mtime to t.
func futimens(fd int, t time.Time) error {
	tv := []unix.Timeval{unix.NsecToTimeval(t.UnixNano()), unix.NsecToTimeval(t.UnixNano())}
	return unix.Futimes(fd, tv)
}
