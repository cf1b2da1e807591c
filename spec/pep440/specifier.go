package pep440

import (
	"fmt"
	"strings"
)

// A Specifier is one clause of a version specifier: an operator and a
// version, as in ">=1.2" or "==1.4.*".
type Specifier struct {
	Op      string // "~=", "==", "!=", "<=", ">=", "<", ">", "==="
	Version Version
	// Wildcard marks "==V.*" and "!=V.*" (prefix matching).
	Wildcard bool
	// Text is the version as written (for "===" and messages).
	Text string
}

// A Set is a comma-separated list of specifiers, all of which must hold.
// The empty Set allows every version.
type Set []Specifier

// A SpecError says why a specifier does not parse.
type SpecError struct {
	Input  string
	Offset int
	Msg    string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("invalid version specifier %q at column %d: %s", e.Input, e.Offset+1, e.Msg)
}

var ops = []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

// ParseSet parses a specifier set such as ">=1.2, <2, !=1.5.*". Spaces
// around clauses and operators are ignored.
func ParseSet(s string) (Set, error) {
	var out Set
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	off := 0
	for _, clause := range strings.Split(s, ",") {
		sp, err := parseSpecifier(clause)
		if err != nil {
			if se, ok := err.(*SpecError); ok {
				se.Input, se.Offset = s, off+se.Offset
			}
			return nil, err
		}
		out = append(out, sp)
		off += len(clause) + 1
	}
	return out, nil
}

// ParseSpecifier parses one clause: ">=1.2".
func ParseSpecifier(s string) (Specifier, error) { return parseSpecifier(s) }

func parseSpecifier(s string) (Specifier, error) {
	lead := trimSpace(s)
	t := strings.TrimSpace(s)
	fail := func(at int, msg string) error { return &SpecError{Input: s, Offset: lead + at, Msg: msg} }
	if t == "" {
		return Specifier{}, fail(0, "empty clause (a stray comma?)")
	}
	var sp Specifier
	for _, op := range ops {
		if strings.HasPrefix(t, op) {
			sp.Op = op
			break
		}
	}
	if sp.Op == "" {
		return Specifier{}, fail(0, "a clause starts with an operator: ~=, ==, !=, <=, >=, <, > or ===")
	}
	rest := t[len(sp.Op):]
	vstart := len(sp.Op) + trimSpace(rest)
	rest = strings.TrimSpace(rest)
	sp.Text = rest
	if rest == "" {
		return Specifier{}, fail(len(sp.Op), "a version must follow "+sp.Op)
	}
	if sp.Op == "===" {
		// Arbitrary equality compares strings; anything without spaces.
		if strings.ContainsAny(rest, " \t;") {
			return Specifier{}, fail(vstart, "=== takes one word")
		}
		return sp, nil
	}
	if strings.HasSuffix(rest, ".*") {
		if sp.Op != "==" && sp.Op != "!=" {
			return Specifier{}, fail(vstart+len(rest)-2, "\".*\" is allowed only after == and !=")
		}
		sp.Wildcard = true
		rest = rest[:len(rest)-2]
	}
	v, err := Parse(rest)
	if err != nil {
		pe := err.(*ParseError)
		return Specifier{}, fail(vstart+pe.Offset, pe.Msg)
	}
	switch {
	case sp.Wildcard && (v.Dev >= 0 || len(v.Local) > 0):
		return Specifier{}, fail(vstart, "a prefix match (.*) cannot follow a dev release or a local version")
	case len(v.Local) > 0 && sp.Op != "==" && sp.Op != "!=":
		return Specifier{}, fail(vstart, "a local version (+…) is allowed only after == and !=")
	case sp.Op == "~=" && len(v.Release) < 2:
		return Specifier{}, fail(vstart, "~= needs at least two release numbers (~=2.2, not ~=2)")
	}
	sp.Version = v
	return sp, nil
}

// String returns the clause in normal form: ">=1.2", "==1.4.*".
func (sp Specifier) String() string {
	switch {
	case sp.Op == "===":
		return sp.Op + sp.Text
	case sp.Wildcard:
		return sp.Op + sp.Version.String() + ".*"
	}
	return sp.Op + sp.Version.String()
}

// String returns the set in normal form, clauses joined by ",".
func (s Set) String() string {
	parts := make([]string, len(s))
	for i, sp := range s {
		parts[i] = sp.String()
	}
	return strings.Join(parts, ",")
}

// Prereleases reports whether the set names a pre-release in a clause
// other than !=, which lets it match pre-releases (PEP 440,
// "Handling of pre-releases").
func (s Set) Prereleases() bool {
	for _, sp := range s {
		switch sp.Op {
		case "==", "~=", "<=", ">=", "<", ">", "===":
			if sp.Op == "===" {
				if v, err := Parse(sp.Text); err == nil && v.IsPrerelease() {
					return true
				}
				continue
			}
			if sp.Version.IsPrerelease() {
				return true
			}
		}
	}
	return false
}

// Contains reports whether v satisfies every clause. Pre-releases match
// only when pre is true or the set names a pre-release itself.
func (s Set) Contains(v Version, pre bool) bool {
	if v.IsPrerelease() && !pre && !s.Prereleases() {
		return false
	}
	for _, sp := range s {
		if !sp.Match(v) {
			return false
		}
	}
	return true
}

// Match reports whether v satisfies the clause, without the set-level
// pre-release rule.
func (sp Specifier) Match(v Version) bool {
	w := sp.Version
	switch sp.Op {
	case "===":
		return strings.EqualFold(strings.TrimSpace(sp.Text), v.String())
	case "==":
		if sp.Wildcard {
			return prefixMatch(w, v)
		}
		if len(w.Local) == 0 {
			v = v.WithoutLocal()
		}
		return v.Compare(w) == 0
	case "!=":
		if sp.Wildcard {
			return !prefixMatch(w, v)
		}
		if len(w.Local) == 0 {
			v = v.WithoutLocal()
		}
		return v.Compare(w) != 0
	case "~=":
		prefix := Version{Epoch: w.Epoch, Release: w.Release[:len(w.Release)-1], Post: -1, Dev: -1}
		return v.WithoutLocal().Compare(w) >= 0 && prefixMatch(prefix, v)
	case "<=":
		return v.WithoutLocal().Compare(w) <= 0
	case ">=":
		return v.WithoutLocal().Compare(w) >= 0
	case "<":
		if v.WithoutLocal().Compare(w) >= 0 {
			return false
		}
		// "<3.1" does not admit 3.1a1 unless it names a pre-release itself.
		if !w.IsPrerelease() && v.IsPrerelease() && v.Base().Compare(w.Base()) == 0 {
			return false
		}
		return true
	case ">":
		if v.Compare(w) <= 0 {
			return false
		}
		// ">3.1" does not admit 3.1.post1 unless it names a post-release,
		// nor 3.1+local.
		if !w.IsPostrelease() && v.IsPostrelease() && v.Base().Compare(w.Base()) == 0 {
			return false
		}
		if len(v.Local) > 0 && v.WithoutLocal().Compare(w) == 0 {
			return false
		}
		return true
	}
	return false
}

// prefixMatch reports whether v starts with prefix, comparing the
// segments of the normal form (release numbers padded with zeros):
// "1.1" is a prefix of 1.1, 1.1.0.1, 1.1a1 and 1.1.post1, not of 1.10.
func prefixMatch(prefix, v Version) bool {
	ps := segments(prefix, 0)
	vs := segments(v.WithoutLocal(), len(prefix.Release))
	if len(vs) < len(ps) {
		return false
	}
	for i := range ps {
		if ps[i] != vs[i] {
			return false
		}
	}
	return true
}

func segments(v Version, pad int) []string {
	out := []string{fmt.Sprint(v.Epoch)}
	for i := 0; i < max(len(v.Release), pad); i++ {
		out = append(out, fmt.Sprint(at(v.Release, i)))
	}
	if v.Pre != "" {
		out = append(out, fmt.Sprintf("%s%d", v.Pre, v.PreN))
	}
	if v.Post >= 0 {
		out = append(out, fmt.Sprintf("post%d", v.Post))
	}
	if v.Dev >= 0 {
		out = append(out, fmt.Sprintf("dev%d", v.Dev))
	}
	return out
}
