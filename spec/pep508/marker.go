package pep508

import (
	"slices"
	"strings"

	"github.com/envlock/envlock/spec/pep440"
)

// A Marker is a parsed environment marker: either a comparison (Op set)
// or an "and"/"or" of markers (Kind set).
type Marker struct {
	// Kind is "and" or "or" for a combination of Sub; "" for a comparison.
	Kind string
	Sub  []*Marker
	// A comparison: Left Op Right, each side a variable name (Var true)
	// or a quoted string.
	Left, Right Operand
	Op          string // "<", "<=", "==", "!=", ">=", ">", "~=", "===", "in", "not in"
}

// An Operand is one side of a marker comparison.
type Operand struct {
	Value string
	Var   bool // Value names an environment variable
}

// Variables are the marker variables PEP 508 defines, with the legacy
// dotted spellings pip still accepts mapped to them.
var Variables = map[string]string{
	"python_version": "python_version", "python_full_version": "python_full_version",
	"os_name": "os_name", "sys_platform": "sys_platform", "platform_release": "platform_release",
	"platform_system": "platform_system", "platform_version": "platform_version",
	"platform_machine": "platform_machine", "platform_python_implementation": "platform_python_implementation",
	"implementation_name": "implementation_name", "implementation_version": "implementation_version",
	"extra":   "extra",
	"os.name": "os_name", "sys.platform": "sys_platform", "platform.version": "platform_version",
	"platform.machine": "platform_machine", "platform.python_implementation": "platform_python_implementation",
	"python_implementation": "platform_python_implementation",
}

// ParseMarker parses a marker on its own: "python_version < '3.11'".
func ParseMarker(s string) (*Marker, error) {
	p := &scanner{in: s}
	p.ws()
	m, err := p.markerOr()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.in) {
		return nil, p.fail("unexpected %q", p.in[p.i:])
	}
	return m, nil
}

func (p *scanner) keyword(w string) bool {
	if strings.HasPrefix(p.in[p.i:], w) {
		end := p.i + len(w)
		if end == len(p.in) || !isNameChar(p.in[end]) && p.in[end] != '_' {
			p.i = end
			return true
		}
	}
	return false
}

func (p *scanner) markerOr() (*Marker, error) {
	return p.combine("or", p.markerAnd)
}

func (p *scanner) markerAnd() (*Marker, error) {
	return p.combine("and", p.markerExpr)
}

func (p *scanner) combine(kind string, next func() (*Marker, error)) (*Marker, error) {
	m, err := next()
	if err != nil {
		return nil, err
	}
	var subs []*Marker
	for {
		save := p.i
		p.ws()
		if !p.keyword(kind) {
			p.i = save
			break
		}
		p.ws()
		n, err := next()
		if err != nil {
			return nil, err
		}
		if subs == nil {
			subs = []*Marker{m}
		}
		subs = append(subs, n)
	}
	if subs == nil {
		return m, nil
	}
	return &Marker{Kind: kind, Sub: subs}, nil
}

func (p *scanner) markerExpr() (*Marker, error) {
	if p.peek() == '(' {
		p.i++
		p.ws()
		m, err := p.markerOr()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.peek() != ')' {
			return nil, p.fail("expected \")\"")
		}
		p.i++
		return m, nil
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.ws()
	op, err := p.operator()
	if err != nil {
		return nil, err
	}
	p.ws()
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	if !l.Var && !r.Var {
		return nil, p.fail("a marker compares a variable (python_version, sys_platform, …) with a string")
	}
	return &Marker{Left: l, Op: op, Right: r}, nil
}

func (p *scanner) operand() (Operand, error) {
	switch q := p.peek(); q {
	case '\'', '"':
		end := strings.IndexByte(p.in[p.i+1:], q)
		if end < 0 {
			return Operand{}, p.fail("unterminated string")
		}
		v := p.in[p.i+1 : p.i+1+end]
		p.i += end + 2
		return Operand{Value: v}, nil
	}
	start := p.i
	for p.i < len(p.in) && (isNameChar(p.in[p.i]) || p.in[p.i] == '_' || p.in[p.i] == '.') {
		p.i++
	}
	name, ok := Variables[p.in[start:p.i]]
	if !ok {
		p.i = start
		return Operand{}, p.fail("expected a marker variable (python_version, sys_platform, platform_machine, extra, …) or a quoted string")
	}
	return Operand{Value: name, Var: true}, nil
}

var markerOps = []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

func (p *scanner) operator() (string, error) {
	for _, op := range markerOps {
		if strings.HasPrefix(p.in[p.i:], op) {
			p.i += len(op)
			return op, nil
		}
	}
	if p.keyword("in") {
		return "in", nil
	}
	if save := p.i; p.keyword("not") {
		p.ws()
		if p.keyword("in") {
			return "not in", nil
		}
		p.i = save
	}
	return "", p.fail("expected a comparison: <, <=, ==, !=, >=, >, ~=, ===, in or not in")
}

// String returns the marker in normal form, strings in double quotes.
func (m *Marker) String() string {
	if m.Kind != "" {
		parts := make([]string, len(m.Sub))
		for i, s := range m.Sub {
			parts[i] = s.String()
			if s.Kind != "" && s.Kind != m.Kind || s.Kind == "or" {
				parts[i] = "(" + parts[i] + ")"
			}
		}
		return strings.Join(parts, " "+m.Kind+" ")
	}
	return m.Left.String() + " " + m.Op + " " + m.Right.String()
}

func (o Operand) String() string {
	if o.Var {
		return o.Value
	}
	if strings.Contains(o.Value, `"`) {
		return "'" + o.Value + "'"
	}
	return `"` + o.Value + `"`
}

// An Env holds the values of the marker variables for one target.
type Env map[string]string

// Eval reports whether the marker holds in env. A nil Marker always
// holds. A comparison that PEP 508 leaves undefined ("<" between strings
// that are not versions) is false.
func (m *Marker) Eval(env Env) bool {
	if m == nil {
		return true
	}
	switch m.Kind {
	case "and":
		for _, s := range m.Sub {
			if !s.Eval(env) {
				return false
			}
		}
		return true
	case "or":
		for _, s := range m.Sub {
			if s.Eval(env) {
				return true
			}
		}
		return false
	}
	l, r := m.Left.value(env), m.Right.value(env)
	if m.Left.Value == "extra" && m.Left.Var || m.Right.Value == "extra" && m.Right.Var {
		// PEP 685: extras compare normalized.
		l, r = Normalize(l), Normalize(r)
	}
	return compare(l, m.Op, r)
}

// EvalExtras reports whether the marker holds in env with "extra" set to
// none of extras ("") or to any one of them: the rule for a dependency
// of a project installed with those extras.
func (m *Marker) EvalExtras(env Env, extras []string) bool {
	if m == nil {
		return true
	}
	e := Env{}
	for k, v := range env {
		e[k] = v
	}
	for _, x := range append([]string{""}, extras...) {
		e["extra"] = x
		if m.Eval(e) {
			return true
		}
	}
	return false
}

// Extras returns the extras the marker names ("extra == 'gpu'"),
// normalized and sorted.
func (m *Marker) Extras() []string {
	var out []string
	var walk func(*Marker)
	walk = func(m *Marker) {
		if m == nil {
			return
		}
		for _, s := range m.Sub {
			walk(s)
		}
		if m.Kind == "" {
			if m.Left.Var && m.Left.Value == "extra" && !m.Right.Var {
				out = append(out, Normalize(m.Right.Value))
			}
			if m.Right.Var && m.Right.Value == "extra" && !m.Left.Var {
				out = append(out, Normalize(m.Left.Value))
			}
		}
	}
	walk(m)
	slices.Sort(out)
	return slices.Compact(out)
}

func (o Operand) value(env Env) string {
	if o.Var {
		return env[o.Value]
	}
	return o.Value
}

// compare applies op: as a PEP 440 specifier when the right side is a
// specifier's version and the left a version, else on strings.
func compare(l, op, r string) bool {
	switch op {
	case "in":
		return strings.Contains(r, l)
	case "not in":
		return !strings.Contains(r, l)
	}
	if op != "===" {
		if sp, err := pep440.ParseSpecifier(op + r); err == nil {
			if v, err := pep440.Parse(l); err == nil {
				return sp.Match(v)
			}
		}
	}
	switch op {
	case "==", "===":
		return l == r
	case "!=":
		return l != r
	}
	return false
}
