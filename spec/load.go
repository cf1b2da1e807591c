package spec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/envlock/envlock/schemas"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/pep508"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/virtual"
)

// ManifestFile is the name of the manifest in a project directory.
const ManifestFile = "env.cue"

// PolicyEnv is the environment variable naming the site policy file when
// no --policy flag is given. Load does not read it; commands do.
const PolicyEnv = "ENVLOCK_POLICY"

// LoadOptions adjust Load. The zero value loads the project alone for the
// host's platform.
type LoadOptions struct {
	// Policy is the path of a site policy file; "" for none. Its top-level
	// fields constrain the manifest's, as if written in env.cue, and it may
	// refer to the manifest's fields (if kernel != false { … }). Its
	// package clause does not matter.
	Policy string

	// Host is the platform "platforms" defaults to; platform.Host() when
	// empty.
	Host platform.Platform

	// Overlay maps file names in the project directory to contents that
	// replace the files on disk, or add files that are not there. init and
	// import use it to check an env.cue before writing it.
	Overlay map[string][]byte

	// Timeout and MaxMemory bound the evaluation (see LoadContext):
	// DefaultTimeout and DefaultMaxMemory when zero, no bound when
	// negative.
	Timeout   time.Duration
	MaxMemory int64
}

// Load reads the manifest in dir: env.cue and the other .cue files of
// package env there (files starting with "." or "_" are ignored, as cue
// does), unified with the #Env schema (schemas/env.cue) and with the site
// policy. Every value must be concrete, every MatchSpec must parse (with
// spec/matchspec) and every platform be known.
//
// On failure the error is Errors, every problem found, each naming the
// file, line and column, the field and what was expected; file names are
// dir joined with the file's name, so a relative dir gives relative names.
// A directory without env.cue gives an error wrapping ErrNoManifest.
//
// Evaluation is bounded in time and memory; LoadContext can also be
// abandoned.
func Load(dir string, opts *LoadOptions) (*Manifest, error) {
	return LoadContext(context.Background(), dir, opts)
}

type loader struct {
	dir  string
	opts LoadOptions
	ctx  *cue.Context

	manifestFile string          // the display name of env.cue
	fileOrder    map[string]int  // display name → rank, for sorting errors
	project      map[string]bool // display names of the project's files
	policyFile   string
	policySrc    []byte // the policy's source, nil for none
	defaults     []span // schema source ranges of default values
	errs         Errors

	proj cue.Value // the project's files (and the policy) alone
	val  cue.Value // unified with #Env
	def  cue.Value // #Env
}

// span is a range of source positions in one file.
type span struct {
	file       string
	start, end int // byte offsets
}

func (l *loader) load() (*Manifest, error) {
	l.ctx = cuecontext.New()
	files, err := l.readProject()
	if err != nil {
		return nil, err
	}
	if len(l.errs) > 0 {
		return nil, l.done()
	}
	if l.opts.Policy != "" {
		f, err := l.readPolicy()
		if err != nil {
			return nil, err
		}
		if f != nil {
			files = append(files, f)
		}
		if len(l.errs) > 0 {
			return nil, l.done()
		}
	}

	schema, err := l.compileSchema()
	if err != nil {
		return nil, err
	}
	l.def = schema.LookupPath(cue.MakePath(cue.Def("#Env")))

	inst := build.NewContext().NewInstance(l.dir, nil)
	files = append(files, l.declarations())
	for _, f := range files {
		if err := inst.AddSyntax(f); err != nil {
			l.addCUE(err)
		}
	}
	if len(l.errs) > 0 {
		return nil, l.done()
	}
	l.proj = l.ctx.BuildInstance(inst)
	l.val = l.def.Unify(l.proj)

	cueFailed := false
	if err := l.val.Validate(cue.Concrete(true)); err != nil {
		cueFailed = true
		l.addCUE(err)
		it, _ := l.def.Fields(cue.Optional(true))
		for it != nil && it.Next() {
			fp := cue.MakePath(cue.Str(it.Selector().Unquoted()))
			l.walk(fp, l.val.LookupPath(fp))
		}
		// Fields the schema does not know ("field not allowed").
		if it, err := l.proj.Fields(); err == nil {
			for it.Next() {
				l.walk(cue.MakePath(it.Selector()), l.val.LookupPath(cue.MakePath(it.Selector())))
			}
		}
	}

	m := &Manifest{Files: l.loadedFiles()}
	m.Dependencies = l.dependencies(cue.MakePath(cue.Str("dependencies")))
	m.PyPI = l.requirements(cue.MakePath(cue.Str("pypi")))
	m.Platforms = l.platforms()
	m.Target = l.targets()
	m.Channels = l.channels()
	l.pypiSources()
	m.Prefix, m.PrefixPos = l.prefix()
	if cueFailed && len(l.errs) == 0 {
		// Every CUE error was filtered as noise; show them as they are.
		l.errs = append(l.errs, &Error{Pos: Position{Filename: l.manifestFile}, Msg: cueerrors.Details(l.val.Validate(cue.Concrete(true)), nil)})
	}
	if len(l.errs) == 0 {
		l.policyTargets()
	}
	if len(l.errs) > 0 {
		return nil, l.done()
	}
	if err := l.decode(m); err != nil {
		return nil, err
	}
	return m, nil
}

// done returns the collected errors, sorted.
func (l *loader) done() error {
	return sortErrors(l.errs, l.fileOrder)
}

func (l *loader) loadedFiles() []string {
	var out []string
	for name := range l.project {
		out = append(out, name)
	}
	slices.SortFunc(out, func(a, b string) int { return l.fileOrder[a] - l.fileOrder[b] })
	if l.policyFile != "" {
		out = append(out, l.policyFile)
	}
	return out
}

// readProject parses the .cue files of package env in the directory.
func (l *loader) readProject() ([]*ast.File, error) {
	names := map[string]bool{}
	entries, err := os.ReadDir(l.dir)
	if err != nil && !(errors.Is(err, fs.ErrNotExist) && l.opts.Overlay != nil) {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			names[e.Name()] = true
		}
	}
	for name := range l.opts.Overlay {
		names[name] = true
	}
	var sorted []string
	for name := range names {
		if strings.HasSuffix(name, ".cue") && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") {
			sorted = append(sorted, name)
		}
	}
	// env.cue first: its positions are the ones users look for first.
	slices.SortFunc(sorted, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == ManifestFile:
			return -1
		case b == ManifestFile:
			return 1
		}
		return strings.Compare(a, b)
	})
	l.manifestFile = filepath.Join(l.dir, ManifestFile)
	if !slices.Contains(sorted, ManifestFile) {
		return nil, fmt.Errorf("%w in %s", ErrNoManifest, displayDir(l.dir))
	}
	var files []*ast.File
	for _, name := range sorted {
		display := filepath.Join(l.dir, name)
		src, ok := l.opts.Overlay[name]
		if !ok {
			if src, err = os.ReadFile(display); err != nil {
				return nil, fmt.Errorf("reading manifest: %w", err)
			}
		}
		f, err := parser.ParseFile(display, src, parser.ParseComments)
		if err != nil {
			l.fileOrder[display] = len(l.fileOrder)
			l.project[display] = true
			l.addCUE(err)
			continue
		}
		switch pkg := f.PackageName(); {
		case pkg == "env":
		case name == ManifestFile && pkg == "":
			// A package-less env.cue is the manifest all the same.
		case name == ManifestFile:
			l.fileOrder[display] = len(l.fileOrder)
			l.errs = append(l.errs, &Error{
				Pos: position(f.Pos()),
				Msg: fmt.Sprintf("env.cue is package %q; a manifest is package env (write \"package env\" on its first line)", pkg),
			})
			continue
		default:
			continue // another package's file, such as a policy kept beside
		}
		l.fileOrder[display] = len(l.fileOrder)
		l.project[display] = true
		files = append(files, f)
	}
	return files, nil
}

// readPolicy parses the site policy and makes it a file of the project's
// package, so that its fields and references mean the manifest's.
func (l *loader) readPolicy() (*ast.File, error) {
	src, err := os.ReadFile(l.opts.Policy)
	if err != nil {
		return nil, fmt.Errorf("reading site policy: %w", err)
	}
	l.policyFile = l.opts.Policy
	l.fileOrder[l.policyFile] = len(l.fileOrder)
	f, err := parser.ParseFile(l.policyFile, src, parser.ParseComments)
	if err != nil {
		l.addCUE(err)
		return nil, nil
	}
	l.policySrc = src
	setPackage(f)
	return f, nil
}

// compileSchema compiles schemas/env.cue with #Host filled in, and notes
// where its default values are: an alternative that fails only because
// the default did not apply is noise, not an error to report.
func (l *loader) compileSchema() (cue.Value, error) {
	f, err := parser.ParseFile(schemas.EnvFile, schemas.Env, parser.ParseComments)
	if err != nil {
		return cue.Value{}, fmt.Errorf("internal error: the built-in schema does not parse: %v", err)
	}
	ast.Walk(f, func(n ast.Node) bool {
		if u, ok := n.(*ast.UnaryExpr); ok && u.Op == token.MUL {
			l.defaults = append(l.defaults, span{schemas.EnvFile, u.Pos().Offset(), u.End().Offset()})
		}
		return true
	}, nil)
	v := l.ctx.BuildFile(f)
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("internal error: the built-in schema does not compile: %v", err)
	}
	return v.FillPath(cue.MakePath(cue.Def("#Host")), string(l.opts.Host)), nil
}

// declarations returns a file of package env declaring every field of
// #Env as "_", so that the project and the policy can refer to fields
// they do not set themselves ("if kernel != false" in a policy, when the
// project leaves kernel to its default).
func (l *loader) declarations() *ast.File {
	f := &ast.File{Decls: []ast.Decl{&ast.Package{Name: ast.NewIdent("env")}}}
	it, err := l.def.Fields(cue.Optional(true))
	if err != nil {
		return f
	}
	for it.Next() {
		s := it.Selector()
		if s.LabelType() != cue.StringLabel {
			continue
		}
		// Optional, so that a required field the project leaves out
		// is still reported as missing.
		f.Decls = append(f.Decls, &ast.Field{Label: ast.NewIdent(s.Unquoted()), Constraint: token.OPTION, Value: ast.NewIdent("_")})
	}
	return f
}

// walk validates the value at path p and, when it fails, each of its
// fields and elements on their own: CUE reports one error per struct, and
// users want every error at once. Errors found twice are dropped later.
func (l *loader) walk(p cue.Path, x cue.Value) {
	if !x.Exists() {
		return
	}
	err := x.Validate(cue.Concrete(true))
	if err == nil {
		return
	}
	l.addCUE(err)
	seen := map[string]bool{}
	for _, v := range []cue.Value{x, l.proj.LookupPath(p)} {
		// An erroneous struct's kind is bottom, but its fields can
		// still be listed.
		if it, err := v.Fields(cue.Optional(true)); err == nil {
			for it.Next() {
				// Required fields too (a policy's "ipykernel!: _"), not
				// optional ones ("conda?: error(…)" applies only if present).
				s := it.Selector()
				if s.LabelType() != cue.StringLabel || s.ConstraintType() == cue.OptionalConstraint {
					continue
				}
				s = cue.Str(s.Unquoted())
				if !seen[s.String()] {
					seen[s.String()] = true
					fp := appendPath(p, s)
					if fx := l.val.LookupPath(fp); fx.Exists() {
						l.walk(fp, fx)
					} else if it.Selector().ConstraintType() == cue.RequiredConstraint {
						l.missing(fp, it.Value())
					}
				}
			}
		} else if it, err := v.List(); err == nil {
			for i := 0; it.Next(); i++ {
				if s := cue.Index(i); !seen[s.String()] {
					seen[s.String()] = true
					l.walk(appendPath(p, s), l.val.LookupPath(appendPath(p, s)))
				}
			}
		}
	}
}

// missing reports a required field (such as a policy's "ipykernel!: _")
// that the project does not write.
func (l *loader) missing(p cue.Path, v cue.Value) {
	e := &Error{Pos: Position{Filename: l.manifestFile}, Path: pathString(p), Msg: msgMissing}
	// Point at the rule that requires it ("ipykernel!: _").
	ps := position(v.Pos())
	_, conj := v.Expr()
	for _, c := range conj {
		if f, ok := c.Source().(*ast.Field); ok && f.Constraint == token.NOT {
			ps = position(c.Pos())
			break
		}
	}
	if ps.Filename != "" {
		e.Also = append(e.Also, ps)
	}
	l.errs = append(l.errs, e)
}

func appendPath(p cue.Path, s cue.Selector) cue.Path {
	return cue.MakePath(append(slices.Clone(p.Selectors()), s)...)
}

// lookup returns the value at path p of the unified manifest and whether
// it is usable: present and without error.
func (l *loader) lookup(p cue.Path) (cue.Value, bool) {
	v := l.val.LookupPath(p)
	return v, v.Exists() && v.Err() == nil
}

// pos returns where the value at p is written: in the project's files if
// it is written there, else wherever the unified value says.
func (l *loader) pos(p cue.Path) Position {
	if v := l.proj.LookupPath(p); v.Exists() {
		if src := valueSource(v); src != nil {
			if ps := position(src.Pos()); l.project[ps.Filename] {
				return ps
			}
		}
		if ps := l.projectPos(v); ps.Filename != "" {
			return ps
		}
	}
	if v := l.val.LookupPath(p); v.Exists() {
		if ps := l.projectPos(v); ps.Filename != "" {
			return ps
		}
		if p := position(v.Pos()); p.Filename != "" {
			return p
		}
	}
	return Position{Filename: l.manifestFile}
}

// projectPos returns the position of v's first conjunct written in a
// project or policy file.
func (l *loader) projectPos(v cue.Value) Position {
	if p := position(v.Pos()); p.Filename != "" && (l.project[p.Filename] || p.Filename == l.policyFile) {
		return p
	}
	_, conj := v.Expr()
	for _, c := range conj {
		if p := position(c.Pos()); l.project[p.Filename] {
			return p
		}
	}
	return Position{}
}

// valueSource returns the expression v was written as, when one
// expression wrote it.
func valueSource(v cue.Value) ast.Node {
	src := v.Source()
	if f, ok := src.(*ast.Field); ok {
		return f.Value
	}
	return src
}

// labelPos returns where the field at p is written (its label), or
// pos(p).
func (l *loader) labelPos(p cue.Path) Position {
	if v := l.proj.LookupPath(p); v.Exists() {
		_, conj := v.Expr()
		for _, c := range conj {
			if f, ok := c.Source().(*ast.Field); ok {
				if ps := position(f.Label.Pos()); l.project[ps.Filename] {
					return ps
				}
			}
		}
	}
	return l.pos(p)
}

func (l *loader) errorf(p cue.Path, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: l.pos(p), Path: pathString(p), Msg: fmt.Sprintf(format, args...)})
}

// fields returns the labels and values of the struct at p, in order.
func (l *loader) fields(p cue.Path) []cue.Value {
	v := l.val.LookupPath(p)
	if !v.Exists() {
		return nil
	}
	if v.Err() != nil {
		// The struct as a whole failed; its fields as the project wrote
		// them can still be checked one by one.
		v = l.proj.LookupPath(p)
	}
	it, err := v.Fields()
	if err != nil {
		return nil
	}
	var out []cue.Value
	for it.Next() {
		out = append(out, it.Value())
	}
	return out
}

// fieldPath returns the path of a field value returned by fields, relative
// to the manifest (the unified value's paths start at #Env).
func fieldPath(base cue.Path, v cue.Value) cue.Path {
	sels := v.Path().Selectors()
	return appendPath(base, sels[len(sels)-1])
}

// dependencies checks and parses the dependencies at p.
func (l *loader) dependencies(p cue.Path) []Dependency {
	var out []Dependency
	for _, f := range l.fields(p) {
		fp := fieldPath(p, f)
		name := labelOf(fp)
		if !packageName.MatchString(name) {
			l.errs = append(l.errs, &Error{Pos: l.labelPos(fp), Path: pathString(fp), Msg: badPackageName(name), notAllowed: true})
			continue
		}
		v, ok := l.lookup(fp)
		if !ok {
			continue // CUE reported it
		}
		var s string
		offset := -1 // offset of the remainder in s, when it maps to the source
		switch v.Kind() {
		case cue.StringKind:
			rest, _ := v.String()
			rest = strings.TrimSpace(rest)
			if rest == "" {
				l.errorf(fp, "empty MatchSpec; write \"*\" for any version")
				continue
			}
			s = name + " " + rest
			offset = len(name) + 1
		case cue.StructKind:
			str := func(k string) string {
				x, _ := l.lookup(appendPath(fp, cue.Str(k)))
				s, _ := x.String()
				return strings.TrimSpace(s)
			}
			ver, bld, ch := str("version"), str("build"), str("channel")
			if ver == "" {
				ver = "*"
			}
			s = name + " " + ver
			if bld != "" {
				s += " " + bld
			}
			if ch != "" {
				s = ch + "::" + s
			}
		default:
			continue
		}
		ms, err := matchspec.Parse(s)
		if err != nil {
			l.errs = append(l.errs, l.matchSpecError(fp, s, offset, err))
			continue
		}
		if ms.Name != name {
			l.errorf(fp, "%q is not the rest of a MatchSpec after the name %q: write the version (and build) only, as in %s: \">=1.26\"", strings.TrimPrefix(s, name+" "), name, quoteLabel(name))
			continue
		}
		out = append(out, Dependency{Name: name, Spec: ms, Pos: l.pos(fp)})
	}
	slices.SortFunc(out, func(a, b Dependency) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// matchSpecError places a MatchSpec parse error on the character at fault
// when the spec's text maps onto a plain string literal in the source.
func (l *loader) matchSpecError(p cue.Path, s string, offset int, err error) *Error {
	e := &Error{Pos: l.pos(p), Path: pathString(p)}
	var pe *matchspec.ParseError
	if !errors.As(err, &pe) {
		e.Msg = err.Error()
		return e
	}
	e.Msg = fmt.Sprintf("invalid MatchSpec %q: %s", s, pe.Msg)
	if offset < 0 || pe.Offset < offset || e.Pos.Line == 0 {
		return e
	}
	// A plain "…" literal: the remainder starts one column after the quote.
	if v := l.proj.LookupPath(p); v.Exists() {
		if lit, ok := valueSource(v).(*ast.BasicLit); ok && lit.Kind == token.STRING {
			raw := lit.Value
			if str, err := strconv.Unquote(raw); err == nil && len(raw) == len(str)+2 && strings.TrimSpace(str) == str {
				e.Pos.Column += 1 + pe.Offset - offset
			}
		}
	}
	return e
}

// requirements checks the PyPI requirements at p.
func (l *loader) requirements(p cue.Path) []Requirement {
	var out []Requirement
	seen := map[string]string{}
	for _, f := range l.fields(p) {
		fp := fieldPath(p, f)
		name := labelOf(fp)
		v, ok := l.lookup(fp)
		if !ok || v.Kind() != cue.StringKind {
			continue
		}
		rest, _ := v.String()
		rest = strings.TrimSpace(rest)
		if rest == "*" {
			rest = ""
		}
		if msg := checkRequirement(rest); msg != "" {
			l.errorf(fp, "%s", msg)
			continue
		}
		if _, err := pep508.Parse(Requirement{Name: name, Spec: rest}.String()); err != nil {
			l.errorf(fp, "%v", err)
			continue
		}
		key := normalizePyPI(name)
		if other, ok := seen[key]; ok {
			l.errorf(fp, "%q and %q name the same PyPI project (names compare normalized, PEP 503)", other, name)
			continue
		}
		seen[key] = name
		out = append(out, Requirement{Name: name, Spec: rest, Pos: l.pos(fp)})
	}
	slices.SortFunc(out, func(a, b Requirement) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

// checkRequirement returns what is wrong with a PEP 508 requirement
// remainder, or "".
func checkRequirement(rest string) string {
	if rest == "" || strings.ContainsRune("[(=!<>~@;", rune(rest[0])) {
		return ""
	}
	msg := fmt.Sprintf("%q is not the rest of a PEP 508 requirement: want version specifiers (\"==2.5.3\", \">=1,<2\"), extras (\"[gpu]>=1\"), \"@ URL\", \"; marker\", or \"*\" for any version", rest)
	if rest[0] >= '0' && rest[0] <= '9' {
		msg += fmt.Sprintf("; did you mean \"==%s\"?", rest)
	}
	return msg
}

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

func normalizePyPI(name string) string {
	return pypiSeparators.ReplaceAllString(strings.ToLower(name), "-")
}

// platforms checks the platforms list against the platforms conda knows.
func (l *loader) platforms() []platform.Platform {
	p := cue.MakePath(cue.Str("platforms"))
	v, ok := l.lookup(p)
	if !ok {
		return nil
	}
	var out []platform.Platform
	it, err := v.List()
	if err != nil {
		return nil
	}
	for i := 0; it.Next(); i++ {
		ep := appendPath(p, cue.Index(i))
		s, err := it.Value().String()
		if err != nil {
			continue
		}
		pl, err := platform.Parse(s)
		if err != nil {
			l.errorf(ep, "%v", err)
			continue
		}
		if slices.Contains(out, pl) {
			l.errorf(ep, "platform %q is listed twice", s)
			continue
		}
		out = append(out, pl)
	}
	return out
}

// prefix returns the default environment path and where it is written,
// refusing what would not mean what it seems to: "~" and $VARIABLES
// (no shell expands them here) and NUL bytes.
func (l *loader) prefix() (string, Position) {
	p := cue.MakePath(cue.Str("prefix"))
	v, ok := l.lookup(p)
	if !ok {
		return "", Position{}
	}
	s, err := v.String()
	if err != nil {
		return "", Position{}
	}
	switch {
	case strings.HasPrefix(s, "~"):
		l.errorf(p, "%q: ~ is not expanded here; write the absolute path, or a path relative to the directory of env.cue", s)
	case strings.HasPrefix(s, "$"):
		l.errorf(p, "%q: environment variables are not expanded here; write the absolute path, or a path relative to the directory of env.cue", s)
	case strings.ContainsRune(s, 0):
		l.errorf(p, "%q: a path cannot hold a NUL byte", s)
	default:
		return s, l.pos(p)
	}
	return "", Position{}
}

// channels canonicalizes the channel list and rejects repeats.
func (l *loader) channels() []string {
	p := cue.MakePath(cue.Str("channels"))
	v, ok := l.lookup(p)
	if !ok {
		return nil
	}
	var out []string
	it, err := v.List()
	if err != nil {
		return nil
	}
	for i := 0; it.Next(); i++ {
		s, err := it.Value().String()
		if err != nil {
			continue
		}
		c := matchspec.CanonicalChannel(s)
		if slices.Contains(out, c) {
			l.errorf(appendPath(p, cue.Index(i)), "channel %q is listed twice", s)
			continue
		}
		out = append(out, c)
	}
	return out
}

// pypiSources checks that pypi_index.sources names only indexes that
// pypi_index.explicit defines.
func (l *loader) pypiSources() {
	src := cue.MakePath(cue.Str("pypi_index"), cue.Str("sources"))
	v, ok := l.lookup(src)
	if !ok {
		return
	}
	var names []string
	if ex, ok := l.lookup(cue.MakePath(cue.Str("pypi_index"), cue.Str("explicit"))); ok {
		if it, err := ex.Fields(); err == nil {
			for it.Next() {
				names = append(names, it.Selector().Unquoted())
			}
		}
	}
	it, err := v.Fields()
	if err != nil {
		return
	}
	for it.Next() {
		s, err := it.Value().String()
		if err != nil || slices.Contains(names, s) {
			continue
		}
		known := "it defines none"
		if len(names) > 0 {
			known = "it has " + strings.Join(names, ", ")
		}
		l.errorf(appendPath(src, it.Selector()), "%s is pinned to the index %q, which pypi_index.explicit does not define (%s)", it.Selector().Unquoted(), s, known)
	}
}

// targets checks the per-platform overrides.
func (l *loader) targets() map[platform.Platform]*Target {
	base := cue.MakePath(cue.Str("target"))
	out := map[platform.Platform]*Target{}
	for _, f := range l.fields(base) {
		fp := fieldPath(base, f)
		pl, err := platform.Parse(labelOf(fp))
		if err != nil {
			l.errs = append(l.errs, &Error{Pos: l.labelPos(fp), Path: pathString(fp), Msg: err.Error()})
			continue
		}
		out[pl] = &Target{
			Dependencies: l.dependencies(appendPath(fp, cue.Str("dependencies"))),
			PyPI:         l.requirements(appendPath(fp, cue.Str("pypi"))),
		}
	}
	return out
}

// rawManifest is the part of the manifest decoded as plain data.
type rawManifest struct {
	Name            string `json:"name"`
	ChannelPriority string `json:"channel_priority"`
	PyPIIndex       struct {
		URL       string            `json:"url"`
		ExtraURLs []string          `json:"extra_urls"`
		FindLinks []string          `json:"find_links"`
		Strategy  string            `json:"strategy"`
		Explicit  map[string]string `json:"explicit"`
		Sources   map[string]string `json:"sources"`
	} `json:"pypi_index"`
	System struct {
		Glibc    string `json:"glibc"`
		Cuda     string `json:"cuda"`
		Linux    string `json:"linux"`
		Osx      string `json:"osx"`
		Archspec string `json:"archspec"`
	} `json:"system"`
	Env    map[string]string `json:"env"`
	Kernel json.RawMessage   `json:"kernel"`
}

func (l *loader) decode(m *Manifest) error {
	b, err := l.val.MarshalJSON()
	if err != nil {
		return fmt.Errorf("internal error: encoding the manifest: %v", err)
	}
	var raw rawManifest
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("internal error: decoding the manifest: %v", err)
	}
	m.Name = raw.Name
	m.ChannelPriority = raw.ChannelPriority
	m.PyPIIndex = PyPIIndex{URL: raw.PyPIIndex.URL, ExtraURLs: raw.PyPIIndex.ExtraURLs, FindLinks: raw.PyPIIndex.FindLinks, Strategy: raw.PyPIIndex.Strategy, Explicit: raw.PyPIIndex.Explicit}
	for proj, name := range raw.PyPIIndex.Sources {
		if m.PyPIIndex.Sources == nil {
			m.PyPIIndex.Sources = map[string]string{}
		}
		m.PyPIIndex.Sources[normalizePyPI(proj)] = name
	}
	m.System = virtual.System{
		Glibc:    raw.System.Glibc,
		Cuda:     raw.System.Cuda,
		Linux:    raw.System.Linux,
		Osx:      raw.System.Osx,
		Archspec: raw.System.Archspec,
	}
	m.Env = raw.Env
	if string(raw.Kernel) != "false" {
		var k struct {
			Name        string            `json:"name"`
			DisplayName string            `json:"display_name"`
			Env         map[string]string `json:"env"`
		}
		if err := json.Unmarshal(raw.Kernel, &k); err != nil {
			return fmt.Errorf("internal error: decoding the kernel: %v", err)
		}
		m.Kernel = &Kernel{Name: k.Name, DisplayName: k.DisplayName, Env: k.Env}
	}
	return nil
}

// labelOf returns the last selector of p as a plain string.
func labelOf(p cue.Path) string {
	sels := p.Selectors()
	s := sels[len(sels)-1]
	if s.LabelType() == cue.StringLabel {
		return s.Unquoted()
	}
	return s.String()
}

// pathString returns a manifest path the way CUE's errors print them:
// "dependencies.numpy", "dependencies.\"scikit-learn\"", "platforms.1".
func pathString(p cue.Path) string {
	var parts []string
	for _, s := range p.Selectors() {
		if s.Type() == cue.IndexLabel {
			parts = append(parts, strconv.Itoa(s.Index()))
			continue
		}
		parts = append(parts, s.String())
	}
	return strings.Join(parts, ".")
}

// quoteLabel returns name as a CUE label: bare when it is an identifier.
func quoteLabel(name string) string {
	if isIdent(name) {
		return name
	}
	return strconv.Quote(name)
}

func position(p token.Pos) Position {
	if !p.IsValid() {
		return Position{}
	}
	return Position{Filename: p.Filename(), Line: p.Line(), Column: p.Column()}
}

func displayDir(dir string) string {
	if dir == "" || dir == "." {
		return "the current directory"
	}
	return dir
}

// addCUE converts CUE's errors into Errors: the position in the project
// first, the policy's and the schema's after; alternatives that failed
// only because a schema default did not apply are dropped.
func (l *loader) addCUE(err error) {
	type item struct {
		path []string
		e    *Error
		mism bool
	}
	var items []item
	for _, ce := range cueerrors.Errors(err) {
		format, args := ce.Msg()
		if strings.HasSuffix(format, "errors in empty disjunction:") {
			continue
		}
		var ps []token.Pos
		ps = append(ps, ce.InputPositions()...)
		if p := ce.Position(); p.IsValid() {
			ps = append(ps, p)
		}
		// A conflict with a schema default is the default's alternative
		// failing, which says nothing: the other alternative's error says
		// what is wrong.
		if (strings.HasPrefix(format, "conflicting values") || strings.HasPrefix(format, "incompatible list lengths")) && l.inDefault(ps) {
			continue
		}
		path := ce.Path()
		if len(path) > 0 && path[0] == "#Env" {
			path = path[1:]
		}
		var labelAt *Position
		if format == "field not allowed" && len(path) > 1 && !l.def.LookupPath(cue.MakePath(cue.Str(path[0]))).Exists() {
			// CUE names the deepest field below an unknown top-level one.
			path = path[:1]
			p := l.labelPos(cue.MakePath(cue.Str(path[0])))
			labelAt = &p
		}
		e := &Error{Path: strings.Join(path, "."), Msg: l.message(path, format, args), notAllowed: format == "field not allowed"}
		var policy, schema []Position
		for _, tp := range ps {
			p := position(tp)
			switch {
			case p.Filename == "":
			case l.project[p.Filename] && e.Pos.Filename == "":
				e.Pos = p
			case l.project[p.Filename]:
				if p != e.Pos && !slices.Contains(policy, p) {
					policy = append(policy, p) // another project line involved
				}
			case p.Filename == l.policyFile:
				if !slices.Contains(policy, p) {
					policy = append(policy, p)
				}
			default:
				if !slices.Contains(schema, p) {
					schema = append(schema, p)
				}
			}
		}
		if labelAt != nil && labelAt.Line > 0 {
			e.Pos = *labelAt
		}
		if e.Pos.Filename == "" {
			if len(policy) > 0 && (e.Path == "" || len(l.project) == 0) {
				e.Pos, policy = policy[0], policy[1:]
			} else {
				e.Pos = Position{Filename: l.manifestFile}
			}
		}
		// One position a line is enough to find the rule.
		for _, p := range append(policy, schema...) {
			if !slices.ContainsFunc(e.Also, func(q Position) bool { return q.Filename == p.Filename && q.Line == p.Line }) &&
				!(p.Filename == e.Pos.Filename && p.Line == e.Pos.Line) {
				e.Also = append(e.Also, p)
			}
		}
		items = append(items, item{path, e, strings.Contains(format, "(mismatched types")})
	}
	// A mismatched kind at a path whose deeper fields also failed is the
	// other alternative of a disjunction the user plainly did not mean; of
	// several mismatches at one path, the first says enough.
	mismatched := map[string]bool{}
	for _, it := range items {
		if it.mism {
			if mismatched[it.e.Path] {
				continue
			}
			mismatched[it.e.Path] = true
			deeper := false
			for _, o := range items {
				if len(o.path) > len(it.path) && slices.Equal(o.path[:len(it.path)], it.path) ||
					!o.mism && slices.Equal(o.path, it.path) {
					deeper = true
				}
			}
			if deeper {
				continue
			}
		}
		l.errs = append(l.errs, it.e)
	}
}

// inDefault reports whether one of ps lies in a default value of the
// schema.
func (l *loader) inDefault(ps []token.Pos) bool {
	for _, p := range ps {
		if !p.IsValid() {
			continue
		}
		for _, s := range l.defaults {
			if p.Filename() == s.file && p.Offset() >= s.start && p.Offset() < s.end {
				return true
			}
		}
	}
	return false
}

// message rewrites the CUE messages whose wording does not say what to
// do.
func (l *loader) message(path []string, format string, args []any) string {
	msg := fmt.Sprintf(format, args...)
	switch {
	case len(path) == 1 && path[0] == "prefix" && strings.HasPrefix(format, "conflicting values"):
		return "the prefix is a path, written as a string in quotes: prefix: \"/blue/mygroup/envs/project\""
	case len(path) == 1 && path[0] == "prefix" && strings.HasPrefix(format, "invalid value"):
		return "the prefix is empty; write a path, or leave prefix out"
	case format == "field not allowed" && len(path) > 0:
		name, err := strconv.Unquote(path[len(path)-1])
		if err != nil {
			name = path[len(path)-1]
		}
		parent := path[:len(path)-1]
		switch kind := parentKind(parent); kind {
		case "dependencies":
			return badPackageName(name)
		case "pypi":
			return fmt.Sprintf("invalid PyPI project name %q: letters, digits and \"_.-\", starting and ending with a letter or digit (PEP 508)", name)
		case "env":
			return fmt.Sprintf("invalid variable name %q: letters, digits and \"_\", not starting with a digit", name)
		case "target":
			return fmt.Sprintf("invalid platform %q in target", name)
		}
		if allowed := l.allowedFields(parent); len(allowed) > 0 {
			return fmt.Sprintf("unknown field %q (the schema allows: %s)", name, strings.Join(allowed, ", "))
		}
		return fmt.Sprintf("unknown field %q", name)
	case strings.HasPrefix(format, "conflicting values %s and %s (mismatched types"):
		if len(args) == 4 {
			short := slices.Clone(args)
			for i := range 2 {
				if s := fmt.Sprint(short[i]); strings.HasPrefix(s, "{") && len(s) > 24 {
					short[i] = "{…}"
				}
			}
			msg = fmt.Sprintf(format, short...)
		}
		if len(args) == 4 && (isNumberKind(args[2]) && fmt.Sprint(args[3]) == "string" || isNumberKind(args[3]) && fmt.Sprint(args[2]) == "string") {
			msg += "; write versions as strings, in quotes"
		}
	case format == "field is required but not present":
		return msgMissing
	case strings.HasPrefix(format, "incomplete value"):
		return msg + ": envlock needs a concrete value here"
	}
	return msg
}

// packageName is #PackageName of the schema.
var packageName = regexp.MustCompile(`^[a-z0-9_][a-z0-9_.-]*$`)

func badPackageName(name string) string {
	msg := fmt.Sprintf("invalid package name %q: conda package names are lower case letters, digits and \"_.-\"", name)
	if low := strings.ToLower(name); low != name && packageName.MatchString(low) {
		msg += fmt.Sprintf("; did you mean %q?", low)
	}
	return msg
}

func isNumberKind(a any) bool {
	s := fmt.Sprint(a)
	return s == "int" || s == "float" || s == "number"
}

// parentKind classifies a struct path: the maps of user-chosen keys
// (dependencies, pypi, env, target) or "".
func parentKind(parent []string) string {
	n := len(parent)
	switch {
	case n == 1 && (parent[0] == "dependencies" || parent[0] == "pypi" || parent[0] == "env" || parent[0] == "target"):
		return parent[0]
	case n == 3 && parent[0] == "target" && (parent[2] == "dependencies" || parent[2] == "pypi"):
		return parent[2]
	case n == 2 && parent[0] == "kernel" && parent[1] == "env":
		return "env"
	}
	return ""
}

// allowedFields lists the fields the schema defines in the struct at
// path parent.
func (l *loader) allowedFields(parent []string) []string {
	// A dependency written as a struct: its fields are #Dependency's.
	if len(parent) >= 2 && parentKind(parent[:len(parent)-1]) == "dependencies" {
		return []string{"version", "build", "channel"}
	}
	v := l.def
	for _, s := range parent {
		if s == "kernel" {
			v = v.LookupPath(cue.MakePath(cue.Def("#Kernel")))
			continue
		}
		if _, err := strconv.Atoi(s); err == nil {
			return nil
		}
		if w := v.LookupPath(cue.MakePath(cue.Str(s))); w.Exists() {
			v = w
		} else {
			v = v.LookupPath(cue.MakePath(cue.Str(s).Optional()))
		}
	}
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var out []string
	for it.Next() {
		out = append(out, it.Selector().Unquoted())
	}
	return out
}
