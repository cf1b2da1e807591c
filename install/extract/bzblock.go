package extract

// A decoder of one bzip2 block, faster than dsnet/compress's: the
// inverse Burrows–Wheeler transform keeps each byte beside its successor
// pointer in one uint32 (one cache miss a byte, not two, as libbzip2's
// fast path does), and Huffman codes up to bzTableBits long are decoded
// with one table look-up. It checks the block's CRC and that the block
// ends exactly where the scanner found the next magic; any failure sends
// the block to dsnet's decoder (bz2Reader), so a bug here can cost
// speed, never correctness.

import (
	"errors"
)

const (
	bzTableBits = 10
	bzMaxCode   = 20
	bzMaxGroups = 6
	bzMaxAlpha  = 258
	bzGroupSize = 50
)

var errBzBlock = errors.New("bzip2: block does not decode")

// bzCRCTable is bzip2's CRC-32 (polynomial 0x04c11db7, most significant
// bit first).
var bzCRCTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// bzBits reads bits most significant first; past the end it reads
// zeros and counts them.
type bzBits struct {
	b    []byte
	pos  int
	acc  uint64
	n    uint // valid bits in acc
	over int  // bytes read past the end
}

func (r *bzBits) fill() {
	for r.n <= 56 {
		var c byte
		if r.pos < len(r.b) {
			c = r.b[r.pos]
		} else {
			r.over++
		}
		r.pos++
		r.acc = r.acc<<8 | uint64(c)
		r.n += 8
	}
}

func (r *bzBits) read(k uint) uint32 {
	if r.n < k {
		r.fill()
	}
	r.n -= k
	return uint32(r.acc>>r.n) & (1<<k - 1)
}

// consumed is how many bits were read.
func (r *bzBits) consumed() int64 { return int64(r.pos)*8 - int64(r.n) }

// A bzHuff is one canonical Huffman code.
type bzHuff struct {
	table     [1 << bzTableBits]uint16 // sym<<5 | len, 0: longer code
	first     [bzMaxCode + 2]int32     // first code of each length
	count     [bzMaxCode + 2]int32
	index     [bzMaxCode + 2]int32 // where each length's symbols start in syms
	syms      [bzMaxAlpha]uint16
	minSlowLn uint
}

func (h *bzHuff) build(lens []uint8) bool {
	*h = bzHuff{}
	for _, l := range lens {
		h.count[l]++
	}
	code, idx := int32(0), int32(0)
	for l := 1; l <= bzMaxCode; l++ {
		h.first[l], h.index[l] = code, idx
		if code+h.count[l] > 1<<l {
			return false // over-subscribed
		}
		code = (code + h.count[l]) << 1
		idx += h.count[l]
	}
	next := h.index
	codes := h.first
	for s, l := range lens {
		h.syms[next[l]] = uint16(s)
		next[l]++
		if l <= bzTableBits {
			c := codes[l]
			lo := c << (bzTableBits - l)
			for e := lo; e < lo+1<<(bzTableBits-l); e++ {
				h.table[e] = uint16(s)<<5 | uint16(l)
			}
		}
		codes[l]++
	}
	return true
}

// decode reads one symbol; -1 for no code.
func (h *bzHuff) decode(r *bzBits) int {
	if r.n < bzMaxCode {
		r.fill()
	}
	v := uint32(r.acc>>(r.n-bzMaxCode)) & (1<<bzMaxCode - 1)
	if e := h.table[v>>(bzMaxCode-bzTableBits)]; e != 0 {
		r.n -= uint(e & 31)
		return int(e >> 5)
	}
	for l := bzTableBits + 1; l <= bzMaxCode; l++ {
		c := int32(v >> (bzMaxCode - l))
		if d := c - h.first[l]; d >= 0 && d < h.count[l] {
			r.n -= uint(l)
			return int(h.syms[h.index[l]+d])
		}
	}
	return -1
}

// bzBlockDecoder decodes blocks, reusing its memory.
type bzBlockDecoder struct {
	tt    []uint32
	huffs [bzMaxGroups]bzHuff
	sels  []uint8
}

// decode decodes the block whose nbits bits (from its magic on) start
// data, at compression level level ('1'–'9'), appending to out.
func (d *bzBlockDecoder) decode(data []byte, nbits int64, level byte, out []byte) ([]byte, error) {
	r := &bzBits{b: data}
	maxBlock := int(level-'0') * 100000
	if hi, lo := r.read(24), r.read(24); uint64(hi)<<24|uint64(lo) != bzBlockMagic {
		return nil, errBzBlock
	}
	wantCRC := r.read(16)<<16 | r.read(16)
	if r.read(1) != 0 {
		return nil, errBzBlock // randomized: left to dsnet, which refuses it
	}
	origPtr := int(r.read(24))

	// The symbols in use.
	var seqToUnseq [256]byte
	nInUse := 0
	used := r.read(16)
	for i := range 16 {
		if used&(0x8000>>i) != 0 {
			bits := r.read(16)
			for j := range 16 {
				if bits&(0x8000>>j) != 0 {
					seqToUnseq[nInUse] = byte(i*16 + j)
					nInUse++
				}
			}
		}
	}
	if nInUse == 0 {
		return nil, errBzBlock
	}
	alpha := nInUse + 2
	nGroups := int(r.read(3))
	nSels := int(r.read(15))
	if nGroups < 2 || nGroups > bzMaxGroups || nSels < 1 {
		return nil, errBzBlock
	}
	d.sels = d.sels[:0]
	var mtfG [bzMaxGroups]uint8
	for i := range mtfG {
		mtfG[i] = uint8(i)
	}
	for range nSels {
		j := 0
		for r.read(1) == 1 {
			if j++; j >= nGroups {
				return nil, errBzBlock
			}
		}
		v := mtfG[j]
		copy(mtfG[1:j+1], mtfG[:j])
		mtfG[0] = v
		d.sels = append(d.sels, v)
		if r.over > 8 {
			return nil, errBzBlock
		}
	}
	var lens [bzMaxAlpha]uint8
	for g := range nGroups {
		l := int(r.read(5))
		for s := range alpha {
			for {
				if l < 1 || l > bzMaxCode {
					return nil, errBzBlock
				}
				if r.read(1) == 0 {
					break
				}
				if r.read(1) == 0 {
					l++
				} else {
					l--
				}
			}
			lens[s] = uint8(l)
		}
		if !d.huffs[g].build(lens[:alpha]) {
			return nil, errBzBlock
		}
	}

	// Huffman, then move-to-front and the runs of RUNA/RUNB.
	if cap(d.tt) < maxBlock {
		d.tt = make([]uint32, maxBlock)
	}
	tt := d.tt[:maxBlock]
	var counts [256]int
	var mtf [256]uint8
	for i := range mtf {
		mtf[i] = uint8(i)
	}
	eob := nInUse + 1
	n := 0
	run, runBit := 0, 0
	group, left := -1, 0
	var h *bzHuff
	for {
		if left == 0 {
			if group++; group >= len(d.sels) {
				return nil, errBzBlock
			}
			h, left = &d.huffs[d.sels[group]], bzGroupSize
		}
		left--
		sym := h.decode(r)
		if sym < 0 || sym >= alpha || r.over > 8 {
			return nil, errBzBlock
		}
		if sym <= 1 { // RUNA, RUNB: bijective base 2
			if runBit > 24 {
				return nil, errBzBlock
			}
			run += (sym + 1) << runBit
			runBit++
			if n+run > maxBlock {
				return nil, errBzBlock
			}
			continue
		}
		if run > 0 {
			b := seqToUnseq[mtf[0]]
			for k := n; k < n+run; k++ {
				tt[k] = uint32(b)
			}
			counts[b] += run
			n += run
			run, runBit = 0, 0
		}
		if sym == eob {
			break
		}
		if n >= maxBlock {
			return nil, errBzBlock
		}
		i := sym - 1
		v := mtf[i]
		copy(mtf[1:i+1], mtf[:i])
		mtf[0] = v
		b := seqToUnseq[v]
		tt[n] = uint32(b)
		counts[b]++
		n++
	}
	if r.over > 0 || r.consumed() != nbits || origPtr >= n {
		return nil, errBzBlock
	}

	// The inverse BWT: each entry gets the index of its successor above
	// its byte.
	var start [256]int
	sum := 0
	for b, c := range counts {
		start[b] = sum
		sum += c
	}
	tt = tt[:n]
	for i := range n {
		b := byte(tt[i])
		tt[start[b]] |= uint32(i) << 8
		start[b]++
	}

	// Walk it, undoing the initial run-length encoding (four equal bytes
	// and a count) and computing the CRC as the bytes come.
	crc := ^uint32(0)
	pos := tt[origPtr] >> 8
	last, same := -1, 0
	if cap(out)-len(out) < n {
		out = append(out[:len(out):len(out)], make([]byte, n)...)[:len(out)]
	}
	for range n {
		pos = tt[pos]
		b := byte(pos)
		pos >>= 8
		if same == 4 {
			if len(out)+int(b) > bzMaxBlockOut {
				return nil, errBzBlock
			}
			c := byte(last)
			for range b {
				out = append(out, c)
				crc = crc<<8 ^ bzCRCTable[byte(crc>>24)^c]
			}
			same = 0
			continue
		}
		if int(b) == last {
			same++
		} else {
			last, same = int(b), 1
		}
		out = append(out, b)
		crc = crc<<8 ^ bzCRCTable[byte(crc>>24)^b]
	}
	if ^crc != wantCRC {
		return nil, errBzBlock
	}
	return out, nil
}
