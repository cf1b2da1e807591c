package extract

import (
	"os"
	"runtime"
	"sync"
	"time"
)

// Files up to asyncMax bytes are written by the writers' goroutines;
// at most writeQueue of them wait, so the bytes in flight stay below
// writeQueue × asyncMax.
const (
	asyncMax   = 256 << 10
	writeQueue = 64
)

// writers create, write and close small files on goroutines of their
// own, while the extractor goes on decompressing, checking and hashing:
// for a package of many small files the system calls are most of the
// work, and they then run on every core. The extractor's model (kinds,
// sums, checks) is updated when a file is handed over; what would touch
// a file a writer may not have written yet (replacing it, hard-linking
// it, reading it back, finishing) waits for them first (settle).
type writers struct {
	jobs    chan writeJob
	workers sync.WaitGroup
	pending sync.WaitGroup

	mu  sync.Mutex
	err error // the first write that failed, wrapped with its name
	// wrap adds the archive and entry to a write's error.
	wrap func(name string, err error) error
}

type writeJob struct {
	at    place
	name  string
	perm  os.FileMode
	chmod bool
	data  []byte
	buf   *[]byte // data's buffer, back to smallBufs once written
	mtime time.Time
}

// smallBufs holds the buffers of files handed to the writers (asyncMax
// bytes each; at most writeQueue and the writers' own are in use).
var smallBufs = sync.Pool{New: func() any {
	b := make([]byte, asyncMax)
	return &b
}}

func newWriters(wrap func(name string, err error) error) *writers {
	w := &writers{jobs: make(chan writeJob, writeQueue), wrap: wrap}
	n := min(runtime.GOMAXPROCS(0), 4)
	for range n {
		w.workers.Add(1)
		go func() {
			defer w.workers.Done()
			for j := range w.jobs {
				if w.failed() == nil {
					if err := writeFile(j.at, j.name, j.perm, j.chmod, j.data, j.mtime); err != nil {
						w.mu.Lock()
						if w.err == nil {
							w.err = w.wrap(j.name, err)
						}
						w.mu.Unlock()
					}
				}
				if j.buf != nil {
					smallBufs.Put(j.buf)
				}
				w.pending.Done()
			}
		}()
	}
	return w
}

func (w *writers) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// write hands a file over; an earlier failure is returned instead.
func (w *writers) write(j writeJob) error {
	if err := w.failed(); err != nil {
		return err
	}
	w.pending.Add(1)
	w.jobs <- j
	return nil
}

// settle waits until every file handed over is written, and returns
// the first failure.
func (w *writers) settle() error {
	w.pending.Wait()
	return w.failed()
}

// stop settles and ends the goroutines.
func (w *writers) stop() error {
	err := w.settle()
	close(w.jobs)
	w.workers.Wait()
	return err
}
