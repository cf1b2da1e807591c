package install

import "golang.org/x/sys/unix"

// syncfsOf flushes the file system holding dir, as syncStage does.
func syncfsOf(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for {
		if err := unix.Syncfs(fd); err != unix.EINTR {
			return err
		}
	}
}
