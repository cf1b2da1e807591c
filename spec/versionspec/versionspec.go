// Package versionspec implements conda version constraints: the version
// part of a MatchSpec ("1.2.*", ">=1.8,<2|1.7.*", "~=1.10.1", "^1\.7.*$").
//
// The grammar and meaning follow conda's VersionSpec: "," (and) binds
// tighter than "|" (or), parentheses group, and a term is one of
//
//   - any version
//     1.2             exactly 1.2 (== 1.2, so also 1.2.0)
//     1.2.* or 1.2*   any version starting with 1.2 (1.2, 1.2.3, not 1.20)
//     =1.2            the same as 1.2.*
//     ==, !=, <, <=, >, >=   comparison in conda's VersionOrder
//     !=1.2.*         any version not starting with 1.2
//     ~=1.2.3         >=1.2.3 and 1.2.* (PEP 440's compatible release)
//     1.*.3           a glob over the version string
//     ^1\.[5-8].*$    a regular expression over the version string
//
// A MatchSpec's "name=1.2" turns into "1.2.*" before it gets here; see
// package matchspec.
package versionspec

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/envlock/envlock/spec/version"
)

// An Op is the kind of a Spec node.
type Op uint8

// The kinds of version constraints.
const (
	Any               Op = iota // *
	Equal                       // ==1.2 or bare 1.2
	NotEqual                    // !=1.2
	Less                        // <1.2
	LessEqual                   // <=1.2
	Greater                     // >1.2
	GreaterEqual                // >=1.2
	StartsWith                  // 1.2.*, =1.2
	NotStartsWith               // !=1.2.*
	CompatibleRelease           // ~=1.2.3
	Regex                       // ^…$ or a glob such as 1.*.3
	And                         // a,b
	Or                          // a|b
)

// A Spec is a parsed version constraint. Specs are immutable and safe for
// concurrent use.
type Spec struct {
	op       Op
	str      string          // canonical text of this node
	ver      version.Version // operand of comparison ops
	prefix   version.Version // CompatibleRelease: the version with its last component dropped
	re       *regexp.Regexp  // Regex
	children []*Spec         // And, Or
}

// A ParseError reports an invalid version spec and where in it the
// problem is.
type ParseError struct {
	Input  string
	Offset int // byte offset in Input, or -1 when the whole spec is at fault
	Msg    string
}

func (e *ParseError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("invalid version spec %q: %s (at column %d)", e.Input, e.Msg, e.Offset+1)
	}
	return fmt.Sprintf("invalid version spec %q: %s", e.Input, e.Msg)
}

// Parse parses a version spec.
func Parse(s string) (*Spec, error) {
	p := &parser{in: s}
	p.lex()
	if p.err != nil {
		return nil, p.err
	}
	if len(p.toks) == 0 {
		return nil, &ParseError{Input: s, Offset: -1, Msg: "empty version spec"}
	}
	spec := p.parseOr()
	if p.err != nil {
		return nil, p.err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		if t.text == ")" {
			return nil, &ParseError{Input: s, Offset: t.off, Msg: "unbalanced ')'"}
		}
		return nil, &ParseError{Input: s, Offset: t.off, Msg: fmt.Sprintf("unexpected %q", t.text)}
	}
	return spec, nil
}

// MustParse is like Parse but panics on error; for constants only.
func MustParse(s string) *Spec {
	sp, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// AnyVersion is the spec "*".
var AnyVersion = &Spec{op: Any, str: "*"}

type token struct {
	text string // "(", ")", "|", ",", or a term (trimmed)
	off  int
}

type parser struct {
	in   string
	toks []token
	pos  int
	err  error
}

func (p *parser) fail(off int, format string, args ...any) {
	if p.err == nil {
		p.err = &ParseError{Input: p.in, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
}

// lex splits the input like conda's VSPEC_TOKENS: regexes "^…$" are one
// token even when they hold "|", "," or parentheses; otherwise "(", ")",
// "|" and "," separate terms.
func (p *parser) lex() {
	s := p.in
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == '|' || c == ',':
			p.toks = append(p.toks, token{text: s[i : i+1], off: i})
			i++
		case c == '^':
			j := strings.IndexByte(s[i:], '$')
			if j < 0 {
				// Not a complete regex: read it as a plain term so the
				// term check reports it.
				j = i + 1
				for j < len(s) && !strings.ContainsRune("()|,", rune(s[j])) {
					j++
				}
				p.toks = append(p.toks, token{text: strings.TrimSpace(s[i:j]), off: i})
				i = j
				continue
			}
			p.toks = append(p.toks, token{text: s[i : i+j+1], off: i})
			i += j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune("()|,", rune(s[j])) {
				j++
			}
			p.toks = append(p.toks, token{text: strings.TrimSpace(s[i:j]), off: i})
			i = j
		}
	}
}

func (p *parser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

func (p *parser) parseOr() *Spec {
	first := p.parseAnd()
	if p.err != nil {
		return nil
	}
	children := []*Spec{first}
	for {
		t, ok := p.peek()
		if !ok || t.text != "|" {
			break
		}
		p.pos++
		next := p.parseAnd()
		if p.err != nil {
			return nil
		}
		children = append(children, next)
	}
	return combine(Or, children)
}

func (p *parser) parseAnd() *Spec {
	first := p.parsePrimary()
	if p.err != nil {
		return nil
	}
	children := []*Spec{first}
	for {
		t, ok := p.peek()
		if !ok || t.text != "," {
			break
		}
		p.pos++
		next := p.parsePrimary()
		if p.err != nil {
			return nil
		}
		children = append(children, next)
	}
	return combine(And, children)
}

func (p *parser) parsePrimary() *Spec {
	t, ok := p.peek()
	if !ok {
		p.fail(len(p.in), "missing version after %q", lastOp(p))
		return nil
	}
	switch t.text {
	case "(":
		p.pos++
		inner := p.parseOr()
		if p.err != nil {
			return nil
		}
		c, ok := p.peek()
		if !ok || c.text != ")" {
			p.fail(t.off, "unbalanced '('")
			return nil
		}
		p.pos++
		return inner
	case ")", "|", ",":
		p.fail(t.off, "expected a version, found %q", t.text)
		return nil
	}
	p.pos++
	sp, err := parseTerm(t.text)
	if err != nil {
		p.fail(t.off, "%s", err.Error())
		return nil
	}
	return sp
}

func lastOp(p *parser) string {
	if p.pos > 0 {
		return p.toks[p.pos-1].text
	}
	return ""
}

// combine builds an And or Or node, fusing nested nodes of the same kind
// as conda's treeify does.
func combine(op Op, children []*Spec) *Spec {
	if len(children) == 1 {
		return children[0]
	}
	var flat []*Spec
	for _, c := range children {
		if c.op == op {
			flat = append(flat, c.children...)
		} else {
			flat = append(flat, c)
		}
	}
	sp := &Spec{op: op, children: flat}
	sp.str = sp.format(false)
	return sp
}

// format renders an And/Or node; an Or inside an And is parenthesized.
func (s *Spec) format(inAnd bool) string {
	switch s.op {
	case Or:
		parts := make([]string, len(s.children))
		for i, c := range s.children {
			parts[i] = c.format(false)
		}
		r := strings.Join(parts, "|")
		if inAnd {
			r = "(" + r + ")"
		}
		return r
	case And:
		parts := make([]string, len(s.children))
		for i, c := range s.children {
			parts[i] = c.format(true)
		}
		return strings.Join(parts, ",")
	}
	return s.str
}

var operators = []struct {
	text string
	op   Op
}{
	// Longest first, so "==" is not read as "=".
	{"==", Equal}, {"!=", NotEqual}, {"<=", LessEqual}, {">=", GreaterEqual},
	{"~=", CompatibleRelease}, {"<", Less}, {">", Greater}, {"=", StartsWith},
}

type termError string

func (e termError) Error() string { return string(e) }

// parseTerm parses one term, conda's VersionSpec.get_matcher for a
// string without operators of the expression grammar.
func parseTerm(t string) (*Spec, error) {
	if t == "" {
		return nil, termError("empty version")
	}
	if t[0] != '^' && strings.ContainsAny(t, " \t\r\n\v\f") {
		return nil, termError(fmt.Sprintf("white space inside the version term %q", t))
	}
	if t[0] == '^' || t[len(t)-1] == '$' {
		if t[0] != '^' || t[len(t)-1] != '$' || len(t) < 2 {
			return nil, termError("regex specs must start with '^' and end with '$'")
		}
		if strings.ContainsAny(t, `'"`) {
			// No version holds a quote, and a MatchSpec could not carry it.
			return nil, termError("quotes are not allowed in a version regex")
		}
		re, err := regexp.Compile(t)
		if err != nil {
			return nil, termError(fmt.Sprintf("invalid regular expression: %v", err))
		}
		return &Spec{op: Regex, str: t, re: re}, nil
	}
	if strings.ContainsRune("=<>!~", rune(t[0])) {
		return parseOperator(t)
	}
	if strings.Trim(t, "*") == "" {
		// "*", and "**" which conda would read as "starts with version *".
		return AnyVersion, nil
	}
	if strings.Contains(strings.TrimRight(t, "*"), "*") {
		return globSpec(t)
	}
	if t[len(t)-1] == '*' {
		// "1.7*" and "1.7.*" are the same prefix match; print the latter.
		base := strings.TrimRight(strings.TrimRight(t, "*"), ".")
		v, err := version.Parse(base)
		if err != nil {
			return nil, termError(versionMsg(err))
		}
		return &Spec{op: StartsWith, str: base + ".*", ver: v}, nil
	}
	v, err := version.Parse(t)
	if err != nil {
		return nil, termError(versionMsg(err))
	}
	return &Spec{op: Equal, str: t, ver: v}, nil
}

func versionMsg(err error) string {
	if pe, ok := err.(*version.ParseError); ok {
		return fmt.Sprintf("%s in version %q", pe.Msg, pe.Input)
	}
	return err.Error()
}

func parseOperator(t string) (*Spec, error) {
	var op Op
	var opText string
	for _, o := range operators {
		if strings.HasPrefix(t, o.text) {
			op, opText = o.op, o.text
			break
		}
	}
	rest := t[len(opText):]
	if opText == "" || rest == "" || strings.ContainsRune("=<>!~", rune(rest[0])) {
		if rest == "" && opText != "" {
			return nil, termError(fmt.Sprintf("operator %q needs a version after it", opText))
		}
		return nil, termError(fmt.Sprintf("invalid operator in %q", t))
	}
	if strings.ContainsAny(rest, " \t") {
		return nil, termError(fmt.Sprintf("invalid operator in %q (no spaces inside a term)", t))
	}
	if strings.HasSuffix(rest, ".*") {
		switch op {
		case StartsWith, GreaterEqual:
			rest = rest[:len(rest)-2]
		case NotEqual:
			rest = rest[:len(rest)-2]
			op = NotStartsWith
		case CompatibleRelease:
			return nil, termError(fmt.Sprintf("invalid operator with '.*' in %q", t))
		default:
			// conda ignores a ".*" after ==, <, <=, > (with a deprecation
			// warning) and compares with the version before it.
			rest = rest[:len(rest)-2]
		}
	}
	if strings.Trim(rest, "*") == "" {
		if op == StartsWith {
			return AnyVersion, nil // "=*", as in "pytorch=*=cuda*"
		}
		return nil, termError(fmt.Sprintf("'*' is incompatible with operator %q", opText))
	}
	v, err := version.Parse(rest)
	if err != nil {
		return nil, termError(versionMsg(err))
	}
	sp := &Spec{op: op, str: t, ver: v}
	if op == CompatibleRelease {
		sp.prefix, err = v.DropLast()
		if err != nil {
			return nil, termError(err.Error())
		}
	}
	return sp, nil
}

// globSpec turns a glob such as "1.*.3" into a regex over the version
// string, as conda does: "." and "+" are literal, "*" is any text. Only
// characters a version can hold are allowed.
func globSpec(t string) (*Spec, error) {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("*.+!_-", c) >= 0) {
			// conda would hand other characters to its regex engine; a
			// version can never hold them, so say so instead.
			return nil, termError(fmt.Sprintf("invalid character %q in version glob %q", c, t))
		}
	}
	rx := strings.NewReplacer(".", `\.`, "+", `\+`, "*", ".*").Replace(t)
	re, err := regexp.Compile("^(?:" + rx + ")$")
	if err != nil {
		return nil, termError(fmt.Sprintf("invalid version glob %q: %v", t, err))
	}
	return &Spec{op: Regex, str: t, re: re}, nil
}

// Op returns the kind of s.
func (s *Spec) Op() Op { return s.op }

// String returns the canonical text of s, which Parse reads back to an
// equal Spec.
func (s *Spec) String() string { return s.str }

// IsAny reports whether s matches every version ("*").
func (s *Spec) IsAny() bool { return s.op == Any }

// IsExact reports whether s pins one version ("1.2", "==1.2").
func (s *Spec) IsExact() bool { return s.op == Equal }

// Version returns the operand of a comparison spec (zero for And, Or, Any,
// Regex).
func (s *Spec) Version() version.Version { return s.ver }

// Children returns the operands of an And or Or spec.
func (s *Spec) Children() []*Spec { return s.children }

// Match reports whether v satisfies s.
func (s *Spec) Match(v version.Version) bool {
	switch s.op {
	case Any:
		return true
	case Equal:
		return v.Compare(s.ver) == 0
	case NotEqual:
		return v.Compare(s.ver) != 0
	case Less:
		return v.Compare(s.ver) < 0
	case LessEqual:
		return v.Compare(s.ver) <= 0
	case Greater:
		return v.Compare(s.ver) > 0
	case GreaterEqual:
		return v.Compare(s.ver) >= 0
	case StartsWith:
		return v.StartsWith(s.ver)
	case NotStartsWith:
		return !v.StartsWith(s.ver)
	case CompatibleRelease:
		return v.Compare(s.ver) >= 0 && v.StartsWith(s.prefix)
	case Regex:
		return s.re.MatchString(v.String())
	case And:
		for _, c := range s.children {
			if !c.Match(v) {
				return false
			}
		}
		return true
	case Or:
		for _, c := range s.children {
			if c.Match(v) {
				return true
			}
		}
		return false
	}
	return false
}

// MatchString parses v and reports whether it satisfies s; a version that
// does not parse matches nothing.
func (s *Spec) MatchString(v string) bool {
	pv, err := version.Parse(v)
	if err != nil {
		return false
	}
	return s.Match(pv)
}
