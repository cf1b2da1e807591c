package extract

// A bzip2 decoder that decodes a stream's blocks on several cores.
//
// bzip2 compresses blocks of up to 900 kB independently; each starts
// with the 48-bit magic 0x314159265359 and its CRC, at any bit offset
// (blocks are not byte-aligned), and the stream ends with the magic
// 0x177245385090 and the combined CRC of its blocks. The scanner finds
// the magics at every bit offset, copies each block out, aligned, as a
// one-block stream of its own (header, block, end magic, the block's CRC
// as the combined one), and workers decode those (bzBlockDecoder, else
// dsnet/compress's decoder), checking each block's CRC; the reader puts
// the blocks back in order and checks each stream's combined CRC.
//
// A magic can also occur by chance inside compressed data. A block cut
// there does not decode (or fails its CRC), and then, as for any
// surprise (a corrupt archive, a block that expands beyond
// bzMaxBlockOut, as bombs do, trailing bytes), the reader starts again
// with the sequential decoder from the beginning, skipping what it has
// already returned: its verdict is final, and its errors are the ones
// the extractor reports.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	dsbzip2 "github.com/dsnet/compress/bzip2"
)

const (
	bzBlockMagic = 0x314159265359
	bzEndMagic   = 0x177245385090
	bzMask48     = 1<<48 - 1
	// bzMaxBlockOut bounds what a worker decodes a block to in memory:
	// real blocks give about a megabyte; a block that gives more (runs
	// of one byte, a bomb) sends the stream to the sequential decoder,
	// which streams.
	bzMaxBlockOut = 16 << 20
	// bzMaxBlockIn bounds a block's compressed size: 900 kB of input
	// never takes more than about 1.1 MB of code.
	bzMaxBlockIn = 2 << 20
	bzReadSize   = 1 << 20
)

// bzShifts says, for each byte value, at which shifts it is the second
// last byte of a magic: the one byte the scanner looks at first.
var bzShifts = func() (t [256]uint8) {
	for s := range 8 {
		for _, m := range []uint64{bzBlockMagic, bzEndMagic} {
			t[byte(m>>(8-s))] |= 1 << s
		}
	}
	return t
}()

// bzFastMisses counts the blocks bzBlockDecoder did not decode (and
// dsnet's decoder was tried on): blocks cut at a chance magic, corrupt
// ones, randomized ones.
var bzFastMisses atomic.Int64

// errBzFallback is the parallel decoder giving the stream to the
// sequential one.
var errBzFallback = errors.New("bzip2: parallel decoding gave up")

// A bzResult is a block decoded, or the end of a stream (end: its
// stored combined CRC), or the end of the input (err io.EOF).
type bzResult struct {
	data   []byte
	crc    uint32
	end    bool
	endCRC uint32
	err    error
}

type bzJob struct {
	stream []byte // a one-block stream
	nbits  int64  // the block's length in bits
	crc    uint32
	res    chan bzResult
}

// bz2Reader decodes the bzip2 input src (read from its start) on
// several goroutines, returning the decompressed bytes in order.
type bz2Reader struct {
	src io.ReadSeeker

	order chan chan bzResult // results in stream order
	done  chan struct{}
	wg    sync.WaitGroup

	cur, buf []byte      // the block being read, and all of it
	free     chan []byte // blocks read, for the workers to reuse
	combined uint32      // the current stream's CRC so far
	emitted  int64

	seq *dsbzip2.Reader // the sequential decoder, after a fallback
	err error
}

// newBz2Reader starts decoding src on up to GOMAXPROCS workers.
func newBz2Reader(src io.ReadSeeker) *bz2Reader {
	workers := max(1, min(runtime.GOMAXPROCS(0), 8))
	z := &bz2Reader{src: src, order: make(chan chan bzResult, workers+1), done: make(chan struct{}), free: make(chan []byte, 2*workers+2)}
	jobs := make(chan bzJob)
	for range workers {
		z.wg.Add(1)
		go func() {
			defer z.wg.Done()
			var fast bzBlockDecoder
			dec, _ := dsbzip2.NewReader(nil, nil)
			for j := range jobs {
				var out []byte
				select {
				case out = <-z.free:
				default:
					out = make([]byte, 0, 1<<20)
				}
				data, err := fast.decode(j.stream[4:], j.nbits, j.stream[3], out)
				if err != nil {
					bzFastMisses.Add(1)
					data, err = decodeBlock(dec, j.stream, out)
				}
				if err != nil {
					j.res <- bzResult{err: errBzFallback}
					continue
				}
				j.res <- bzResult{data: data, crc: j.crc}
			}
		}()
	}
	z.wg.Add(1)
	go func() {
		defer z.wg.Done()
		defer close(jobs)
		z.scan(jobs)
	}()
	return z
}

// decodeBlock decodes a one-block stream into buf (grown as needed),
// refusing more than bzMaxBlockOut bytes.
func decodeBlock(dec *dsbzip2.Reader, stream, buf []byte) ([]byte, error) {
	if err := dec.Reset(bytes.NewReader(stream)); err != nil {
		return nil, err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= bzMaxBlockOut {
				return nil, errBzFallback
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := dec.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// emit queues a result in stream order; false when the reader stopped.
func (z *bz2Reader) emit(res chan bzResult) bool {
	select {
	case z.order <- res:
		return true
	case <-z.done:
		return false
	}
}

// emitNow queues a result known already.
func (z *bz2Reader) emitNow(r bzResult) bool {
	res := make(chan bzResult, 1)
	res <- r
	return z.emit(res)
}

// scan reads the input, finds the blocks and hands them to the workers.
func (z *bz2Reader) scan(jobs chan<- bzJob) {
	var (
		data  []byte // the input not yet handed over
		atEOF bool
	)
	// more reads input; false at its end.
	more := func() bool {
		if atEOF {
			return false
		}
		data = slices.Grow(data, bzReadSize)
		n, err := io.ReadFull(z.src, data[len(data):len(data)+bzReadSize])
		data = data[:len(data)+n]
		if err != nil {
			atEOF = true
		}
		return n > 0
	}
	fail := func() { z.emitNow(bzResult{err: errBzFallback}) }
	streams := 0
	for {
		// A stream header: "BZh" and the level.
		for len(data) < 4 && more() {
		}
		if len(data) == 0 && streams > 0 {
			z.emitNow(bzResult{err: io.EOF})
			return
		}
		streams++
		if len(data) < 4 || data[0] != 'B' || data[1] != 'Z' || data[2] != 'h' || data[3] < '1' || data[3] > '9' {
			fail()
			return
		}
		level := data[3]
		start := int64(32) // the bit where the current block starts, from data[0]
		// The magic after the header must be at bit 32.
		i := 9 // the last byte of the next candidate: bits 32 to 80
		cand := int64(-1)
		for {
			if i >= len(data) {
				if int64(len(data))*8-start > 8*bzMaxBlockIn+48 {
					fail()
					return
				}
				if !more() {
					fail() // no end of stream
					return
				}
				continue
			}
			// Most bytes cannot be the second last of a magic.
			shifts := bzShifts[data[i-1]]
			if shifts == 0 {
				i++
				continue
			}
			v := binary.BigEndian.Uint64(data[i-7 : i+1])
			i++
			found := int64(-1)
			isEnd := false
			for s := range 8 {
				if shifts&(1<<s) == 0 {
					continue
				}
				m := (v >> s) & bzMask48
				if f := int64(i)*8 - int64(s) - 48; (m == bzBlockMagic || m == bzEndMagic) && f >= start && f > cand {
					found, isEnd = f, m == bzEndMagic
					break
				}
			}
			if found < 0 {
				continue
			}
			cand = found
			if found == start && !isEnd {
				continue // the current block's own magic
			}
			if found != start && found-start < 80 {
				fail()
				return
			}
			if found > start {
				// The block [start, found).
				if !z.block(jobs, data, start, found, level) {
					return
				}
			} else if start != 32 {
				fail() // an end magic right where a block should start
				return
			}
			if !isEnd {
				start = found
				// Drop what is handed over, now and then.
				if shift := start/8 - 8; shift >= bzReadSize {
					data = data[:copy(data, data[shift:])]
					i -= int(shift)
					start -= 8 * shift
					cand -= 8 * shift
				}
				continue
			}
			// The end of the stream: its CRC, the padding, maybe another.
			for int64(len(data))*8 < found+80 && more() {
			}
			if int64(len(data))*8 < found+80 {
				fail()
				return
			}
			if !z.emitNow(bzResult{end: true, endCRC: uint32(bitsAt(data, found+48, 32))}) {
				return
			}
			next := (found + 80 + 7) / 8
			data = data[:copy(data, data[next:])]
			break
		}
	}
}

// block hands the block at bits [from, to) of data to a worker as a
// stream of its own.
func (z *bz2Reader) block(jobs chan<- bzJob, data []byte, from, to int64, level byte) bool {
	nbits := to - from
	if nbits < 80 {
		return false
	}
	s := make([]byte, 0, 4+(nbits+80)/8+2)
	s = append(s, 'B', 'Z', 'h', level)
	bw := bitWriter{buf: s}
	bw.copyBits(data, from, nbits)
	bw.write(bzEndMagic, 48)
	crc := uint32(bitsAt(data, from+48, 32))
	bw.write(uint64(crc), 32)
	bw.flush()
	res := make(chan bzResult, 1)
	select {
	case jobs <- bzJob{stream: bw.buf, nbits: nbits, crc: crc, res: res}:
	case <-z.done:
		return false
	}
	return z.emit(res)
}

// bitsAt returns the n (≤ 57) bits of data at bit offset off, big-endian.
func bitsAt(data []byte, off int64, n int) uint64 {
	var v uint64
	for k := 0; k < n; k++ {
		p := off + int64(k)
		v = v<<1 | uint64(data[p/8]>>(7-p%8)&1)
	}
	return v
}

// A bitWriter appends bits, big-endian, as bzip2 packs them.
type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc int
}

func (b *bitWriter) write(v uint64, n int) {
	for n > 0 {
		k := min(n, 56-b.nacc)
		b.acc = b.acc<<k | (v>>(n-k))&(1<<k-1)
		b.nacc += k
		n -= k
		for b.nacc >= 8 {
			b.buf = append(b.buf, byte(b.acc>>(b.nacc-8)))
			b.nacc -= 8
		}
	}
}

// copyBits appends n bits of data from bit offset off.
func (b *bitWriter) copyBits(data []byte, off, n int64) {
	q, r := off/8, uint(off%8)
	nbytes := n / 8
	if b.nacc == 0 {
		if r == 0 {
			b.buf = append(b.buf, data[q:q+nbytes]...)
		} else {
			for j := q; j < q+nbytes; j++ {
				b.buf = append(b.buf, data[j]<<r|data[j+1]>>(8-r))
			}
		}
	} else {
		for j := int64(0); j < nbytes; j++ {
			b.write(bitsAt(data, off+8*j, 8), 8)
		}
	}
	if rest := int(n % 8); rest > 0 {
		b.write(bitsAt(data, off+8*nbytes, rest), rest)
	}
}

func (b *bitWriter) flush() {
	if b.nacc > 0 {
		b.write(0, 8-b.nacc)
	}
}

func (z *bz2Reader) Read(p []byte) (int, error) {
	if z.seq != nil {
		return z.seq.Read(p)
	}
	for len(z.cur) == 0 {
		if z.err != nil {
			return 0, z.err
		}
		if z.buf != nil {
			select {
			case z.free <- z.buf[:0]:
			default:
			}
			z.buf = nil
		}
		r := <-<-z.order
		switch {
		case r.err == io.EOF:
			z.err = io.EOF
		case r.err != nil:
			if err := z.fallback(); err != nil {
				return 0, err
			}
			return z.seq.Read(p)
		case r.end:
			if r.endCRC != z.combined {
				if err := z.fallback(); err != nil {
					return 0, err
				}
				return z.seq.Read(p)
			}
			z.combined = 0
		default:
			z.combined = (z.combined<<1 | z.combined>>31) ^ r.crc
			z.cur, z.buf = r.data, r.data
		}
	}
	n := copy(p, z.cur)
	z.cur = z.cur[n:]
	z.emitted += int64(n)
	return n, nil
}

// stop ends the scanner and the workers and waits for them.
func (z *bz2Reader) stop() {
	select {
	case <-z.done:
		return
	default:
	}
	close(z.done)
	// Drain what is queued, so that no worker blocks on a result.
	go func() {
		for range z.order {
		}
	}()
	z.wg.Wait()
	close(z.order)
}

// fallback switches to the sequential decoder from the start of the
// input, skipping what was returned already.
func (z *bz2Reader) fallback() error {
	z.stop()
	if _, err := z.src.Seek(0, io.SeekStart); err != nil {
		z.err = err
		return err
	}
	dec, err := dsbzip2.NewReader(bufio.NewReaderSize(z.src, 1<<16), nil)
	if err != nil {
		z.err = err
		return err
	}
	z.seq = dec
	if _, err := io.CopyN(io.Discard, dec, z.emitted); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// Close stops the goroutines.
func (z *bz2Reader) Close() error {
	z.stop()
	if z.seq != nil {
		return z.seq.Close()
	}
	return nil
}
