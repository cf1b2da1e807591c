package pep508

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/envlock/envlock/spec/pep440"
)

// A Requirement is one parsed PEP 508 dependency specification.
type Requirement struct {
	// Name is the project name as written; Key returns it normalized.
	Name string
	// Extras are the extras asked for, normalized and sorted.
	Extras []string
	// Specifier constrains the version; empty allows any.
	Specifier pep440.Set
	// URL is a direct reference ("name @ URL"), "" for none.
	URL string
	// Marker says where the requirement applies; nil means everywhere.
	Marker *Marker
}

// A ParseError says where a requirement or marker does not parse.
type ParseError struct {
	Input  string
	Offset int
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid requirement %q at column %d: %s", e.Input, e.Offset+1, e.Msg)
}

var separators = regexp.MustCompile(`[-_.]+`)

// Normalize returns a project or extra name in PEP 503 normal form: lower
// case, runs of "-", "_" and "." as one "-".
func Normalize(name string) string {
	return separators.ReplaceAllString(strings.ToLower(name), "-")
}

// Key returns the requirement's normalized project name.
func (r *Requirement) Key() string { return Normalize(r.Name) }

// String returns the requirement in normal form:
// "name[extra1,extra2]>=1,<2; python_version >= \"3.8\"".
func (r *Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if len(r.Extras) > 0 {
		b.WriteString("[" + strings.Join(r.Extras, ",") + "]")
	}
	if r.URL != "" {
		b.WriteString(" @ " + r.URL)
	} else {
		b.WriteString(r.Specifier.String())
	}
	if r.Marker != nil {
		if r.URL != "" {
			b.WriteByte(' ')
		}
		b.WriteString("; " + r.Marker.String())
	}
	return b.String()
}

// Parse parses a requirement such as "requests[socks] >=2.8, <3 ;
// python_version >= '3.8'".
func Parse(s string) (*Requirement, error) {
	p := &scanner{in: s}
	r, err := p.requirement()
	if err != nil {
		return nil, err
	}
	return r, nil
}

type scanner struct {
	in string
	i  int
}

func (p *scanner) fail(msg string, args ...any) error {
	return &ParseError{Input: p.in, Offset: p.i, Msg: fmt.Sprintf(msg, args...)}
}

func (p *scanner) ws() {
	for p.i < len(p.in) && (p.in[p.i] == ' ' || p.in[p.i] == '\t') {
		p.i++
	}
}

func (p *scanner) peek() byte {
	if p.i < len(p.in) {
		return p.in[p.i]
	}
	return 0
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// identifier reads a PEP 508 name: letters and digits, with "-", "_"
// and "." inside.
func (p *scanner) identifier(what string) (string, error) {
	start := p.i
	if !isNameChar(p.peek()) {
		return "", p.fail("expected %s (letters, digits and \"-_.\")", what)
	}
	for p.i < len(p.in) && (isNameChar(p.in[p.i]) || strings.IndexByte("-_.", p.in[p.i]) >= 0) {
		p.i++
	}
	for p.i > start+1 && strings.IndexByte("-_.", p.in[p.i-1]) >= 0 {
		p.i-- // a name ends with a letter or digit
	}
	return p.in[start:p.i], nil
}

func (p *scanner) requirement() (*Requirement, error) {
	r := &Requirement{}
	p.ws()
	name, err := p.identifier("a project name")
	if err != nil {
		return nil, err
	}
	r.Name = name
	p.ws()
	if p.peek() == '[' {
		p.i++
		for {
			p.ws()
			if p.peek() == ']' && len(r.Extras) == 0 {
				break
			}
			e, err := p.identifier("an extra's name")
			if err != nil {
				return nil, err
			}
			if !slices.Contains(r.Extras, Normalize(e)) {
				r.Extras = append(r.Extras, Normalize(e))
			}
			p.ws()
			if p.peek() != ',' {
				break
			}
			p.i++
		}
		if p.peek() != ']' {
			return nil, p.fail("expected \",\" or \"]\" in the extras")
		}
		p.i++
		slices.Sort(r.Extras)
		p.ws()
	}
	switch c := p.peek(); {
	case c == '@':
		p.i++
		p.ws()
		start := p.i
		for p.i < len(p.in) && p.in[p.i] != ' ' && p.in[p.i] != '\t' {
			p.i++
		}
		r.URL = p.in[start:p.i]
		if !strings.Contains(r.URL, "://") && !strings.HasPrefix(r.URL, "file:") {
			p.i = start
			return nil, p.fail("a direct reference is a URL (scheme://…)")
		}
		p.ws()
		if p.i < len(p.in) && p.peek() != ';' {
			return nil, p.fail("expected \"; marker\" after the URL")
		}
	case c == '(':
		p.i++
		end := strings.IndexByte(p.in[p.i:], ')')
		if end < 0 {
			return nil, p.fail("missing \")\"")
		}
		if r.Specifier, err = p.specifier(p.in[p.i : p.i+end]); err != nil {
			return nil, err
		}
		p.i += end + 1
		p.ws()
	case c != 0 && c != ';':
		end := strings.IndexByte(p.in[p.i:], ';')
		if end < 0 {
			end = len(p.in) - p.i
		}
		if r.Specifier, err = p.specifier(p.in[p.i : p.i+end]); err != nil {
			return nil, err
		}
		p.i += end
	}
	if p.peek() == ';' {
		p.i++
		p.ws()
		m, err := p.markerOr()
		if err != nil {
			return nil, err
		}
		p.ws()
		r.Marker = m
	}
	if p.i != len(p.in) {
		return nil, p.fail("unexpected %q", p.in[p.i:])
	}
	return r, nil
}

// specifier parses s, which starts at the cursor, as a specifier set.
func (p *scanner) specifier(s string) (pep440.Set, error) {
	set, err := pep440.ParseSet(s)
	if err != nil {
		if se, ok := err.(*pep440.SpecError); ok {
			return nil, &ParseError{Input: p.in, Offset: p.i + se.Offset, Msg: se.Msg}
		}
		return nil, &ParseError{Input: p.in, Offset: p.i, Msg: err.Error()}
	}
	return set, nil
}
