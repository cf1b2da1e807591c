package spec

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

const msgMissing = "required field is missing"

// ErrNoManifest is wrapped by the error Load returns for a directory
// without an env.cue.
var ErrNoManifest = errors.New("no env.cue")

// A Position is a place in a file, printed "env.cue:7:12". Line and Column
// count from 1; they are 0 when the problem is the file as a whole (a
// required field that is missing has no line).
type Position struct {
	Filename     string
	Line, Column int
}

// String returns "file:line:col", "file:line" or "file".
func (p Position) String() string {
	switch {
	case p.Filename == "":
		return "-"
	case p.Line == 0:
		return p.Filename
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.Filename, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

// An Error is one problem with a manifest: where it is in the project's
// files, which field, what is wrong or expected, and the other places
// involved (the site policy's rule, the schema's constraint).
//
//	env.cue:4:17: system.glibc: invalid value "2.34" (out of bound <="2.28") (policy.cue:31:17)
type Error struct {
	Pos  Position
	Path string // "dependencies.numpy"; "" for the manifest as a whole
	Msg  string
	Also []Position

	notAllowed bool // the field itself should not be there
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if len(e.Also) > 0 {
		b.WriteString(" (")
		for i, p := range e.Also {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p.String())
		}
		b.WriteString(")")
	}
	return b.String()
}

// Errors is every problem Load found, in file order; Load reports them
// together so that one run shows everything to fix.
type Errors []*Error

// Error returns the errors one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sortErrors orders errors by file (in the order files were loaded), line,
// column and path, and drops duplicates.
func sortErrors(es Errors, fileOrder map[string]int) Errors {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(fileRank(fileOrder, a.Pos.Filename), fileRank(fileOrder, b.Pos.Filename)),
			cmp.Compare(a.Pos.Filename, b.Pos.Filename),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	es = slices.CompactFunc(es, func(a, b *Error) bool {
		return a.Pos == b.Pos && a.Path == b.Path && a.Msg == b.Msg
	})
	// A required field that is missing is also incomplete: say it once.
	missing := map[string]bool{}
	for _, e := range es {
		if e.Msg == msgMissing {
			missing[e.Path] = true
		}
	}
	// Below a field that should not be there, nothing more needs saying.
	var unwanted []string
	for _, e := range es {
		if e.notAllowed {
			unwanted = append(unwanted, e.Path+".")
		}
	}
	return slices.DeleteFunc(es, func(e *Error) bool {
		if missing[e.Path] && e.Msg != msgMissing {
			return true
		}
		for _, u := range unwanted {
			if strings.HasPrefix(e.Path, u) {
				return true
			}
		}
		return false
	})
}

func fileRank(order map[string]int, name string) int {
	if r, ok := order[name]; ok {
		return r
	}
	return len(order)
}
