package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	cuejson "cuelang.org/go/encoding/json"
)

// policyTargets applies the site policy to what each platform with a
// target override finally asks for: the top-level dependencies and pypi
// with that platform's target entries replacing or adding theirs, as
// Manifest.DependenciesFor and PyPIFor compute them. Unifying the policy
// with env.cue alone constrains only the top-level fields, so a rule such
// as `dependencies: conda?: error(…)` would not see
// `target: "linux-64": dependencies: conda: "*"`.
//
// Each platform's final manifest is evaluated afresh (the concrete
// manifest with its requirements replaced, unified with the schema and
// the policy); an error is reported at the target entry that caused it.
func (l *loader) policyTargets() {
	if l.policySrc == nil {
		return
	}
	data, err := l.val.MarshalJSON()
	if err != nil {
		return // reported by Validate already
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return
	}
	var targets map[string]map[string]map[string]json.RawMessage
	if t, ok := doc["target"]; !ok || json.Unmarshal(t, &targets) != nil || len(targets) == 0 {
		return
	}
	plats := make([]string, 0, len(targets))
	for p := range targets {
		plats = append(plats, p)
	}
	sort.Strings(plats)
	for _, p := range plats {
		final := map[string]json.RawMessage{}
		for k, v := range doc {
			final[k] = v
		}
		delete(final, "target")
		overridden := map[string]bool{}
		for _, field := range []string{"dependencies", "pypi"} {
			over := targets[p][field]
			if len(over) == 0 {
				continue
			}
			base := map[string]json.RawMessage{}
			if raw, ok := doc[field]; ok {
				json.Unmarshal(raw, &base)
			}
			for name, v := range over {
				base[name] = v
				overridden[field+"."+name] = true
			}
			final[field], _ = json.Marshal(base)
		}
		l.checkFinal(p, final, overridden)
	}
}

// checkFinal evaluates one platform's final manifest with the schema and
// the policy, reporting what fails.
func (l *loader) checkFinal(plat string, final map[string]json.RawMessage, overridden map[string]bool) {
	data, err := json.Marshal(final)
	if err != nil {
		return
	}
	name := fmt.Sprintf("%s (for %s)", l.manifestFile, plat)
	expr, err := cuejson.Extract(name, data)
	if err != nil {
		return
	}
	st, ok := expr.(*ast.StructLit)
	if !ok {
		return
	}
	f := &ast.File{Filename: name, Decls: append([]ast.Decl{&ast.Package{Name: ast.NewIdent("env")}}, st.Elts...)}
	// The policy again, parsed afresh: an AST belongs to one build.
	pf, err := parser.ParseFile(l.policyFile, l.policySrc, parser.ParseComments)
	if err != nil {
		return
	}
	setPackage(pf)
	inst := build.NewContext().NewInstance(l.dir, nil)
	for _, file := range []*ast.File{f, pf, l.declarations()} {
		if err := inst.AddSyntax(file); err != nil {
			return
		}
	}
	v := l.def.Unify(l.ctx.BuildInstance(inst))
	verr := v.Validate(cue.Concrete(true))
	if verr == nil {
		return
	}
	target := cue.MakePath(cue.Str("target"), cue.Str(plat))
	seen := map[string]bool{}
	var errs []*Error
	for _, ce := range cueerrors.Errors(verr) {
		format, args := ce.Msg()
		if strings.HasSuffix(format, "errors in empty disjunction:") {
			continue
		}
		path := ce.Path()
		if len(path) > 0 && path[0] == "#Env" {
			path = path[1:]
		}
		e := &Error{Msg: l.message(path, format, args) + fmt.Sprintf(" (for %s, after the target overrides)", plat)}
		at := target
		if len(path) >= 2 && overridden[path[0]+"."+unquote(path[1])] {
			at = cue.MakePath(cue.Str("target"), cue.Str(plat), cue.Str(path[0]), cue.Str(unquote(path[1])))
			e.Path = pathString(cue.MakePath(append(at.Selectors(), selectors(path[2:])...)...))
		} else {
			e.Path = pathString(target) + "." + strings.Join(path, ".")
		}
		e.Pos = l.pos(at)
		if seen[e.Path+e.Msg] {
			continue
		}
		seen[e.Path+e.Msg] = true
		var ps []Position
		for _, tp := range append(ce.InputPositions(), ce.Position()) {
			if p := position(tp); p.Filename == l.policyFile && !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
		e.Also = ps
		errs = append(errs, e)
	}
	// A mismatched kind where a deeper field failed too is the other
	// alternative of a disjunction (string | {…}): noise, as in addCUE.
	for _, e := range errs {
		if strings.Contains(e.Msg, "(mismatched types") && slices.ContainsFunc(errs, func(o *Error) bool { return strings.HasPrefix(o.Path, e.Path+".") }) {
			continue
		}
		l.errs = append(l.errs, e)
	}
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' {
		var u string
		if json.Unmarshal([]byte(s), &u) == nil {
			return u
		}
	}
	return s
}

func selectors(path []string) []cue.Selector {
	out := make([]cue.Selector, len(path))
	for i, s := range path {
		out[i] = cue.Str(unquote(s))
	}
	return out
}

// setPackage makes f a file of package env, whatever its package clause.
func setPackage(f *ast.File) {
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok {
			p.Name = ast.NewIdent("env")
			return
		}
	}
	f.Decls = append([]ast.Decl{&ast.Package{Name: ast.NewIdent("env")}}, f.Decls...)
}
