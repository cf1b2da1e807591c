package matchspec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A StringMatch matches a string field: exactly, by glob ("py3*",
// "*_cuda", "*" meaning anything) or by a "^…$" regular expression, as
// conda's GlobStrMatch does.
type StringMatch struct {
	raw   string
	fold  bool // compare case-insensitively (licenses)
	re    *regexp.Regexp
	exact string
}

// NewStringMatch parses a string matcher; fold makes it case-insensitive.
func NewStringMatch(s string, fold bool) (*StringMatch, error) {
	if i := strings.IndexAny(s, "'\"[]"); i >= 0 {
		return nil, fmt.Errorf("invalid character %q in %q", s[i], s)
	}
	m := &StringMatch{raw: s, fold: fold}
	pat := s
	if fold {
		pat = strings.ToLower(s)
	}
	switch {
	case strings.HasPrefix(pat, "^") && strings.HasSuffix(pat, "$") && len(pat) >= 2:
		re, err := regexp.Compile(pat)
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression %q: %v", s, err)
		}
		m.re = re
	case strings.Contains(pat, "*"):
		re, err := regexp.Compile("^(?:" + strings.ReplaceAll(regexp.QuoteMeta(pat), `\*`, ".*") + ")$")
		if err != nil {
			return nil, fmt.Errorf("invalid glob %q: %v", s, err)
		}
		m.re = re
	default:
		m.exact = pat
	}
	return m, nil
}

// newBuildMatch parses a build-string matcher; builds hold no white space
// or commas (conda-build writes letters, digits, "_" and "."), so one that
// does is a mistake in the spec.
func newBuildMatch(s string) (*StringMatch, error) {
	if i := strings.IndexAny(s, " \t,"); i >= 0 {
		return nil, fmt.Errorf("invalid character %q in build string %q", s[i], s)
	}
	return NewStringMatch(s, false)
}

// String returns the matcher as written.
func (m *StringMatch) String() string { return m.raw }

// IsAny reports whether m matches every string ("*").
func (m *StringMatch) IsAny() bool { return m.raw == "*" }

// IsExact reports whether m matches one string only.
func (m *StringMatch) IsExact() bool { return m.re == nil }

// Match reports whether s matches.
func (m *StringMatch) Match(s string) bool {
	if m.fold {
		s = strings.ToLower(s)
	}
	if m.re != nil {
		return m.re.MatchString(s)
	}
	return s == m.exact
}

// A BuildNumberMatch constrains a build number: "3", "==3", "!=3", ">=3",
// "<3", … or "*".
type BuildNumberMatch struct {
	raw string
	op  string
	n   int64
}

// ParseBuildNumber parses a build-number constraint.
func ParseBuildNumber(s string) (*BuildNumberMatch, error) {
	t := strings.TrimSpace(s)
	if t == "*" {
		return &BuildNumberMatch{raw: t, op: "*"}, nil
	}
	op := "=="
	for _, o := range []string{"==", "!=", "<=", ">=", "<", ">", "="} {
		if strings.HasPrefix(t, o) {
			op = o
			t = t[len(o):]
			break
		}
	}
	if op == "=" {
		op = "=="
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("invalid build number constraint %q (want a number, optionally after ==, !=, <, <=, > or >=)", s)
	}
	return &BuildNumberMatch{raw: strings.TrimSpace(s), op: op, n: n}, nil
}

// String returns the constraint as written.
func (m *BuildNumberMatch) String() string { return m.raw }

// Match reports whether build number n satisfies m.
func (m *BuildNumberMatch) Match(n int64) bool {
	switch m.op {
	case "*":
		return true
	case "==":
		return n == m.n
	case "!=":
		return n != m.n
	case "<":
		return n < m.n
	case "<=":
		return n <= m.n
	case ">":
		return n > m.n
	case ">=":
		return n >= m.n
	}
	return false
}
