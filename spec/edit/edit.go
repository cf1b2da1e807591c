// Package edit changes an env.cue manifest the way a person would: it
// adds, replaces and deletes fields of its structs through CUE's syntax
// tree, so the comments, field order and layout the author chose stay as
// they were. It knows nothing of what the fields mean; spec.Load checks
// the result.
package edit

import (
	"errors"
	"fmt"
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// A File is a parsed env.cue being edited.
type File struct {
	name string
	f    *ast.File
}

// Parse parses env.cue source, keeping its comments.
func Parse(name string, src []byte) (*File, error) {
	f, err := parser.ParseFile(name, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", name, err)
	}
	return &File{name: name, f: f}, nil
}

// Format returns the edited source, formatted by CUE's formatter.
func (f *File) Format() ([]byte, error) {
	out, err := format.Node(f.f)
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w", f.name, err)
	}
	return out, nil
}

// Set sets the field name of the struct at path (for example
// ["dependencies"] or ["target", "linux-64", "pypi"]) to the string
// value. A field already there keeps its place and its comments and gets
// the new value; a new field goes last in the struct; structs on the path
// that do not exist are added at the end of the file. It reports whether
// the field existed.
func (f *File) Set(path []string, name, value string) (existed bool, err error) {
	elts, s, err := f.structAt(path, true)
	if err != nil {
		return false, err
	}
	if fd := find(*elts, name); fd != nil {
		fd.Value = ast.NewString(value)
		return true, nil
	}
	brace(s)
	fd := &ast.Field{Label: newLabel(name), Value: ast.NewString(value)}
	ast.SetRelPos(fd, token.Newline)
	*elts = append(*elts, fd)
	return false, nil
}

// Delete removes the field name from the struct at path, with the
// comments attached to it. It reports whether the field was there.
func (f *File) Delete(path []string, name string) (bool, error) {
	elts, _, err := f.structAt(path, false)
	if err != nil || elts == nil {
		return false, err
	}
	for i, d := range *elts {
		if fd, ok := d.(*ast.Field); ok && labelName(fd.Label) == name {
			*elts = append((*elts)[:i], (*elts)[i+1:]...)
			return true, nil
		}
	}
	return false, nil
}

// Prune deletes the struct at path if it has no fields left, then each
// struct above it that is left empty in turn, so that dropping a
// platform's last dependency leaves no "target: linux-64: {}" behind.
// Structs with comments inside are kept: the comments belong to someone.
func (f *File) Prune(path []string) {
	for n := len(path); n > 0; n-- {
		elts, s, err := f.structAt(path[:n], false)
		if err != nil || elts == nil || len(*elts) > 0 || (s != nil && len(ast.Comments(s)) > 0) {
			return
		}
		f.Delete(path[:n-1], path[n-1])
	}
}

// Get returns the value of the field name of the struct at path when it
// is a string literal; false when the field is absent or its value is
// anything else (a constraint written as an expression, say).
func (f *File) Get(path []string, name string) (string, bool) {
	elts, _, err := f.structAt(path, false)
	if err != nil || elts == nil {
		return "", false
	}
	fd := find(*elts, name)
	if fd == nil {
		return "", false
	}
	if l, ok := fd.Value.(*ast.BasicLit); ok && l.Kind == token.STRING {
		if s, err := literal.Unquote(l.Value); err == nil {
			return s, true
		}
	}
	return "", false
}

// Has reports whether the struct at path has the field name.
func (f *File) Has(path []string, name string) bool {
	elts, _, err := f.structAt(path, false)
	return err == nil && elts != nil && find(*elts, name) != nil
}

// Names returns the labels of the struct at path's fields, in order; nil
// when it is absent or not a struct literal.
func (f *File) Names(path []string) []string {
	elts, _, err := f.structAt(path, false)
	if err != nil || elts == nil {
		return nil
	}
	var out []string
	for _, d := range *elts {
		if fd, ok := d.(*ast.Field); ok {
			if n := labelName(fd.Label); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// ErrNotStruct is returned when a field on the path is not written as a
// struct literal (a reference or an expression envlock must not rewrite).
var ErrNotStruct = errors.New("not a struct literal")

// structAt returns the declarations of the struct at path, creating the
// missing structs when create is set; nil when absent otherwise.
func (f *File) structAt(path []string, create bool) (*[]ast.Decl, *ast.StructLit, error) {
	elts := &f.f.Decls
	var last *ast.StructLit
	for i, p := range path {
		fd := find(*elts, p)
		if fd == nil {
			if !create {
				return nil, nil, nil
			}
			s := &ast.StructLit{Lbrace: token.Blank.Pos(), Rbrace: token.Newline.Pos()}
			fd = &ast.Field{Label: newLabel(p), Value: s}
			if i == 0 {
				ast.SetRelPos(fd, token.NewSection)
			} else {
				ast.SetRelPos(fd, token.Newline)
			}
			*elts = append(*elts, fd)
		}
		s, ok := fd.Value.(*ast.StructLit)
		if !ok {
			return nil, nil, fmt.Errorf("%s: %s is %w; edit it by hand", f.name, pathString(path[:i+1]), ErrNotStruct)
		}
		elts, last = &s.Elts, s
	}
	return elts, last, nil
}

// brace gives a struct written without braces ("system: glibc: ...")
// braces, so that a second field can join it.
func brace(s *ast.StructLit) {
	if s == nil || s.Lbrace.IsValid() {
		return
	}
	s.Lbrace = token.Blank.Pos()
	s.Rbrace = token.Newline.Pos()
	for _, d := range s.Elts {
		ast.SetRelPos(d, token.Newline)
	}
}

func find(decls []ast.Decl, name string) *ast.Field {
	for _, d := range decls {
		if fd, ok := d.(*ast.Field); ok && labelName(fd.Label) == name {
			return fd
		}
	}
	return nil
}

// labelName returns a label's name: an identifier's, or a quoted string's
// value; "" for labels computed by expressions.
func labelName(l ast.Label) string {
	switch l := l.(type) {
	case *ast.Ident:
		return l.Name
	case *ast.BasicLit:
		if l.Kind == token.STRING {
			if s, err := literal.Unquote(l.Value); err == nil {
				return s
			}
		}
	}
	return ""
}

// newLabel returns name as a label: bare when it is a plain identifier,
// quoted otherwise (a bare "_x" would be a hidden field, "a-b" is no
// identifier).
func newLabel(name string) ast.Label {
	if isIdent(name) {
		return ast.NewIdent(name)
	}
	return ast.NewString(name)
}

func isIdent(s string) bool {
	if s == "" || s[0] == '_' || s[0] == '#' || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	switch s {
	case "if", "for", "in", "let", "import", "package", "true", "false", "null":
		return false
	}
	return true
}

func pathString(path []string) string {
	s := ""
	for i, p := range path {
		if i > 0 {
			s += "."
		}
		if isIdent(p) {
			s += p
		} else {
			s += strconv.Quote(p)
		}
	}
	return s
}
