package envfile

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
	"cuelang.org/go/encoding/yaml"
)

// An Environment is an environment.yml as conda env create reads it
// (conda/env/env.py), with the extensions other tools accept.
type Environment struct {
	// Name is "name:", or "" when absent.
	Name string
	// NamePos is where Name is written.
	NamePos Pos
	// Prefix is "prefix:", the path conda env export records; envlock
	// installs with -p PATH instead.
	Prefix string
	// PrefixPos is where Prefix is written.
	PrefixPos Pos
	// Channels are "channels:", in order.
	Channels []Item
	// Dependencies are the conda MatchSpec strings of "dependencies:".
	Dependencies []Item
	// Selected are dependencies under a mamba selector
	// ("- sel(linux): pkg"), keyed by the selector's platform family:
	// "linux", "osx", "win" or "unix".
	Selected map[string][]Item
	// Pip are the lines of the "- pip:" list under dependencies, as written:
	// requirements and pip options ("-r requirements.txt",
	// "--index-url URL"). See ParsePipLine.
	Pip []Item
	// Variables are "variables:" (conda env config vars), in order.
	Variables []Variable
	// Platforms are "platforms:", a conda-lock extension.
	Platforms []Item
	// Ignored are the top-level keys envlock does not use ("category",
	// …), with their positions.
	Ignored []Item
}

// A Variable is one entry of "variables:".
type Variable struct {
	Name, Value string
	Pos         Pos
}

// ParseEnvironment parses an environment.yml. filename is used in
// positions only.
func ParseEnvironment(filename string, data []byte) (*Environment, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Pos{filename, 1, 1}, "empty file: an environment.yml is a mapping with name, channels and dependencies"}
	}
	f, err := extractYAML(filename, data)
	if err != nil {
		if e, ok := err.(*Error); ok {
			return nil, e
		}
		return nil, yamlError(filename, err)
	}
	env := &Environment{Selected: map[string][]Item{}}
	var fields []ast.Decl
	if len(f.Decls) == 1 {
		if e, ok := f.Decls[0].(*ast.EmbedDecl); ok {
			if _, isNull := e.Expr.(*ast.BasicLit); isNull {
				return nil, &Error{Pos{filename, 1, 1}, "empty file: an environment.yml is a mapping with name, channels and dependencies"}
			}
			return nil, &Error{pos(e.Pos()), "an environment.yml is a mapping with name, channels and dependencies"}
		}
	}
	fields = f.Decls
	for _, d := range fields {
		field, ok := d.(*ast.Field)
		if !ok {
			p := pos(d.Pos())
			if p.Line == 0 {
				p = Pos{filename, 1, 1}
			}
			return nil, &Error{p, "an environment.yml is a mapping with name, channels and dependencies"}
		}
		key := labelString(field.Label)
		switch key {
		case "name":
			env.Name, err = scalar(field.Value, "name")
			env.NamePos = pos(field.Value.Pos())
		case "prefix":
			env.Prefix, err = scalar(field.Value, "prefix")
			env.PrefixPos = pos(field.Label.Pos())
		case "channels":
			env.Channels, err = scalars(field.Value, "channels")
		case "platforms":
			env.Platforms, err = scalars(field.Value, "platforms")
		case "dependencies":
			err = env.dependencies(field.Value)
		case "variables":
			err = env.variables(field.Value)
		default:
			env.Ignored = append(env.Ignored, Item{key, pos(field.Label.Pos())})
		}
		if err != nil {
			return nil, err
		}
	}
	return env, nil
}

func (env *Environment) dependencies(x ast.Expr) error {
	list, ok := x.(*ast.ListLit)
	if !ok {
		if isNull(x) {
			return nil
		}
		return &Error{pos(x.Pos()), "dependencies: want a list of package specs"}
	}
	for _, e := range list.Elts {
		s, ok := e.(*ast.StructLit)
		if !ok {
			v, err := scalar(e, "dependencies")
			if err != nil {
				return err
			}
			if v != "" {
				env.Dependencies = append(env.Dependencies, Item{v, pos(e.Pos())})
			}
			continue
		}
		for _, d := range s.Elts {
			f, ok := d.(*ast.Field)
			if !ok {
				return &Error{pos(d.Pos()), "dependencies: unexpected entry"}
			}
			key := labelString(f.Label)
			switch {
			case key == "pip":
				items, err := scalars(f.Value, "pip")
				if err != nil {
					return err
				}
				env.Pip = append(env.Pip, items...)
			case strings.HasPrefix(key, "sel(") && strings.HasSuffix(key, ")"):
				sel := key[len("sel(") : len(key)-1]
				v, err := scalar(f.Value, key)
				if err != nil {
					return err
				}
				env.Selected[sel] = append(env.Selected[sel], Item{v, pos(f.Value.Pos())})
			default:
				return &Error{pos(f.Label.Pos()), fmt.Sprintf("dependencies: unknown section %q (want a package spec, \"pip:\" or \"sel(PLATFORM):\")", key)}
			}
		}
	}
	return nil
}

func (env *Environment) variables(x ast.Expr) error {
	s, ok := x.(*ast.StructLit)
	if !ok {
		if isNull(x) {
			return nil
		}
		return &Error{pos(x.Pos()), "variables: want a mapping of names to values"}
	}
	for _, d := range s.Elts {
		f, ok := d.(*ast.Field)
		if !ok {
			return &Error{pos(d.Pos()), "variables: unexpected entry"}
		}
		name := labelString(f.Label)
		v, err := scalar(f.Value, "variables."+name)
		if err != nil {
			return err
		}
		env.Variables = append(env.Variables, Variable{name, v, pos(f.Label.Pos())})
	}
	return nil
}

// scalar returns a YAML scalar as the text it stands for: strings
// unquoted, numbers as written ("3.10" stays "3.10"), null as "".
func scalar(x ast.Expr, what string) (string, error) {
	switch x := x.(type) {
	case *ast.BasicLit:
		switch x.Kind {
		case token.STRING:
			s, err := literal.Unquote(x.Value)
			if err != nil {
				return "", &Error{pos(x.Pos()), fmt.Sprintf("%s: %v", what, err)}
			}
			return s, nil
		case token.NULL:
			return "", nil
		}
		return x.Value, nil
	case *ast.Ident:
		return x.Name, nil
	case *ast.UnaryExpr:
		// "-1" in YAML is a negative number.
		if lit, ok := x.X.(*ast.BasicLit); ok {
			return x.Op.String() + lit.Value, nil
		}
	}
	return "", &Error{pos(x.Pos()), fmt.Sprintf("%s: want a string", what)}
}

// scalars returns a YAML list of scalars (or one scalar) as Items.
func scalars(x ast.Expr, what string) ([]Item, error) {
	list, ok := x.(*ast.ListLit)
	if !ok {
		if isNull(x) {
			return nil, nil
		}
		v, err := scalar(x, what)
		if err != nil {
			return nil, &Error{pos(x.Pos()), what + ": want a list of strings"}
		}
		return []Item{{v, pos(x.Pos())}}, nil
	}
	var out []Item
	for _, e := range list.Elts {
		v, err := scalar(e, what)
		if err != nil {
			return nil, err
		}
		if v != "" {
			out = append(out, Item{v, pos(e.Pos())})
		}
	}
	return out, nil
}

func isNull(x ast.Expr) bool {
	lit, ok := x.(*ast.BasicLit)
	return ok && lit.Kind == token.NULL
}

func labelString(l ast.Label) string {
	switch l := l.(type) {
	case *ast.Ident:
		return l.Name
	case *ast.BasicLit:
		if s, err := literal.Unquote(l.Value); err == nil {
			return s
		}
		return l.Value
	}
	return fmt.Sprint(l)
}

func pos(p token.Pos) Pos {
	return Pos{File: p.Filename(), Line: p.Line(), Column: p.Column()}
}

// extractYAML is yaml.Extract, turning a panic of the decoder into an
// error: CUE v0.17.1's decoder panics on some malformed scalars (found by
// FuzzParseEnvironment, see testdata/fuzz).
func extractYAML(filename string, data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, &Error{Pos{filename, 1, 1}, fmt.Sprintf("invalid YAML: the decoder failed (%v)", r)}
		}
	}()
	return yaml.Extract(filename, data)
}

var yamlLine = regexp.MustCompile(`^(.*?):(\d+): (.*)$`)

func yamlError(filename string, err error) error {
	msg := err.Error()
	for _, e := range errors.Errors(err) {
		if p := e.Position(); p.IsValid() {
			format, args := e.Msg()
			return &Error{pos(p), "invalid YAML: " + fmt.Sprintf(format, args...)}
		}
		msg = e.Error()
		break
	}
	// The YAML decoder puts "file:line: " in the message itself.
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		return &Error{Pos{File: filename, Line: line}, "invalid YAML: " + m[3]}
	}
	return &Error{Pos{File: filename, Line: 1}, "invalid YAML: " + msg}
}
