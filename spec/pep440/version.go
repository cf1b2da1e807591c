package pep440

import (
	"fmt"
	"strconv"
	"strings"
)

// A Version is a parsed PEP 440 version. The zero Version is "0".
type Version struct {
	Epoch   int
	Release []int
	// Pre is the pre-release phase ("a", "b" or "rc"; "" for none) and
	// PreN its number.
	Pre  string
	PreN int
	// Post and Dev are the post- and dev-release numbers, -1 for none.
	Post int
	Dev  int
	// Local are the local version's parts ("ubuntu", 1), lower case.
	Local []string
}

// A ParseError says where a version or specifier does not parse.
type ParseError struct {
	Input  string
	Offset int // byte offset of the problem in Input
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid PEP 440 version %q at column %d: %s", e.Input, e.Offset+1, e.Msg)
}

// Parse parses s, applying PEP 440's normalizations: case is ignored, a
// leading "v" and surrounding spaces are dropped, "alpha"/"beta"/"c"/
// "pre"/"preview" spell "a"/"b"/"rc", "rev"/"r" spell "post", "1.0-1" is
// "1.0.post1", and "-", "_" and "." separate segments interchangeably.
func Parse(s string) (Version, error) {
	p := parser{in: s, s: strings.ToLower(s)}
	v, err := p.version()
	if err != nil {
		return Version{}, err
	}
	return v, nil
}

// MustParse is Parse for literals known to be valid; it panics otherwise.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

type parser struct {
	in, s string // s is the lower-cased input
	i     int
}

func (p *parser) fail(msg string, args ...any) error {
	return &ParseError{Input: p.in, Offset: p.i, Msg: fmt.Sprintf(msg, args...)}
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) number() (int, bool, error) {
	start := p.i
	for p.i < len(p.s) && isDigit(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		return 0, false, nil
	}
	n, err := strconv.Atoi(p.s[start:p.i])
	if err != nil || n < 0 {
		p.i = start
		return 0, false, p.fail("number %s is too large", p.s[start:p.i])
	}
	return n, true, nil
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool    { return c >= 'a' && c <= 'z' }
func isSep(c byte) bool      { return c == '.' || c == '-' || c == '_' }
func isAlnum(c byte) bool    { return isDigit(c) || isAlpha(c) }
func trimSpace(s string) int { return len(s) - len(strings.TrimLeft(s, " \t\n\r\f\v")) }

// word consumes one of the spellings at the cursor (longest first) and
// returns its canonical form.
func (p *parser) word(spellings map[string]string, order []string) (string, bool) {
	for _, w := range order {
		if strings.HasPrefix(p.s[p.i:], w) {
			// "r" must not eat the start of "rc", nor "c" of something
			// longer: the order lists longer spellings first.
			p.i += len(w)
			return spellings[w], true
		}
	}
	return "", false
}

var (
	preWords  = map[string]string{"alpha": "a", "beta": "b", "preview": "rc", "pre": "rc", "rc": "rc", "c": "rc", "a": "a", "b": "b"}
	preOrder  = []string{"preview", "alpha", "beta", "pre", "rc", "a", "b", "c"}
	postWords = map[string]string{"post": "post", "rev": "post", "r": "post"}
	postOrder = []string{"post", "rev", "r"}
)

func (p *parser) version() (Version, error) {
	v := Version{Post: -1, Dev: -1}
	p.i = trimSpace(p.s)
	end := len(strings.TrimRight(p.s, " \t\n\r\f\v"))
	if end < p.i {
		end = p.i
	}
	p.s = p.s[:end]
	if p.peek() == 'v' {
		p.i++
	}
	n, ok, err := p.number()
	if err != nil {
		return v, err
	}
	if !ok {
		return v, p.fail("a version starts with a number")
	}
	if p.peek() == '!' {
		v.Epoch = n
		p.i++
		if n, ok, err = p.number(); err != nil {
			return v, err
		} else if !ok {
			return v, p.fail("a release number must follow the epoch")
		}
	}
	v.Release = append(v.Release, n)
	for p.peek() == '.' && p.i+1 < len(p.s) && isDigit(p.s[p.i+1]) {
		p.i++
		n, _, err := p.number()
		if err != nil {
			return v, err
		}
		v.Release = append(v.Release, n)
	}
	// Pre-release: [sep] (a|b|rc|…) [sep] [N]
	if save := p.i; true {
		if isSep(p.peek()) {
			p.i++
		}
		if w, ok := p.word(preWords, preOrder); ok && !(p.i < len(p.s) && isAlpha(p.s[p.i])) {
			v.Pre = w
			v.PreN, err = p.optNumber()
			if err != nil {
				return v, err
			}
		} else {
			p.i = save
		}
	}
	// Post-release: [sep] (post|rev|r) [sep] [N], or "-N".
	if save := p.i; true {
		if p.peek() == '-' && p.i+1 < len(p.s) && isDigit(p.s[p.i+1]) {
			p.i++
			v.Post, _, err = p.number()
			if err != nil {
				return v, err
			}
		} else {
			if isSep(p.peek()) {
				p.i++
			}
			if _, ok := p.word(postWords, postOrder); ok && !(p.i < len(p.s) && isAlpha(p.s[p.i])) {
				v.Post, err = p.optNumber()
				if err != nil {
					return v, err
				}
			} else {
				p.i = save
			}
		}
	}
	// Dev release: [sep] dev [sep] [N]
	if save := p.i; true {
		if isSep(p.peek()) {
			p.i++
		}
		if strings.HasPrefix(p.s[p.i:], "dev") && !(p.i+3 < len(p.s) && isAlpha(p.s[p.i+3])) {
			p.i += 3
			v.Dev, err = p.optNumber()
			if err != nil {
				return v, err
			}
		} else {
			p.i = save
		}
	}
	// Local version: + alnum ([-_.] alnum)*
	if p.peek() == '+' {
		p.i++
		for {
			start := p.i
			for p.i < len(p.s) && isAlnum(p.s[p.i]) {
				p.i++
			}
			if p.i == start {
				return v, p.fail("a local version is letters and digits separated by \".\"")
			}
			part := p.s[start:p.i]
			if allDigits(part) {
				part = strings.TrimLeft(part, "0")
				if part == "" {
					part = "0"
				}
			}
			v.Local = append(v.Local, part)
			if !isSep(p.peek()) {
				break
			}
			p.i++
		}
	}
	if p.i != len(p.s) {
		return v, p.fail("unexpected %q", p.s[p.i:])
	}
	return v, nil
}

// optNumber reads "[sep] N", 0 when there is no number (PEP 440 implicit
// numbers: "1.0a" is "1.0a0").
func (p *parser) optNumber() (int, error) {
	save := p.i
	if isSep(p.peek()) {
		p.i++
	}
	n, ok, err := p.number()
	if err != nil {
		return 0, err
	}
	if !ok {
		p.i = save
		return 0, nil
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// String returns the normalized form: "1!2.0rc1.post2.dev3+ubuntu.1".
func (v Version) String() string {
	if len(v.Local) > 0 {
		return v.Public() + "+" + strings.Join(v.Local, ".")
	}
	return v.Public()
}

// Public returns the version without its local part.
func (v Version) Public() string {
	var b strings.Builder
	if v.Epoch != 0 {
		fmt.Fprintf(&b, "%d!", v.Epoch)
	}
	if len(v.Release) == 0 {
		b.WriteString("0")
	}
	for i, n := range v.Release {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	if v.Pre != "" {
		fmt.Fprintf(&b, "%s%d", v.Pre, v.PreN)
	}
	if v.Post >= 0 {
		fmt.Fprintf(&b, ".post%d", v.Post)
	}
	if v.Dev >= 0 {
		fmt.Fprintf(&b, ".dev%d", v.Dev)
	}
	return b.String()
}

// IsPrerelease reports whether v is a pre- or dev release.
func (v Version) IsPrerelease() bool { return v.Pre != "" || v.Dev >= 0 }

// IsPostrelease reports whether v is a post-release.
func (v Version) IsPostrelease() bool { return v.Post >= 0 }

// WithoutLocal returns v without its local part.
func (v Version) WithoutLocal() Version {
	v.Local = nil
	return v
}

// Base returns the epoch and release only: "1!2.0" of "1!2.0rc1.post1".
func (v Version) Base() Version {
	return Version{Epoch: v.Epoch, Release: v.Release, Post: -1, Dev: -1}
}

// Compare returns -1, 0 or 1 as v sorts before, with or after w in PEP
// 440's order: epoch, release (trailing zeros ignored), then a dev-only
// release before pre-releases before the release before post-releases,
// dev releases of each before it, and a local version after its public
// version.
func (v Version) Compare(w Version) int {
	if c := cmpInt(v.Epoch, w.Epoch); c != 0 {
		return c
	}
	n := max(len(v.Release), len(w.Release))
	for i := 0; i < n; i++ {
		if c := cmpInt(at(v.Release, i), at(w.Release, i)); c != 0 {
			return c
		}
	}
	if c := cmpInt(v.preKey(), w.preKey()); c != 0 {
		return c
	}
	if v.Pre != "" {
		if c := cmpInt(v.PreN, w.PreN); c != 0 {
			return c
		}
	}
	// No post release sorts before any post release: -1 < 0.
	if c := cmpInt(v.Post, w.Post); c != 0 {
		return c
	}
	if c := cmpInt(devKey(v.Dev), devKey(w.Dev)); c != 0 {
		return c
	}
	return cmpLocal(v.Local, w.Local)
}

// preKey ranks the pre-release phase: a dev release of the release itself
// (1.0.dev0) first, then a, b, rc, then no pre-release.
func (v Version) preKey() int {
	switch v.Pre {
	case "a":
		return 1
	case "b":
		return 2
	case "rc":
		return 3
	}
	if v.Post < 0 && v.Dev >= 0 {
		return 0
	}
	return 4
}

// devKey puts "no dev release" after every dev release.
func devKey(d int) int {
	if d < 0 {
		return int(^uint(0) >> 1)
	}
	return d
}

func cmpLocal(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := allDigits(a[i]), allDigits(b[i])
		switch {
		case an && bn:
			if c := cmpNumeric(a[i], b[i]); c != 0 {
				return c
			}
		case an: // numbers sort after strings
			return 1
		case bn:
			return -1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

func cmpNumeric(a, b string) int {
	if c := cmpInt(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func at(r []int, i int) int {
	if i < len(r) {
		return r[i]
	}
	return 0
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
