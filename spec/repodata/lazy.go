package repodata

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"sort"
)

// A Lazy is a repodata.json indexed by package name without decoding its
// records: Skim walks the document once, noting where each record's
// object starts and ends and which name it holds, and Records decodes
// only the records of the names asked for. Solving against conda-forge
// reaches a few hundred of its tens of thousands of names, so the time
// and memory of a lock follow the size of the answer, not of the
// channel.
//
// A Lazy reads from the document it was made from, which must stay
// unchanged (it may be a read-only memory map). Records may be called
// from several goroutines.
type Lazy struct {
	Info    Info
	Version int
	Removed []string

	data   []byte
	spans  []lazySpan
	byName map[string][]int32 // name → indexes into spans, in document order
}

// A lazySpan locates one record: the key (its file name, a JSON string)
// starts at off, and the record's object ends n bytes later.
type lazySpan struct {
	off   int64
	n     uint32
	conda bool
}

// chunkRelease is how far Skim reads between calls to its release
// function.
const chunkRelease = 32 << 20

// Skim indexes data, a repodata.json document, by package name. Records
// are not decoded or validated beyond their nesting and names: a damaged
// record is reported by Records when its name is asked for. When release
// is not nil, Skim calls it with an offset below which it will not read
// again, every few tens of MB, so an owner of a memory map can drop
// those pages from memory while the rest is read.
//
// A file name repeated within "packages" or "packages.conda" keeps only
// its last record, as Parse does.
func Skim(data []byte, release func(offset int)) (*Lazy, error) {
	l := &Lazy{data: data, byName: map[string][]int32{}}
	data = bytes.TrimPrefix(data, bom)
	skipped := len(l.data) - len(data)
	s := &scanner{data: data}
	released := 0
	var seed = maphash.MakeSeed()
	seen := map[uint64]int32{}
	section := func(conda bool) {
		if s.peek() == 'n' {
			s.literal("null")
			return
		}
		clear(seen)
		// A repeated section replaces the earlier one, as in Parse.
		for i := range l.spans {
			if l.spans[i].conda == conda {
				l.spans[i].n = 0
			}
		}
		if !s.expect('{') {
			return
		}
		if s.peek() == '}' {
			s.pos++
			return
		}
		for s.err == nil {
			s.ws()
			keyStart := s.pos
			key, kesc := s.rawString()
			if kesc {
				key = []byte(s.unescape(key))
			}
			if !s.expect(':') {
				return
			}
			if s.peek() != '{' {
				s.fail("record for %q is not an object", key)
				return
			}
			end, name, esc, ok := skimRecord(s.data, s.pos)
			if !ok {
				s.fail("unterminated record %q", key)
				return
			}
			s.pos = end
			// A record without a name string is indexed under "" and
			// reported by Records, as Parse reports it.
			if int64(end-keyStart) > int64(^uint32(0)) {
				s.fail("record %q is too large", key)
				return
			}
			i := int32(len(l.spans))
			l.spans = append(l.spans, lazySpan{off: int64(keyStart + skipped), n: uint32(end - keyStart), conda: conda})
			h := maphash.Bytes(seed, key)
			if j, dup := seen[h]; dup && l.keyEqual(j, key) {
				l.spans[j].n = 0 // dropped: a later record has the same key
			}
			seen[h] = i
			if esc {
				n := (&scanner{data: name}).unescape(name)
				l.byName[n] = append(l.byName[n], i)
			} else if list, ok := l.byName[string(name)]; ok {
				l.byName[string(name)] = append(list, i)
			} else {
				l.byName[string(name)] = []int32{i}
			}
			if release != nil && s.pos-released > chunkRelease {
				released = s.pos - s.pos%4096
				release(released + skipped)
			}
			switch s.peek() {
			case ',':
				s.pos++
			case '}':
				s.pos++
				return
			default:
				s.fail("expected ',' or '}' in object")
			}
		}
	}
	s.object(func(key []byte) {
		switch string(key) {
		case "info":
			s.info(&l.Info)
		case "packages":
			section(false)
		case "packages.conda":
			section(true)
		case "removed":
			l.Removed = s.strings(map[string]string{})
		case "repodata_version":
			l.Version = int(s.int())
		default:
			s.skip()
		}
	})
	if s.err == nil && s.peek() != 0 {
		s.fail("unexpected data after the top-level object")
	}
	if s.err != nil {
		return nil, s.err
	}
	return l, nil
}

// keyEqual reports whether span j's key is key (after unescaping).
func (l *Lazy) keyEqual(j int32, key []byte) bool {
	sp := l.spans[j]
	s := &scanner{data: l.data[:sp.off+int64(sp.n)], pos: int(sp.off)}
	b, esc := s.rawString()
	if esc {
		return s.unescape(b) == string(key)
	}
	return bytes.Equal(b, key)
}

// skimRecord finds the end of the object starting at data[pos] and the
// raw value of its top-level "name" string (nil when there is none).
// Strings are found with IndexByte, which is what makes the skim fast.
func skimRecord(data []byte, pos int) (end int, name []byte, esc, ok bool) {
	depth := 0
	wantKey, nameNext := false, false
	for pos < len(data) {
		switch data[pos] {
		case '"':
			start := pos + 1
			j := start
			hasEsc := false
			for {
				k := bytes.IndexByte(data[j:], '"')
				if k < 0 {
					return 0, nil, false, false
				}
				q := j + k
				bs := 0
				for q-1-bs >= start && data[q-1-bs] == '\\' {
					bs++
				}
				if bs > 0 {
					hasEsc = true
				}
				if bs%2 == 0 {
					str := data[start:q]
					pos = q + 1
					if depth == 1 {
						switch {
						case wantKey:
							wantKey = false
							nameNext = string(str) == "name"
						case nameNext:
							nameNext = false
							name, esc = str, hasEsc
						}
					}
					break
				}
				j = q + 1
			}
			continue
		case '{', '[':
			depth++
			if depth == 1 {
				wantKey = true
			}
		case '}', ']':
			depth--
			if depth == 0 {
				return pos + 1, name, esc, true
			}
		case ',':
			if depth == 1 {
				wantKey, nameNext = true, false
			}
		}
		pos++
	}
	return 0, nil, false, false
}

// Names returns the package names, sorted.
func (l *Lazy) Names() []string {
	out := make([]string, 0, len(l.byName))
	for n := range l.byName {
		if l.Has(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether the document holds records named name.
func (l *Lazy) Has(name string) bool {
	for _, i := range l.byName[name] {
		if l.spans[i].n > 0 {
			return true
		}
	}
	return false
}

// Len returns the number of records, .tar.bz2 twins of .conda records
// and replaced duplicates included.
func (l *Lazy) Len() int { return len(l.spans) }

// Records decodes the records named name: the .conda records, then the
// .tar.bz2 records without a .conda twin, each with Subdir filled from
// info.subdir when missing, as Parse returns them. Each call returns new
// records.
func (l *Lazy) Records(name string) ([]*Record, error) {
	idx := l.byName[name]
	if len(idx) == 0 {
		return nil, nil
	}
	recs := make([]Record, len(idx))
	var conda, bz2 []*Record
	intern := map[string]string{}
	for k, i := range idx {
		sp := l.spans[i]
		if sp.n == 0 {
			continue
		}
		s := &scanner{data: l.data[:sp.off+int64(sp.n)], pos: int(sp.off)}
		fn := s.str()
		if !s.expect(':') {
			return nil, fmt.Errorf("record %q: %w", fn, s.err)
		}
		s.ws()
		r := &recs[k]
		if err := decodeRecord(l.data, span{fn: fn, start: s.pos, end: int(sp.off) + int(sp.n)}, r, intern); err != nil {
			return nil, err
		}
		if r.Name != name || name == "" {
			return nil, fmt.Errorf("record %q: name %q read back as %q (the file changed while in use?)", fn, name, r.Name)
		}
		r.Fn = fn
		if r.Subdir == "" {
			r.Subdir = l.Info.Subdir
		}
		// Identities are checked here as Parse checks them: a record
		// that breaks conda's grammar is dropped, never handed on.
		if err := r.checkIn(l.Info.Subdir); err != nil {
			continue
		}
		r.Prepare()
		if sp.conda {
			conda = append(conda, r)
		} else {
			bz2 = append(bz2, r)
		}
	}
	return MergeTwins(conda, bz2), nil
}

// Repodata decodes every record, as Parse would.
func (l *Lazy) Repodata() (*Repodata, error) {
	rd := &Repodata{Info: l.Info, Version: l.Version, Removed: l.Removed}
	for _, n := range l.Names() {
		recs, err := l.Records(n)
		if err != nil {
			return nil, err
		}
		rd.Records = append(rd.Records, recs...)
	}
	return rd, nil
}
