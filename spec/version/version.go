// Package version implements conda package versions and their order,
// exactly as conda's VersionOrder does.
//
// A version is an optional epoch ("1!"), a main part and an optional local
// part ("+abc"). The main and local parts are split at "." and "_" into
// components, and each component into runs of digits and non-digits.
// Numbers compare numerically, strings compare lexically (case-folded),
// and strings always sort before numbers; "dev" sorts before every other
// string, "post" after every number, and "*" before everything. A missing
// component compares as 0, so "1.1" == "1.1.0".
//
// The order is checked against conda's own parses of ~28,000 real
// versions; see TestConformance.
package version

import (
	"errors"
	"fmt"
	"strings"
)

// A Version is a parsed conda version. The zero Version is not valid;
// obtain one from Parse.
type Version struct {
	source string // as given, trimmed
	norm   string // lower-cased, "-" replaced by "_" where conda does
	// epoch and version components, conda's self.version (epoch first)
	version []component
	// local version components (after "+"), conda's self.local
	local []component
}

// A component is one dot-separated piece of a version: runs of digits and
// non-digits. Conda prepends a 0 when a component starts with a non-digit,
// so numbers and strings stay in phase; parse does the same.
type component []atom

type atomKind uint8

// The kinds of atoms in a component, in the order that makes strings sort
// before numbers and "post" after every number.
const (
	kindString atomKind = iota
	kindNumber
	kindPost // conda maps "post" to +infinity
)

// An atom is one run of digits or of non-digits.
type atom struct {
	kind atomKind
	// For numbers, the decimal digits without leading zeros ("" for 0);
	// comparing length then bytes gives numeric order at any size.
	// For strings, the lower-cased text, with "dev" stored as "DEV" so it
	// sorts before "_" and letters, as conda does.
	text string
}

var zeroAtom = atom{kind: kindNumber}

// A ParseError reports an invalid version string.
type ParseError struct {
	Input  string // the version as given
	Offset int    // byte offset of the problem in Input, or -1
	Msg    string
}

func (e *ParseError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("invalid version %q: %s (at column %d)", e.Input, e.Msg, e.Offset+1)
	}
	return fmt.Sprintf("invalid version %q: %s", e.Input, e.Msg)
}

// ErrEmpty is wrapped by the ParseError for an empty version string.
var ErrEmpty = errors.New("empty version string")

func validChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '.' || c == '_' || c == '+' || c == '!' || c == '*'
}

// Parse parses a conda version string. Surrounding white space is ignored
// and letters are case-folded, as conda does.
func Parse(s string) (Version, error) {
	src := strings.TrimSpace(s)
	if src == "" {
		return Version{}, &ParseError{Input: s, Offset: -1, Msg: "empty version string"}
	}
	norm := strings.ToLower(src)
	bad := invalidAt(norm)
	if bad >= 0 && strings.Contains(norm, "-") && !strings.Contains(norm, "_") {
		// conda allows dashes when there are no underscores, by
		// converting the former to the latter.
		norm = strings.ReplaceAll(norm, "-", "_")
		bad = invalidAt(norm)
	}
	if bad >= 0 {
		return Version{}, &ParseError{Input: s, Offset: offsetIn(s, src, bad), Msg: fmt.Sprintf("invalid character %q", norm[bad])}
	}
	v := Version{source: src, norm: norm}

	rest := norm
	epoch := "0"
	if i := strings.IndexByte(rest, '!'); i >= 0 {
		epoch = rest[:i]
		rest = rest[i+1:]
		if strings.IndexByte(rest, '!') >= 0 {
			return Version{}, &ParseError{Input: s, Offset: offsetIn(s, src, i+1+strings.IndexByte(rest, '!')), Msg: "duplicated epoch separator '!'"}
		}
		if epoch == "" || !allDigits(epoch) {
			return Version{}, &ParseError{Input: s, Offset: offsetIn(s, src, 0), Msg: "epoch must be an integer"}
		}
	}
	main := rest
	localStr := ""
	hasLocal := false
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		main, localStr, hasLocal = rest[:i], rest[i+1:], true
		if strings.IndexByte(localStr, '+') >= 0 {
			return Version{}, &ParseError{Input: s, Offset: -1, Msg: "duplicated local version separator '+'"}
		}
	}
	if main == "" {
		return Version{}, &ParseError{Input: s, Offset: -1, Msg: "missing version before local version separator '+'"}
	}

	var parts []string
	if main[len(main)-1] == '_' {
		// openssl-like "1.0.1_": the trailing underscore is kept on the
		// last component instead of splitting there.
		parts = strings.Split(strings.ReplaceAll(main[:len(main)-1], "_", "."), ".")
		parts[len(parts)-1] += "_"
	} else {
		parts = strings.Split(strings.ReplaceAll(main, "_", "."), ".")
	}
	v.version = make([]component, 0, len(parts)+1)
	ec, _ := splitComponent(epoch)
	v.version = append(v.version, ec)
	for _, p := range parts {
		c, ok := splitComponent(p)
		if !ok {
			return Version{}, &ParseError{Input: s, Offset: -1, Msg: "empty version component"}
		}
		v.version = append(v.version, c)
	}
	if hasLocal {
		for _, p := range strings.Split(strings.ReplaceAll(localStr, "_", "."), ".") {
			c, ok := splitComponent(p)
			if !ok {
				return Version{}, &ParseError{Input: s, Offset: -1, Msg: "empty version component"}
			}
			v.local = append(v.local, c)
		}
	}
	return v, nil
}

// MustParse is like Parse but panics on an invalid version. It is meant
// for constants in tests and tables, never for user input.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

func invalidAt(s string) int {
	for i := 0; i < len(s); i++ {
		if !validChar(s[i]) {
			return i
		}
	}
	return -1
}

// offsetIn maps an offset in the trimmed, lower-cased form back to the
// string as given.
func offsetIn(orig, trimmed string, off int) int {
	return strings.Index(orig, trimmed) + off
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// splitComponent splits one component into runs of digits, runs of "*"
// and runs of other characters, as conda's version_split_re does.
func splitComponent(p string) (component, bool) {
	if p == "" {
		return nil, false
	}
	c := make(component, 0, 3)
	if !isDigit(p[0]) {
		c = append(c, zeroAtom) // keep numbers and strings in phase
	}
	for i := 0; i < len(p); {
		j := i + 1
		switch {
		case isDigit(p[i]):
			for j < len(p) && isDigit(p[j]) {
				j++
			}
			c = append(c, atom{kind: kindNumber, text: strings.TrimLeft(p[i:j], "0")})
		case p[i] == '*':
			for j < len(p) && p[j] == '*' {
				j++
			}
			c = append(c, atom{kind: kindString, text: p[i:j]})
		default:
			for j < len(p) && !isDigit(p[j]) && p[j] != '*' {
				j++
			}
			switch t := p[i:j]; t {
			case "post":
				c = append(c, atom{kind: kindPost})
			case "dev":
				c = append(c, atom{kind: kindString, text: "DEV"})
			default:
				c = append(c, atom{kind: kindString, text: t})
			}
		}
		i = j
	}
	return c, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// String returns the version as it was given (trimmed of white space).
func (v Version) String() string { return v.source }

// Normalized returns conda's normalized form: lower case, with "-"
// replaced by "_" where conda does that. Equal strings mean equal
// versions, but not the reverse ("1.0" == "1.0.0").
func (v Version) Normalized() string { return v.norm }

// IsZero reports whether v is the zero Version (not obtained from Parse).
func (v Version) IsZero() bool { return v.version == nil }

// HasLocal reports whether v has a local part ("1.0+abc").
func (v Version) HasLocal() bool { return len(v.local) > 0 }

// Epoch returns the epoch's digits ("0" when none was given).
func (v Version) Epoch() string {
	if v.version == nil || v.version[0][0].text == "" {
		return "0"
	}
	return v.version[0][0].text
}

func compareAtom(a, b atom) int {
	if a.kind != b.kind {
		if a.kind < b.kind {
			return -1
		}
		return 1
	}
	switch a.kind {
	case kindNumber:
		if len(a.text) != len(b.text) {
			if len(a.text) < len(b.text) {
				return -1
			}
			return 1
		}
		return strings.Compare(a.text, b.text)
	case kindString:
		return strings.Compare(a.text, b.text)
	}
	return 0
}

// compareParts compares two component lists the way conda's
// zip_longest-with-fill comparison does: a missing component is empty,
// and a missing atom in a component is 0.
func compareParts(x, y []component) int {
	n := max(len(x), len(y))
	for i := 0; i < n; i++ {
		var cx, cy component
		if i < len(x) {
			cx = x[i]
		}
		if i < len(y) {
			cy = y[i]
		}
		m := max(len(cx), len(cy))
		for j := 0; j < m; j++ {
			ax, ay := zeroAtom, zeroAtom
			if j < len(cx) {
				ax = cx[j]
			}
			if j < len(cy) {
				ay = cy[j]
			}
			if c := compareAtom(ax, ay); c != 0 {
				return c
			}
		}
	}
	return 0
}

// Compare returns -1, 0 or +1 as v sorts before, equal to or after w in
// conda's VersionOrder.
func (v Version) Compare(w Version) int {
	if c := compareParts(v.version, w.version); c != 0 {
		return c
	}
	return compareParts(v.local, w.local)
}

// Equal reports whether v and w are the same version in conda's order
// ("1.1" equals "1.1.0").
func (v Version) Equal(w Version) bool { return v.Compare(w) == 0 }

// Less reports whether v sorts before w.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

// StartsWith reports whether v begins with prefix, component by
// component: "1.2.3" starts with "1.2" and "1.2.3a" starts with "1.2.3a",
// but "1.20" does not start with "1.2". It is the "1.2.*" and "=1.2"
// match, conda's VersionOrder.startswith.
func (v Version) StartsWith(prefix Version) bool {
	var t1, t2 []component
	if len(prefix.local) > 0 {
		if compareParts(v.version, prefix.version) != 0 {
			return false
		}
		t1, t2 = v.local, prefix.local
	} else {
		t1, t2 = v.version, prefix.version
	}
	nt := len(t2) - 1
	if nt < 0 {
		return true
	}
	head := t1
	if len(head) > nt {
		head = head[:nt]
	}
	if compareParts(head, t2[:nt]) != 0 {
		return false
	}
	var v1 component
	if len(t1) > nt {
		v1 = t1[nt]
	}
	v2 := t2[nt]
	na := len(v2) - 1
	h1 := v1
	if len(h1) > na {
		h1 = h1[:na]
	}
	if compareParts([]component{h1}, []component{v2[:na]}) != 0 {
		return false
	}
	c1 := zeroAtom
	if len(v1) > na {
		c1 = v1[na]
	}
	c2 := v2[na]
	if c2.kind == kindString {
		return c1.kind == kindString && strings.HasPrefix(c1.text, c2.text)
	}
	return compareAtom(c1, c2) == 0
}

// DropLast returns v without its last main component, for the
// compatible-release operator ("~=1.2.3" means ">=1.2.3" and "1.2.*").
// It works on the normalized string as conda does and fails when nothing
// would remain.
func (v Version) DropLast() (Version, error) {
	i := strings.LastIndexByte(v.norm, '.')
	if i <= 0 {
		return Version{}, fmt.Errorf("version %q has a single component; ~= needs at least two (e.g. ~=1.2)", v.source)
	}
	return Parse(v.norm[:i])
}
