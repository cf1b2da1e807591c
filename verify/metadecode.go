package verify

import (
	"encoding/json"
	"strings"

	"github.com/envlock/envlock/internal/jsonlex"
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
	d := &metaDecoder{Lexer: jsonlex.Lexer{Data: data}}
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
	return d.AtEnd()
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

// metaDecoder reads a record with jsonlex's tokens, and skips values.
type metaDecoder struct {
	jsonlex.Lexer
	depth int
}

// object decodes an object, calling field with each key and the
// decoder at its value, which field consumes.
func (d *metaDecoder) object(field func(key string) bool) bool {
	if !d.Byte('{') {
		return false
	}
	if d.Byte('}') {
		return true
	}
	for {
		key, ok := d.Str()
		if !ok || !d.Byte(':') || !field(key) {
			return false
		}
		if d.Byte(',') {
			continue
		}
		return d.Byte('}')
	}
}

// str reads a string without escapes into dst.
func (d *metaDecoder) str(dst *string) bool {
	s, ok := d.Str()
	*dst = s
	return ok
}

// raw skips a value and keeps its bytes, as json.RawMessage does.
func (d *metaDecoder) raw(dst *[]byte) bool {
	d.Space()
	start := d.I
	if !d.skip() {
		return false
	}
	*dst = append([]byte(nil), d.Data[start:d.I]...)
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
	d.Space()
	if d.I >= len(d.Data) {
		return false
	}
	switch c := d.Data[d.I]; {
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
		d.I++
		if d.Byte(']') {
			return true
		}
		for {
			if !d.skip() {
				return false
			}
			if d.Byte(',') {
				continue
			}
			return d.Byte(']')
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
	if !strings.HasPrefix(string(d.Data[d.I:min(len(d.Data), d.I+len(s))]), s) {
		return false
	}
	d.I += len(s)
	return true
}

// skipString skips a string, escapes included, checking them.
func (d *metaDecoder) skipString() bool {
	d.I++ // the opening quote
	for d.I < len(d.Data) {
		c := d.Data[d.I]
		switch {
		case c == '"':
			d.I++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			d.I++
			if d.I >= len(d.Data) {
				return false
			}
			switch d.Data[d.I] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if d.I+4 >= len(d.Data) {
					return false
				}
				for _, h := range d.Data[d.I+1 : d.I+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				d.I += 4
			default:
				return false
			}
		}
		d.I++
	}
	return false
}

// number skips a number in JSON's grammar.
func (d *metaDecoder) number() bool {
	digits := func() int {
		n := 0
		for d.I < len(d.Data) && d.Data[d.I] >= '0' && d.Data[d.I] <= '9' {
			d.I++
			n++
		}
		return n
	}
	if d.I < len(d.Data) && d.Data[d.I] == '-' {
		d.I++
	}
	start := d.I
	n := digits()
	if n == 0 || (n > 1 && d.Data[start] == '0') {
		return false
	}
	if d.I < len(d.Data) && d.Data[d.I] == '.' {
		d.I++
		if digits() == 0 {
			return false
		}
	}
	if d.I < len(d.Data) && (d.Data[d.I] == 'e' || d.Data[d.I] == 'E') {
		d.I++
		if d.I < len(d.Data) && (d.Data[d.I] == '+' || d.Data[d.I] == '-') {
			d.I++
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
		if seen || !d.Byte('[') {
			return false
		}
		seen = true
		paths := make([]metaPath, 0, 64)
		if !d.Byte(']') {
			for {
				var p metaPath
				if !d.path(&p) {
					return false
				}
				paths = append(paths, p)
				if d.Byte(',') {
					continue
				}
				if !d.Byte(']') {
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
			n, ok := d.Int()
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
			n, ok := d.Int()
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
