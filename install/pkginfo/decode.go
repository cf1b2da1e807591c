package pkginfo

import (
	"strconv"
	"unicode/utf8"
)

// decodePaths decodes info/paths.json ({"paths": [...], "paths_version":
// N}) in one pass over its bytes, for the shape conda-build writes: the
// keys of Path exactly, strings without escapes, integers, booleans.
// Anything else (an escape, another key, null, a float, a duplicate
// "paths") makes it give up (ok false) and the caller decodes with
// encoding/json, whose result it otherwise equals (FuzzDecodePaths):
// encoding/json takes 0.5 ms a package, a fifth of a warm install's CPU.
func decodePaths(data []byte) (version int, paths []Path, ok bool) {
	d := &pathsDecoder{data: data}
	if !d.byte('{') {
		return 0, nil, false
	}
	seenPaths := false
	if d.peek('}') {
		d.i++
	} else {
		for {
			key, ok := d.str()
			if !ok || !d.byte(':') {
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
				n, ok := d.int()
				if !ok || int64(int(n)) != n {
					return 0, nil, false
				}
				version = int(n)
			default:
				return 0, nil, false
			}
			if d.peek(',') {
				d.i++
				continue
			}
			if !d.byte('}') {
				return 0, nil, false
			}
			break
		}
	}
	d.space()
	if d.i != len(d.data) {
		return 0, nil, false
	}
	return version, paths, true
}

type pathsDecoder struct {
	data []byte
	i    int
}

func (d *pathsDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek skips white space and reports whether c is next.
func (d *pathsDecoder) peek(c byte) bool {
	d.space()
	return d.i < len(d.data) && d.data[d.i] == c
}

// byte consumes c after white space.
func (d *pathsDecoder) byte(c byte) bool {
	if !d.peek(c) {
		return false
	}
	d.i++
	return true
}

// str reads a string without escapes or control characters, valid
// UTF-8.
func (d *pathsDecoder) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start := d.i
	ascii := true
	for ; d.i < len(d.data); d.i++ {
		c := d.data[d.i]
		switch {
		case c == '"':
			s := d.data[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// int reads an integer: an optional minus, digits, no leading zero.
func (d *pathsDecoder) int() (int64, bool) {
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
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(d.data[start:d.i]), 10, 64)
	return n, err == nil
}

// bool reads true or false.
func (d *pathsDecoder) bool() (bool, bool) {
	d.space()
	rest := d.data[d.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		d.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		d.i += 5
		return false, true
	}
	return false, false
}

// paths reads the array of path objects.
func (d *pathsDecoder) paths() ([]Path, bool) {
	if !d.byte('[') {
		return nil, false
	}
	out := []Path{}
	if d.peek(']') {
		d.i++
		return out, true
	}
	for {
		p, ok := d.path()
		if !ok {
			return nil, false
		}
		out = append(out, p)
		if d.peek(',') {
			d.i++
			continue
		}
		return out, d.byte(']')
	}
}

// path reads one path object.
func (d *pathsDecoder) path() (Path, bool) {
	var p Path
	if !d.byte('{') {
		return p, false
	}
	if d.peek('}') {
		d.i++
		return p, true
	}
	for {
		key, ok := d.str()
		if !ok || !d.byte(':') {
			return p, false
		}
		var s string
		switch key {
		case "_path", "path_type", "sha256", "prefix_placeholder", "file_mode":
			if s, ok = d.str(); !ok {
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
			if p.Size, ok = d.int(); !ok {
				return p, false
			}
		case "no_link":
			if p.NoLink, ok = d.bool(); !ok {
				return p, false
			}
		default:
			return p, false
		}
		if d.peek(',') {
			d.i++
			continue
		}
		return p, d.byte('}')
	}
}
