//go:build unix

package channel

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps path read-only. release(n) drops the pages below offset n
// from this process's memory (they stay in the page cache, and a later
// read faults them back in); unmap ends the mapping.
func mapFile(path string) (data []byte, release func(int), unmap func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, nil, err
	}
	if fi.Size() == 0 {
		return nil, func(int) {}, func() {}, nil
	}
	if int64(int(fi.Size())) != fi.Size() {
		return nil, nil, nil, fmt.Errorf("%s: too large to map", path)
	}
	data, err = unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("mapping %s: %v", path, err)
	}
	release = func(n int) {
		n -= n % os.Getpagesize()
		if n > 0 {
			unix.Madvise(data[:n], unix.MADV_DONTNEED)
		}
	}
	return data, release, func() { unix.Munmap(data) }, nil
}
