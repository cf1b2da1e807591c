package pkginfo

import (
	"github.com/envlock/envlock/internal/jsonlex"
)

// decodePaths decodes info/paths.json ({"paths": [...], "paths_version":
// N}) in one pass over its bytes, for the shape conda-build writes: the
// keys of Path exactly, strings without escapes, integers, booleans.
// Anything else (an escape, another key, null, a float, a duplicate
// "paths") makes it give up (ok false) and the caller decodes with
// encoding/json, whose result it otherwise equals (FuzzDecodePaths):
// encoding/json takes 0.5 ms a package, a fifth of a warm install's CPU.
func decodePaths(data []byte) (version int, paths []Path, ok bool) {
	d := &pathsDecoder{jsonlex.Lexer{Data: data}}
	if !d.Byte('{') {
		return 0, nil, false
	}
	seenPaths := false
	if d.Peek('}') {
		d.I++
	} else {
		for {
			key, ok := d.Str()
			if !ok || !d.Byte(':') {
				return 0, nil, false
			}
			switch key {
			case "paths":
				if seenPaths {
					return 0, nil, false
				}
				seenPaths = true
				if paths, ok = d.paths(); !ok {
					return 0, nil, false
				}
			case "paths_version":
				n, ok := d.Int()
				if !ok || int64(int(n)) != n {
					return 0, nil, false
				}
				version = int(n)
			default:
				return 0, nil, false
			}
			if d.Peek(',') {
				d.I++
				continue
			}
			if !d.Byte('}') {
				return 0, nil, false
			}
			break
		}
	}
	d.Space()
	if d.I != len(d.Data) {
		return 0, nil, false
	}
	return version, paths, true
}

// pathsDecoder reads paths.json with jsonlex's tokens.
type pathsDecoder struct{ jsonlex.Lexer }

// paths reads the array of path objects.
func (d *pathsDecoder) paths() ([]Path, bool) {
	if !d.Byte('[') {
		return nil, false
	}
	out := []Path{}
	if d.Peek(']') {
		d.I++
		return out, true
	}
	for {
		p, ok := d.path()
		if !ok {
			return nil, false
		}
		out = append(out, p)
		if d.Peek(',') {
			d.I++
			continue
		}
		return out, d.Byte(']')
	}
}

// path reads one path object.
func (d *pathsDecoder) path() (Path, bool) {
	var p Path
	if !d.Byte('{') {
		return p, false
	}
	if d.Peek('}') {
		d.I++
		return p, true
	}
	for {
		key, ok := d.Str()
		if !ok || !d.Byte(':') {
			return p, false
		}
		var s string
		switch key {
		case "_path", "path_type", "sha256", "prefix_placeholder", "file_mode":
			if s, ok = d.Str(); !ok {
				return p, false
			}
		}
		switch key {
		case "_path":
			p.Path = s
		case "path_type":
			p.Type = PathType(s)
		case "sha256":
			p.SHA256 = s
		case "prefix_placeholder":
			p.Placeholder = s
		case "file_mode":
			p.Mode = FileMode(s)
		case "size_in_bytes":
			if p.Size, ok = d.Int(); !ok {
				return p, false
			}
		case "no_link":
			if p.NoLink, ok = d.Bool(); !ok {
				return p, false
			}
		default:
			return p, false
		}
		if d.Peek(',') {
			d.I++
			continue
		}
		return p, d.Byte('}')
	}
}
