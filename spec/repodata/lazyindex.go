package repodata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// lazyMagic starts a Lazy's saved index; the digit is the format version.
const lazyMagic = "envlock-lazy-1\n"

// MarshalIndex returns the Lazy's index (where each record is and which
// name it holds, and the document's info) in a compact binary form, so
// that a later run over the same unchanged document can skip Skim:
// UnmarshalIndex reads it back in a small fraction of Skim's time. The
// caller decides when the document is unchanged (fetch/channel keys it
// by the file's size and modification time) and where it is kept.
func (l *Lazy) MarshalIndex() []byte {
	var b []byte
	b = append(b, lazyMagic...)
	b = binary.AppendUvarint(b, uint64(len(l.data)))
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(l.Info.Subdir)
	str(l.Info.BaseURL)
	b = binary.AppendVarint(b, int64(l.Version))
	b = binary.AppendUvarint(b, uint64(len(l.Removed)))
	for _, r := range l.Removed {
		str(r)
	}
	b = binary.AppendUvarint(b, uint64(len(l.spans)))
	var prev int64
	for _, sp := range l.spans {
		b = binary.AppendVarint(b, sp.off-prev)
		prev = sp.off
		n := uint64(sp.n) << 1
		if sp.conda {
			n |= 1
		}
		b = binary.AppendUvarint(b, n)
	}
	b = binary.AppendUvarint(b, uint64(len(l.byName)))
	for name, idx := range l.byName {
		str(name)
		b = binary.AppendUvarint(b, uint64(len(idx)))
		var prev int32
		for _, i := range idx {
			b = binary.AppendUvarint(b, uint64(i-prev))
			prev = i
		}
	}
	return b
}

// errIndex says a saved index cannot be used.
var errIndex = errors.New("not a usable saved index")

// UnmarshalIndex returns a Lazy over data from an index MarshalIndex
// made for the same document. An index that is damaged, of another
// format or made for a document of another length is an error (the
// caller then runs Skim again); spans are checked to lie within data.
func UnmarshalIndex(data, index []byte) (*Lazy, error) {
	r := &indexReader{b: index}
	if !bytes.HasPrefix(index, []byte(lazyMagic)) {
		return nil, fmt.Errorf("%w: wrong format", errIndex)
	}
	r.b = r.b[len(lazyMagic):]
	if r.uvarint() != uint64(len(data)) {
		return nil, fmt.Errorf("%w: made for a document of another size", errIndex)
	}
	l := &Lazy{data: data}
	l.Info.Subdir = r.str()
	l.Info.BaseURL = r.str()
	l.Version = int(r.varint())
	nr := r.count(1)
	for range nr {
		l.Removed = append(l.Removed, r.str())
	}
	ns := r.count(2)
	l.spans = make([]lazySpan, ns)
	var off int64
	for i := range l.spans {
		off += r.varint()
		n := r.uvarint()
		if off < 0 || n>>1 > math.MaxUint32 || uint64(off)+n>>1 > uint64(len(data)) {
			r.err = true
		}
		l.spans[i] = lazySpan{off: off, n: uint32(n >> 1), conda: n&1 == 1}
	}
	nn := r.count(2)
	l.byName = make(map[string][]int32, nn)
	for range nn {
		name := r.str()
		k := r.count(1)
		idx := make([]int32, k)
		var prev uint64
		for j := range idx {
			prev += r.uvarint()
			if prev >= uint64(ns) {
				r.err = true
				prev = 0
			}
			idx[j] = int32(prev)
		}
		l.byName[name] = idx
	}
	if r.err || len(r.b) != 0 {
		return nil, fmt.Errorf("%w: damaged", errIndex)
	}
	return l, nil
}

type indexReader struct {
	b   []byte
	err bool
}

func (r *indexReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *indexReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length, refusing one that the rest of the input cannot
// hold (each item takes at least min bytes).
func (r *indexReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.err = true
		r.b = nil
		return 0
	}
	return int(n)
}

func (r *indexReader) str() string {
	n := r.count(1)
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
