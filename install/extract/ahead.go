package extract

import (
	"io"
	"sync"
)

// Read-ahead sizes: a decompressor runs at most aheadChunks chunks of
// aheadSize bytes ahead of the extractor (4 MiB a stream).
const (
	aheadChunks = 4
	aheadSize   = 1 << 20
)

// readAhead runs a decompressor on its own goroutine, a bounded number
// of chunks ahead of the reader: decompression on one core, tar parsing,
// hashing and writing on the other. The budgets are still counted where
// the extractor reads, so a bomb gets at most the read-ahead further.
type readAhead struct {
	full chan chunk
	free chan []byte
	done chan struct{}
	wg   sync.WaitGroup

	cur, buf []byte // what is left of the chunk being read; the chunk
	err      error  // the decompressor's error, once reached
}

type chunk struct {
	b   []byte
	err error
}

func newReadAhead(r io.Reader) *readAhead {
	a := &readAhead{full: make(chan chunk, aheadChunks), free: make(chan []byte, aheadChunks), done: make(chan struct{})}
	for range aheadChunks {
		a.free <- nil // allocated when first needed: most info streams are small
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for {
			var buf []byte
			select {
			case buf = <-a.free:
			case <-a.done:
				return
			}
			if buf == nil {
				buf = *aheadBufs.Get().(*[]byte)
			}
			n, err := fill(r, buf)
			select {
			case a.full <- chunk{buf[:n], err}:
			case <-a.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return a
}

func (a *readAhead) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.err != nil {
			return 0, a.err
		}
		if a.buf != nil {
			a.free <- a.buf[:cap(a.buf)] // never blocks: free holds every buffer
			a.buf = nil
		}
		c := <-a.full
		a.cur, a.buf, a.err = c.b, c.b, c.err
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the goroutine and waits for it, so that the decompressor
// under it can be closed.
func (a *readAhead) Close() {
	close(a.done)
	a.wg.Wait()
	// The goroutine is gone: every chunk is in free, in full or a.buf.
	give := func(b []byte) {
		if b != nil {
			b = b[:cap(b)]
			aheadBufs.Put(&b)
		}
	}
	give(a.buf)
	a.buf, a.cur = nil, nil
	for {
		select {
		case b := <-a.free:
			give(b)
		case c := <-a.full:
			give(c.b)
		default:
			return
		}
	}
}

// aheadBufs keeps read-ahead chunks for the next stream: allocating
// (and clearing) 1 MiB chunks for every package costs more than a small
// package takes to decompress.
var aheadBufs = sync.Pool{New: func() any {
	b := make([]byte, aheadSize)
	return &b
}}
