package repodata

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A SyntaxError reports malformed JSON in a repodata file.
type SyntaxError struct {
	Offset    int // byte offset of the problem
	Line, Col int // 1-based position of Offset
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d (byte %d): %s", e.Line, e.Col, e.Offset, e.Msg)
}

// scanner is a small JSON reader over a byte slice, made for repodata:
// it skips values it does not need without building them and returns
// strings without copying when they hold no escapes.
type scanner struct {
	data []byte
	pos  int
	err  *SyntaxError
}

func (s *scanner) fail(format string, args ...any) {
	if s.err != nil {
		return
	}
	off := min(s.pos, len(s.data))
	line, col := 1, 1
	for i := 0; i < off; i++ {
		if s.data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	s.err = &SyntaxError{Offset: off, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
	s.pos = len(s.data)
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) expect(c byte) bool {
	if s.peek() != c {
		if s.pos >= len(s.data) {
			s.fail("unexpected end of input, expected %q", c)
		} else {
			s.fail("expected %q, found %q", c, s.data[s.pos])
		}
		return false
	}
	s.pos++
	return true
}

// rawString reads a string and returns its bytes between the quotes and
// whether it holds escapes.
func (s *scanner) rawString() ([]byte, bool) {
	if !s.expect('"') {
		return nil, false
	}
	start := s.pos
	esc := false
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			b := s.data[start:s.pos]
			s.pos++
			return b, esc
		case c == '\\':
			esc = true
			s.pos += 2
		case c < 0x20:
			s.fail("control character in string")
			return nil, false
		default:
			s.pos++
		}
	}
	s.fail("unterminated string")
	return nil, false
}

// str reads a string value.
func (s *scanner) str() string {
	b, esc := s.rawString()
	if s.err != nil {
		return ""
	}
	if !esc {
		return string(b)
	}
	return s.unescape(b)
}

func (s *scanner) unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(b) {
			s.fail("bad escape")
			return ""
		}
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+5 > len(b) {
				s.fail("bad \\u escape")
				return ""
			}
			r, err := strconv.ParseUint(string(b[i+1:i+5]), 16, 32)
			if err != nil {
				s.fail("bad \\u escape")
				return ""
			}
			i += 4
			ru := rune(r)
			if utf16.IsSurrogate(ru) && i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
				if r2, err := strconv.ParseUint(string(b[i+3:i+7]), 16, 32); err == nil {
					ru = utf16.DecodeRune(ru, rune(r2))
					i += 6
				}
			}
			out = utf8.AppendRune(out, ru)
		default:
			s.fail("bad escape \\%c", b[i])
			return ""
		}
	}
	return string(out)
}

// skip skips one value of any kind.
func (s *scanner) skip() {
	switch c := s.peek(); c {
	case '"':
		s.rawString()
	case '{', '[':
		s.skipContainer()
	case 't':
		s.literal("true")
	case 'f':
		s.literal("false")
	case 'n':
		s.literal("null")
	case 0:
		s.fail("unexpected end of input")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			s.number()
			return
		}
		s.fail("unexpected %q", c)
	}
}

// skipContainer skips an object or array by counting brackets outside
// strings; it does not validate what it skips beyond that.
func (s *scanner) skipContainer() {
	depth := 0
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '"':
			s.rawString()
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.pos++
				return
			}
		}
		s.pos++
	}
	s.fail("unterminated object or array")
}

func (s *scanner) literal(lit string) {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		s.fail("invalid literal")
		return
	}
	s.pos += len(lit)
}

// number reads a number's text.
func (s *scanner) number() []byte {
	s.ws()
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || c >= '0' && c <= '9' {
			s.pos++
			continue
		}
		break
	}
	if s.pos == start {
		s.fail("expected a number")
	}
	return s.data[start:s.pos]
}

// int reads a number and truncates it to an integer (timestamps are
// sometimes written as floats).
func (s *scanner) int() int64 {
	b := s.number()
	if s.err != nil {
		return 0
	}
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		s.fail("invalid number %q", b)
		return 0
	}
	return int64(f)
}

// object calls field for each key of an object; field must consume the
// value.
func (s *scanner) object(field func(key []byte)) {
	if !s.expect('{') {
		return
	}
	if s.peek() == '}' {
		s.pos++
		return
	}
	for s.err == nil {
		key, esc := s.rawString()
		if esc {
			key = []byte(s.unescape(key))
		}
		if !s.expect(':') {
			return
		}
		field(key)
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

// strings reads an array of strings (null reads as none).
func (s *scanner) strings(intern map[string]string) []string {
	if s.peek() == 'n' {
		s.literal("null")
		return nil
	}
	if !s.expect('[') {
		return nil
	}
	var out []string
	if s.peek() == ']' {
		s.pos++
		return []string{}
	}
	for s.err == nil {
		b, esc := s.rawString()
		var v string
		if esc {
			v = s.unescape(b)
		} else if iv, ok := intern[string(b)]; ok {
			v = iv
		} else {
			v = string(b)
			intern[v] = v
		}
		out = append(out, v)
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return out
		default:
			s.fail("expected ',' or ']' in array")
		}
	}
	return out
}
