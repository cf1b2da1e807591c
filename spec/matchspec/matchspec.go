// Package matchspec implements conda MatchSpecs, the query language for
// package records: "conda-forge/linux-64::numpy >=1.26,<2 py311*",
// "python=3.11", "blas=*=mkl", "pytorch[build_number='>=2', channel=pytorch]".
//
// Parsing follows conda's MatchSpec (conda/models/match_spec.py) step by
// step: a "#" comment and an " if " condition are dropped, a package file
// or URL stands for that one package, the "[key=value]" section overrides
// the rest, "channel/subdir::" prefixes the name, and what follows the
// name is a version spec optionally followed by a build string. "name=1.2"
// means "1.2.*" and "name=1.2=build" means exactly 1.2. String returns
// conda's canonical form, which Parse reads back to the same MatchSpec.
//
// Where conda silently ignores what it cannot read (stray text inside
// brackets), Parse reports an error instead, naming the column.
package matchspec

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/envlock/envlock/spec/versionspec"
)

// A MatchSpec is a parsed conda MatchSpec. A nil field matches anything.
type MatchSpec struct {
	// Name is the package name, lower-cased; "*" matches every name and
	// a name holding "*" is a glob.
	Name string
	// Version constrains the version; nil means any.
	Version *versionspec.Spec
	// Build constrains the build string (a glob like "py3*" or
	// "*_cuda", an exact string, or a "^…$" regex); nil means any.
	Build *StringMatch
	// BuildNumber constrains the build number; nil means any.
	BuildNumber *BuildNumberMatch
	// Channel is the channel's canonical name ("conda-forge",
	// "pkgs/main", "defaults", or a URL for channels elsewhere); "" means
	// any.
	Channel string
	// Subdir restricts the platform subdirectory ("linux-64"); "" means any.
	Subdir string
	// Namespace is the part between single colons ("ns:name"); conda
	// ignores it when matching and so do we.
	Namespace string

	MD5, SHA256, Fn, URL string // exact matches when set

	License, LicenseFamily *StringMatch // case-insensitive globs

	// TrackFeatures and Features match a record whose feature set is
	// exactly this set (conda's FeatureMatch); nil means any.
	TrackFeatures, Features []string

	source string
}

// A ParseError reports an invalid MatchSpec and where it goes wrong.
type ParseError struct {
	Input  string
	Offset int // byte offset of the problem in Input, or -1
	Msg    string
}

func (e *ParseError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("invalid MatchSpec %q: %s (at column %d)", e.Input, e.Msg, e.Offset+1)
	}
	return fmt.Sprintf("invalid MatchSpec %q: %s", e.Input, e.Msg)
}

// bracketKeys are the keys a "[key=value]" section may set, in conda's
// canonical output order (MatchSpec.FIELD_NAMES).
var bracketKeys = []string{
	"channel", "subdir", "name", "version", "build", "build_number",
	"track_features", "features", "url", "md5", "sha256", "license",
	"license_family", "fn",
}

func isBracketKey(k string) bool {
	for _, b := range bracketKeys {
		if b == k {
			return true
		}
	}
	return false
}

// Parse parses a MatchSpec.
func Parse(s string) (*MatchSpec, error) {
	p := &specParser{in: s}
	ms, err := p.parse()
	if err != nil {
		return nil, err
	}
	ms.source = s
	return ms, nil
}

// MustParse is like Parse but panics on error; for constants only.
func MustParse(s string) *MatchSpec {
	ms, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return ms
}

type specParser struct {
	in string
}

func (p *specParser) errorf(off int, format string, args ...any) error {
	return &ParseError{Input: p.in, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// offsetOf finds sub in the input at or after from, for error columns.
func (p *specParser) offsetOf(sub string, from int) int {
	if from < 0 || from > len(p.in) {
		from = 0
	}
	if i := strings.Index(p.in[from:], sub); i >= 0 {
		return from + i
	}
	if i := strings.Index(p.in, sub); i >= 0 {
		return i
	}
	return -1
}

func (p *specParser) parse() (*MatchSpec, error) {
	s := strings.TrimSpace(p.in)
	if s == "" {
		return nil, p.errorf(-1, "empty spec")
	}

	// Legacy feature form: "mkl@" means any package tracking mkl.
	if strings.HasSuffix(s, "@") && !strings.ContainsAny(s, " =<>[]") {
		f := splitFeatures(s[:len(s)-1])
		if len(f) == 0 {
			return nil, p.errorf(0, "missing feature name before '@'")
		}
		if err := checkFeatures(f); err != nil {
			return nil, p.errorf(0, "%v", err)
		}
		return &MatchSpec{Name: "*", TrackFeatures: f}, nil
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if i := strings.Index(s, " if "); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return nil, p.errorf(-1, "empty spec")
	}
	if isPackageFile(s) {
		return p.parsePackageFile(s)
	}

	ms := &MatchSpec{}
	brackets := map[string]string{}
	var bracketOrder []string

	// Brackets: from the last '[' that has a ']' after it to the last ']'.
	if close := strings.LastIndexByte(s, ']'); close >= 0 {
		if open := strings.LastIndexByte(s[:close], '['); open >= 0 {
			section := s[open : close+1]
			base := p.offsetOf(section, 0)
			kv, order, err := p.parseKeyValues(section[1:len(section)-1], base+1)
			if err != nil {
				return nil, err
			}
			brackets, bracketOrder = kv, order
			s = strings.Replace(s, section, "", 1)
		}
	}
	if i := strings.IndexAny(s, "[]"); i >= 0 {
		if s[i] == '[' && strings.Count(s, "[") > 0 && len(brackets) > 0 {
			return nil, p.errorf(p.offsetOf("[", 0), "multiple bracket sections are not allowed")
		}
		return nil, p.errorf(p.offsetOf(s[i:i+1], 0), "unbalanced %q", s[i:i+1])
	}

	// A trailing "(target=…, optional)" section is conda's internal
	// notation; drop it as conda does. Parentheses that hold a version
	// expression stay.
	if strings.HasSuffix(s, ")") {
		if open := strings.LastIndexByte(s, '('); open >= 0 && isParensSection(s[open+1:len(s)-1]) {
			s = strings.TrimSpace(s[:open])
		}
	}

	// channel[/subdir]::[namespace:]name
	var channelStr string
	hasChannel := false
	if i := strings.LastIndex(s, ":"); i >= 0 {
		head, rest := s[:i], s[i+1:]
		if j := strings.LastIndex(head, ":"); j >= 0 {
			channelStr, ms.Namespace, s = head[:j], head[j+1:], rest
			hasChannel = true
		} else {
			ms.Namespace, s = head, rest
		}
	}
	if hasChannel {
		if channelStr == "" {
			return nil, p.errorf(0, "empty channel before '::'")
		}
		ch, sub, err := parseChannel(channelStr)
		if err != nil {
			return nil, p.errorf(p.offsetOf(channelStr, 0), "%v", err)
		}
		ms.Channel, ms.Subdir = ch, sub
	}
	if v, ok := brackets["channel"]; ok {
		ch, sub, err := parseChannel(v)
		if err != nil {
			return nil, p.errorf(p.offsetOf(v, 0), "%v", err)
		}
		if ch != "" {
			ms.Channel = ch
		}
		if sub != "" {
			ms.Subdir = sub
		}
	}
	if v, ok := brackets["subdir"]; ok {
		for i := 0; i < len(v); i++ {
			if c := v[i]; !(isAlnum(c) || c == '-' || c == '_') {
				return nil, p.errorf(p.offsetOf(v, 0), "invalid character %q in subdir %q", c, v)
			}
		}
		ms.Subdir = v
	}
	if ms.Channel == "*" {
		ms.Channel = ""
	}

	// name, then version and build.
	nameEnd := strings.IndexAny(s, " =<>!~")
	name, rest := s, ""
	if nameEnd >= 0 {
		name, rest = s[:nameEnd], s[nameEnd:]
		if len(rest) < 2 {
			// conda's regex needs an operator and at least one more
			// character; "numpy=" is just "numpy".
			rest = ""
		}
	}
	nameOff := p.offsetOf(strings.TrimSpace(s), 0)
	if name == "" {
		return nil, p.errorf(max(nameOff, 0), "no package name found")
	}
	ms.Name = strings.ToLower(name)
	if err := checkName(ms.Name); err != nil {
		return nil, p.errorf(nameOff, "%v", err)
	}

	var versionStr, buildStr string
	hasVersion, hasBuild := false, false
	if rest = strings.TrimSpace(rest); rest != "" {
		restOff := p.offsetOf(rest, max(nameOff, 0))
		v, b, hb := splitVersionBuild(rest)
		versionStr, buildStr, hasVersion, hasBuild = v, b, true, hb
		if versionStr != "==" && versionStr != "=" && versionStr != "" && versionStr[0] == '=' {
			test := versionStr[1:]
			switch {
			case strings.HasPrefix(versionStr, "==") && !hasBuild:
				versionStr = versionStr[2:]
			case !strings.ContainsAny(test, "=,|"):
				if !hasBuild && !strings.HasSuffix(test, "*") {
					versionStr = test + "*"
				} else {
					versionStr = test
				}
			}
		}
		if versionStr == "" {
			return nil, p.errorf(restOff, "missing version")
		}
	}

	// Bracket values override what came before (except the name).
	if v, ok := brackets["version"]; ok {
		versionStr, hasVersion = v, true
	}
	if v, ok := brackets["build"]; ok {
		buildStr, hasBuild = v, true
	}
	if hasVersion {
		vs, err := versionspec.Parse(versionStr)
		if err != nil {
			off := p.offsetOf(versionStr, max(nameOff, 0))
			if pe, ok := err.(*versionspec.ParseError); ok {
				if off >= 0 && pe.Offset >= 0 && strings.Contains(p.in, versionStr) {
					off += pe.Offset
				}
				return nil, p.errorf(off, "%s", pe.Msg)
			}
			return nil, p.errorf(off, "%v", err)
		}
		// "*" constrains nothing; conda drops it from the canonical form.
		if !vs.IsAny() {
			ms.Version = vs
		}
	}
	if hasBuild && buildStr != "" {
		bm, err := newBuildMatch(buildStr)
		if err != nil {
			return nil, p.errorf(p.offsetOf(buildStr, 0), "build string: %v", err)
		}
		if !bm.IsAny() {
			ms.Build = bm
		}
	}
	for _, k := range bracketOrder {
		v := brackets[k]
		var err error
		switch k {
		case "build_number":
			ms.BuildNumber, err = ParseBuildNumber(v)
		case "track_features":
			ms.TrackFeatures = splitFeatures(v)
			err = checkFeatures(ms.TrackFeatures)
		case "features":
			ms.Features = splitFeatures(v)
			err = checkFeatures(ms.Features)
		case "url":
			ms.URL = v
		case "md5":
			ms.MD5 = v
		case "sha256":
			ms.SHA256 = v
		case "fn":
			ms.Fn = v
		case "license":
			ms.License, err = NewStringMatch(v, true)
		case "license_family":
			ms.LicenseFamily, err = NewStringMatch(v, true)
		}
		if err != nil {
			return nil, p.errorf(p.offsetOf(v, 0), "%s: %v", k, err)
		}
	}
	return ms, nil
}

// parseKeyValues reads the inside of a "[…]" section: key=value pairs
// separated by commas or spaces, values optionally quoted with ' or ".
func (p *specParser) parseKeyValues(s string, base int) (map[string]string, []string, error) {
	kv := map[string]string{}
	var order []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && (isAlnum(s[i]) || s[i] == '_' || s[i] == '-') {
			i++
		}
		key := s[start:i]
		if key == "" {
			return nil, nil, p.errorf(base+start, "expected key=value in brackets")
		}
		var value string
		switch {
		case i < len(s) && s[i] == '=':
			i++
			if i < len(s) && (s[i] == '\'' || s[i] == '"') {
				q := s[i]
				end := strings.IndexByte(s[i+1:], q)
				if end < 0 {
					return nil, nil, p.errorf(base+i, "unterminated quote in brackets")
				}
				value = s[i+1 : i+1+end]
				i += end + 2
				if i < len(s) && s[i] != ',' && s[i] != ' ' {
					return nil, nil, p.errorf(base+i, "expected ',' after quoted value")
				}
			} else {
				vs := i
				for i < len(s) && s[i] != ',' && s[i] != ' ' {
					if s[i] == '\'' || s[i] == '"' {
						return nil, nil, p.errorf(base+i, "unexpected quote inside an unquoted value")
					}
					i++
				}
				value = s[vs:i]
			}
		case i < len(s) && strings.IndexByte("<>!~", s[i]) >= 0 && key == "version":
			// Deprecated "version<2" form, which conda still accepts.
			vs := i
			for i < len(s) && s[i] != ',' && s[i] != ' ' {
				i++
			}
			value = s[vs:i]
		default:
			return nil, nil, p.errorf(base+i, "expected '=' after %q in brackets", key)
		}
		if value == "" {
			return nil, nil, p.errorf(base+start, "key-value mismatch in brackets: %q has no value", key)
		}
		if !isBracketKey(key) {
			return nil, nil, p.errorf(base+start, "unknown key %q in brackets (known: %s)", key, strings.Join(bracketKeys, ", "))
		}
		if key == "name" {
			continue // the name outside the brackets wins, as in conda
		}
		if _, dup := kv[key]; !dup {
			order = append(order, key)
		}
		kv[key] = value
	}
	return kv, order, nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isParensSection reports whether s (inside "(…)") is conda's
// "target=…, optional" notation rather than a version expression.
func isParensSection(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "optional" {
			continue
		}
		k, _, ok := strings.Cut(part, "=")
		if !ok || (k != "target" && k != "optional") {
			return false
		}
	}
	return true
}

// splitVersionBuild separates "version build" or "version=build", as
// conda's _parse_version_plus_build does: the split is at the first space
// or '=' that does not follow an operator character and after which only
// build-string characters remain. Spaces in the version are removed.
func splitVersionBuild(s string) (v, build string, hasBuild bool) {
	for i := 1; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '=' {
			continue
		}
		if strings.IndexByte("=!|,<>~", s[i-1]) >= 0 {
			continue
		}
		b := s[i+1:]
		if b == "" || strings.ContainsAny(b, "-=,|<>~") {
			continue
		}
		if tb := strings.TrimSpace(b); tb != "" {
			return strings.ReplaceAll(s[:i], " ", ""), tb, true
		}
	}
	return strings.ReplaceAll(s, " ", ""), "", false
}

func checkName(n string) error {
	if isPackageFile(n) {
		return fmt.Errorf("package name %q looks like a package file name", n)
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '*' || c == '+') {
			return fmt.Errorf("invalid character %q in package name %q", c, n)
		}
	}
	return nil
}

func checkFeatures(fs []string) error {
	for _, f := range fs {
		for i := 0; i < len(f); i++ {
			if c := f[i]; !(isAlnum(c) || c == '_' || c == '-' || c == '.') {
				return fmt.Errorf("invalid character %q in feature %q", c, f)
			}
		}
	}
	return nil
}

func splitFeatures(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	sort.Strings(f)
	out := f[:0]
	for i, x := range f {
		if i == 0 || x != f[i-1] {
			out = append(out, x)
		}
	}
	if out == nil {
		return []string{}
	}
	return out
}

func isPackageFile(s string) bool {
	return strings.HasSuffix(s, ".tar.bz2") || strings.HasSuffix(s, ".conda")
}

// parsePackageFile reads a spec that is a package file path or URL.
func (p *specParser) parsePackageFile(s string) (*MatchSpec, error) {
	if i := strings.IndexAny(s, "'\"[]"); i >= 0 {
		return nil, p.errorf(i, "invalid character %q in package file location", s[i])
	}
	u := s
	switch {
	case strings.Contains(s, "://"):
	case len(s) > 2 && s[1] == ':' && (s[2] == '\\' || s[2] == '/'):
		// A Windows path, C:\dir\pkg.tar.bz2.
		u = "file:///" + strings.ReplaceAll(s, `\`, "/")
	default:
		abs, err := filepath.Abs(s)
		if err != nil {
			return nil, p.errorf(0, "%v", err)
		}
		u = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return nil, p.errorf(0, "invalid package URL: %v", err)
	}
	unescaped, _ := url.PathUnescape(parsed.Path)
	fn := path.Base(unescaped)
	dir := path.Dir(unescaped)
	ms := &MatchSpec{Name: "*", Fn: fn, URL: u}
	if isKnownSubdir(path.Base(dir)) {
		stem := strings.TrimSuffix(strings.TrimSuffix(fn, ".tar.bz2"), ".conda")
		parts := rsplit(stem, "-", 2)
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return nil, p.errorf(0, "package file name %q is not name-version-build", fn)
		}
		base := *parsed
		base.Path = path.Dir(dir)
		base.RawPath = ""
		ch, _, err := parseChannel(base.String())
		if err != nil {
			return nil, p.errorf(0, "%v", err)
		}
		vs, err := versionspec.Parse(parts[1])
		if err != nil {
			return nil, p.errorf(0, "version in file name: %v", err)
		}
		bm, err := newBuildMatch(parts[2])
		if err != nil {
			return nil, p.errorf(0, "build in file name: %v", err)
		}
		ms.Name = strings.ToLower(parts[0])
		if err := checkName(ms.Name); err != nil {
			return nil, p.errorf(0, "package file name %q: %v", fn, err)
		}
		ms.Channel = ch
		ms.Subdir = path.Base(dir)
		ms.Version = vs
		ms.Build = bm
	}
	return ms, nil
}

func rsplit(s, sep string, n int) []string {
	var out []string
	for len(out) < n {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		out = append([]string{s[i+len(sep):]}, out...)
		s = s[:i]
	}
	return append([]string{s}, out...)
}
