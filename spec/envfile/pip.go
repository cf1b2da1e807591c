package envfile

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// A PipLine is one line of a pip requirements list: the "- pip:" section
// of an environment.yml or a requirements.txt it refers to. It is either
// an option (Option set) or a requirement (Name set).
type PipLine struct {
	// Option is the option's long name without dashes ("requirement",
	// "constraint", "index-url", "extra-index-url", "find-links",
	// "editable", "no-index", "pre", "trusted-host", …), or "" for a
	// requirement.
	Option string
	// Value is the option's argument ("requirements.txt", a URL).
	Value string
	// Name is the requirement's project name ("torch-geometric"), or the
	// name an editable install's "#egg=" gives.
	Name string
	// Rest is the requirement after the name, as an env.cue pypi value
	// takes it: extras, version specifiers, "@ URL", "; marker".
	Rest string
}

// pipShort maps pip's one-letter options to their long names.
var pipShort = map[string]string{
	"r": "requirement", "c": "constraint", "i": "index-url",
	"f": "find-links", "e": "editable",
}

// pipTakesValue lists the options that take an argument.
var pipTakesValue = map[string]bool{
	"requirement": true, "constraint": true, "index-url": true,
	"extra-index-url": true, "find-links": true, "editable": true,
	"trusted-host": true, "use-feature": true, "only-binary": true,
	"no-binary": true, "prefer-binary": false, "pre": false, "no-index": false,
}

var pipName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?`)

// ParsePipLine parses one requirements line (pip's requirements file
// format; PEP 508 for requirements). Comments and blank lines give a zero
// PipLine.
func ParsePipLine(s string) (PipLine, error) {
	s = stripPipComment(s)
	if s == "" {
		return PipLine{}, nil
	}
	if strings.HasPrefix(s, "-") {
		return parsePipOption(s)
	}
	if isURLish(s) {
		return pipURL(s, s)
	}
	name := pipName.FindString(s)
	if name == "" {
		return PipLine{}, fmt.Errorf("invalid requirement %q: want a project name first (PEP 508)", s)
	}
	rest := strings.TrimSpace(s[len(name):])
	if rest != "" && !strings.ContainsRune("[(=!<>~@;", rune(rest[0])) {
		return PipLine{}, fmt.Errorf("invalid requirement %q: unexpected %q after the name", s, rest)
	}
	return PipLine{Name: name, Rest: rest}, nil
}

func parsePipOption(s string) (PipLine, error) {
	var opt, val string
	switch {
	case strings.HasPrefix(s, "--"):
		opt, val, _ = strings.Cut(s[2:], "=")
		if o, v, ok := strings.Cut(opt, " "); ok {
			opt, val = o, v
		}
	default:
		if len(s) < 2 || pipShort[s[1:2]] == "" {
			return PipLine{}, fmt.Errorf("unknown pip option %q", s)
		}
		opt, val = pipShort[s[1:2]], s[2:]
	}
	opt, val = strings.TrimSpace(opt), strings.TrimSpace(val)
	takes, known := pipTakesValue[opt]
	switch {
	case !known:
		return PipLine{}, fmt.Errorf("unknown pip option %q", "--"+opt)
	case takes && val == "":
		return PipLine{}, fmt.Errorf("pip option --%s needs a value", opt)
	}
	l := PipLine{Option: opt, Value: val}
	if opt == "editable" && isURLish(val) {
		if r, err := pipURL(val, val); err == nil {
			l.Name = r.Name
			l.Rest = r.Rest
		}
	}
	return l, nil
}

// pipURL reads a requirement given as a URL: a VCS URL with "#egg=NAME"
// or a wheel or sdist whose file name gives the project.
func pipURL(s, orig string) (PipLine, error) {
	u, err := url.Parse(s)
	if err != nil {
		return PipLine{}, fmt.Errorf("invalid requirement URL %q: %v", orig, err)
	}
	name := ""
	if frag, err := url.ParseQuery(u.Fragment); err == nil {
		name = frag.Get("egg")
	}
	if name == "" {
		base := u.Path[strings.LastIndex(u.Path, "/")+1:]
		for _, ext := range []string{".whl", ".tar.gz", ".zip"} {
			if stem, ok := strings.CutSuffix(base, ext); ok {
				name, _, _ = strings.Cut(stem, "-")
			}
		}
	}
	if name == "" || !pipName.MatchString(name) {
		return PipLine{}, fmt.Errorf("requirement URL %q does not name its project: add \"#egg=NAME\"", orig)
	}
	u.Fragment = ""
	return PipLine{Name: name, Rest: "@ " + u.String()}, nil
}

func isURLish(s string) bool {
	i := strings.Index(s, "://")
	return i > 0 && !strings.ContainsAny(s[:i], " @=<>")
}

// stripPipComment drops a "#" comment (at the start, or after white
// space, as pip does) and surrounding space.
func stripPipComment(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#") {
		return ""
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// ParseRequirements splits a requirements.txt into its logical lines
// (joining "\" continuations, dropping comments and blanks), each with
// the position it starts at.
func ParseRequirements(filename string, data []byte) []Item {
	var out []Item
	var cur strings.Builder
	start := 0
	n := 0
	for line := range bytes.Lines(data) {
		n++
		s := strings.TrimRight(string(line), "\r\n")
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(s, "\\") {
			cur.WriteString(strings.TrimSuffix(s, "\\"))
			continue
		}
		cur.WriteString(s)
		if t := stripPipComment(cur.String()); t != "" {
			out = append(out, Item{t, Pos{filename, start, 1}})
		}
		cur.Reset()
	}
	if t := stripPipComment(cur.String()); t != "" {
		out = append(out, Item{t, Pos{filename, start, 1}})
	}
	return out
}
