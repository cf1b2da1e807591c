package install

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"

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

// A writeback starts writing what an install has written so far to disk
// while the install goes on: syncfs(2) of the stage's file system on a
// goroutine of its own, at most one at a time. The syncStage at the end
// then waits only for what was written since: on a disk, the wait for
// 10,000 new files drops from the whole write-back to its tail, the
// rest overlapping extraction and linking (BenchmarkInstallVsRattler).
type writeback struct {
	fd      int
	trace   func(ev, name string)
	running atomic.Bool
	done    sync.WaitGroup
}

// startWriteback returns nil when the stage's directory cannot be
// opened: the final syncStage still makes the environment durable.
func startWriteback(stage *os.Root, trace func(ev, name string)) *writeback {
	d, err := stage.Open(".")
	if err != nil {
		return nil
	}
	fd, err := unix.Dup(int(d.Fd()))
	d.Close()
	if err != nil {
		return nil
	}
	return &writeback{fd: fd, trace: trace}
}

// kick starts a syncfs unless one is running.
func (w *writeback) kick() {
	if w == nil || !w.running.CompareAndSwap(false, true) {
		return
	}
	w.trace("writeback", "")
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		defer w.running.Store(false)
		for unix.Syncfs(w.fd) == unix.EINTR {
		}
	}()
}

// close waits for a running syncfs and closes the descriptor.
func (w *writeback) close() {
	if w == nil {
		return
	}
	w.done.Wait()
	unix.Close(w.fd)
}
