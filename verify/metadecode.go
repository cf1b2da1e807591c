package verify

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeMeta decodes a conda-meta record into r in one pass over its
// bytes, for the shape conda, mamba, pixi and envlock write: the values
// verify reads are strings without escapes and integers; every other
// value is skipped once its syntax is checked. Anything else (an escape
// or invalid UTF-8 in a string it reads, null where it reads a value, a
// key that differs only in case from one it reads, a duplicate, nesting
// deeper than maxMetaDepth) makes it give up (false), and the caller
// decodes with encoding/json, whose result it otherwise equals
// (FuzzDecodeMeta). encoding/json takes most of a verify's time before
// the first file is hashed.
func decodeMeta(data []byte, r *metaRecord) bool {
	d := &metaDecoder{data: data}
	seen := map[string]bool{}
	ok := d.object(func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		switch key {
		case "name":
			return d.str(&r.Name)
		case "version":
			return d.str(&r.Version)
		case "build":
			return d.str(&r.Build)
		case "package_type":
			return d.str(&r.PackageType)
		case "python_site_packages_path":
			return d.str(&r.SitePackages)
		case "files":
			return d.raw((*[]byte)(&r.FilesJSON))
		case "noarch":
			return d.raw((*[]byte)(&r.Noarch))
		case "paths_data":
			r.PathsData = &struct {
				Paths []metaPath `json:"paths"`
			}{}
			return d.pathsData(&r.PathsData.Paths)
		case "link":
			r.Link = &struct {
				Type   int    `json:"type"`
				Source string `json:"source"`
			}{}
			return d.link(&r.Link.Type, &r.Link.Source)
		}
		return d.unknown(key, metaKeys)
	})
	if !ok {
		return false
	}
	d.space()
	return d.i == len(d.data)
}

// The keys each object's decoding reads: another key equal to one of
// these but for case would be read by encoding/json (it matches keys
// without regard to case), so the fast path gives up on it.
var (
	metaKeys = []string{"name", "version", "build", "package_type", "python_site_packages_path", "files", "noarch", "paths_data", "link"}
	dataKeys = []string{"paths"}
	pathKeys = []string{"_path", "path_type", "sha256", "sha256_in_prefix", "prefix_placeholder", "size_in_bytes"}
	linkKeys = []string{"type", "source"}
)

// maxMetaDepth bounds the nesting of skipped values.
const maxMetaDepth = 64

type metaDecoder struct {
	data  []byte
	i     int
	depth int
}

func (d *metaDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next skips space and says whether the next byte is c, without
// consuming it.
func (d *metaDecoder) next(c byte) bool {
	d.space()
	return d.i < len(d.data) && d.data[d.i] == c
}

func (d *metaDecoder) byte(c byte) bool {
	if !d.next(c) {
		return false
	}
	d.i++
	return true
}

// object decodes an object, calling field with each key and the
// decoder at its value, which field consumes.
func (d *metaDecoder) object(field func(key string) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		key, ok := d.plain()
		if !ok || !d.byte(':') || !field(key) {
			return false
		}
		if d.byte(',') {
			continue
		}
		return d.byte('}')
	}
}

// plain reads a string without escapes, as it is; ok is false for one
// with an escape or a control character, or invalid UTF-8.
func (d *metaDecoder) plain() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start := d.i
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			s := d.data[start:d.i]
			d.i++
			if !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		}
		d.i++
	}
	return "", false
}

func (d *metaDecoder) str(dst *string) bool {
	s, ok := d.plain()
	*dst = s
	return ok
}

// integer reads an integer in JSON's grammar that fits int64.
func (d *metaDecoder) integer() (int64, bool) {
	d.space()
	start := d.i
	if d.i < len(d.data) && d.data[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || (d.data[digits] == '0' && d.i-digits > 1) {
		return 0, false
	}
	if d.i < len(d.data) {
		switch d.data[d.i] {
		case '.', 'e', 'E':
			return 0, false // a number encoding/json would not put in an integer
		}
	}
	n, err := strconv.ParseInt(string(d.data[start:d.i]), 10, 64)
	return n, err == nil
}

// raw skips a value and keeps its bytes, as json.RawMessage does.
func (d *metaDecoder) raw(dst *[]byte) bool {
	d.space()
	start := d.i
	if !d.skip() {
		return false
	}
	*dst = append([]byte(nil), d.data[start:d.i]...)
	return true
}

// unknown skips the value of a key the caller does not read, giving up
// when the key is one of known but for case.
func (d *metaDecoder) unknown(key string, known []string) bool {
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return false
		}
	}
	return d.skip()
}

// skip skips one value, checking its syntax.
func (d *metaDecoder) skip() bool {
	d.space()
	if d.i >= len(d.data) {
		return false
	}
	switch c := d.data[d.i]; {
	case c == '"':
		return d.skipString()
	case c == '{' || c == '[':
		d.depth++
		defer func() { d.depth-- }()
		if d.depth > maxMetaDepth {
			return false
		}
		if c == '{' {
			return d.object(func(string) bool { return d.skip() })
		}
		d.i++
		if d.byte(']') {
			return true
		}
		for {
			if !d.skip() {
				return false
			}
			if d.byte(',') {
				continue
			}
			return d.byte(']')
		}
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	default:
		return d.number()
	}
}

func (d *metaDecoder) literal(s string) bool {
	if !strings.HasPrefix(string(d.data[d.i:min(len(d.data), d.i+len(s))]), s) {
		return false
	}
	d.i += len(s)
	return true
}

// skipString skips a string, escapes included, checking them.
func (d *metaDecoder) skipString() bool {
	d.i++ // the opening quote
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			d.i++
			if d.i >= len(d.data) {
				return false
			}
			switch d.data[d.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if d.i+4 >= len(d.data) {
					return false
				}
				for _, h := range d.data[d.i+1 : d.i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				d.i += 4
			default:
				return false
			}
		}
		d.i++
	}
	return false
}

// number skips a number in JSON's grammar.
func (d *metaDecoder) number() bool {
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.data) && d.data[d.i] == '-' {
		d.i++
	}
	start := d.i
	n := digits()
	if n == 0 || (n > 1 && d.data[start] == '0') {
		return false
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return false
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// pathsData decodes paths_data: {"paths": [...], ...}.
func (d *metaDecoder) pathsData(dst *[]metaPath) bool {
	seen := false
	return d.object(func(key string) bool {
		if key != "paths" {
			return d.unknown(key, dataKeys)
		}
		if seen || !d.byte('[') {
			return false
		}
		seen = true
		paths := make([]metaPath, 0, 64)
		if !d.byte(']') {
			for {
				var p metaPath
				if !d.path(&p) {
					return false
				}
				paths = append(paths, p)
				if d.byte(',') {
					continue
				}
				if !d.byte(']') {
					return false
				}
				break
			}
		}
		*dst = paths
		return true
	})
}

// path decodes one entry of paths_data.paths.
func (d *metaDecoder) path(p *metaPath) bool {
	var seen [6]bool
	once := func(i int) bool {
		if seen[i] {
			return false
		}
		seen[i] = true
		return true
	}
	return d.object(func(key string) bool {
		switch key {
		case "_path":
			return once(0) && d.str(&p.Path)
		case "path_type":
			return once(1) && d.str(&p.Type)
		case "sha256":
			return once(2) && d.str(&p.SHA256)
		case "sha256_in_prefix":
			return once(3) && d.str(&p.SHA256InPrefix)
		case "prefix_placeholder":
			return once(4) && d.str(&p.Placeholder)
		case "size_in_bytes":
			if !once(5) {
				return false
			}
			n, ok := d.integer()
			p.Size = &n
			return ok
		}
		return d.unknown(key, pathKeys)
	})
}

// link decodes link: {"type": N, "source": "..."}.
func (d *metaDecoder) link(typ *int, source *string) bool {
	var seenType, seenSource bool
	return d.object(func(key string) bool {
		switch key {
		case "type":
			if seenType {
				return false
			}
			seenType = true
			n, ok := d.integer()
			if !ok || int64(int(n)) != n {
				return false
			}
			*typ = int(n)
			return true
		case "source":
			if seenSource {
				return false
			}
			seenSource = true
			return d.str(source)
		}
		return d.unknown(key, linkKeys)
	})
}

// decodeMetaRecord decodes a conda-meta record, by decodeMeta where it
// can and encoding/json otherwise.
func decodeMetaRecord(data []byte, r *metaRecord) error {
	fast := *r
	if decodeMeta(data, &fast) {
		*r = fast
		return nil
	}
	return json.Unmarshal(data, r)
}
