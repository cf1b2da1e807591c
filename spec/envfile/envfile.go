// Package envfile reads the files conda users describe environments with:
// environment.yml (conda env create -f), @EXPLICIT lists (conda list
// --explicit, conda-lock render) and plain spec lists (conda create
// --file), plus the requirements files an environment.yml's pip section
// refers to.
//
// It reads what the files say and where they say it, nothing more:
// MatchSpecs and pip lines stay strings with their positions, for the
// caller to parse and report against. Turning an environment file into an
// env.cue manifest is spec.Import's job.
//
// environment.yml is YAML, read with CUE's own YAML decoder
// (cuelang.org/go/encoding/yaml): envlock already depends on CUE, and the
// decoder keeps line and column of every value for error messages.
package envfile

import (
	"bytes"
	"fmt"
)

// A Pos is a place in a file; Line and Column count from 1.
type Pos struct {
	File         string
	Line, Column int
}

func (p Pos) String() string {
	if p.Column == 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// An Item is a string read from a file and where it was.
type Item struct {
	Value string
	Pos   Pos
}

// An Error is a problem in an environment file, at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Kind is the kind of an environment file.
type Kind int

// The kinds of environment files Detect tells apart.
const (
	KindEnvironment Kind = iota // environment.yml
	KindExplicit                // @EXPLICIT package URLs
	KindSpecList                // one MatchSpec a line (conda create --file)
)

func (k Kind) String() string {
	switch k {
	case KindExplicit:
		return "@EXPLICIT file"
	case KindSpecList:
		return "spec list"
	}
	return "environment.yml"
}

// Detect tells which kind of environment file data is: an @EXPLICIT line
// makes an explicit file; a line that is a YAML mapping key or list item
// ("name:", "dependencies:", "- numpy") makes an environment.yml; anything
// else is a spec list.
func Detect(data []byte) Kind {
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0 || line[0] == '#':
		case bytes.Equal(line, []byte("@EXPLICIT")):
			return KindExplicit
		case line[0] == '-' || bytes.HasSuffix(line, []byte(":")) || bytes.Contains(line, []byte(": ")):
			return KindEnvironment
		}
	}
	return KindSpecList
}
