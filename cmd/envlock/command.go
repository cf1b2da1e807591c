package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// A Command is one envlock subcommand: its name, its help, its flags and
// the function that runs it. Commands are values in the table in main.go,
// the way cmd/go lists its base.Commands.
type Command struct {
	// Name is the word that selects the command ("search").
	Name string
	// Usage is the one-line synopsis after "envlock": "search SPEC --channel C".
	Usage string
	// Short is the one-line description shown by "envlock help".
	Short string
	// Long is the full help text, with at least one example.
	Long string
	// Flags holds the command's flags; SetFlags registers them.
	Flags *flag.FlagSet
	// SetFlags registers the command's flags on fs. It may be nil.
	SetFlags func(fs *flag.FlagSet)
	// Run runs the command with the arguments left after flag parsing.
	Run func(ctx context.Context, env *Env, args []string) error
	// UsageExit and FailExit replace the shared exit codes for usage
	// errors (2) and failures (1) in commands whose result is their exit
	// code (verify, doctor), where 1 and 2 mean findings.
	UsageExit, FailExit int
}

func (c *Command) usageCode() int {
	if c.UsageExit != 0 {
		return c.UsageExit
	}
	return exitUsage
}

func (c *Command) failCode() int {
	if c.FailExit != 0 {
		return c.FailExit
	}
	return exitFail
}

// Env is what a command sees of the process: its output streams and
// environment. Tests and the real main build it alike.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
	// Getenv looks up an environment variable.
	Getenv func(string) string
	// Dir is the working directory relative paths are taken against.
	Dir string
	// Quiet (-q) holds back stderr unless the command fails; Verbose
	// (-v) adds notes.
	Quiet, Verbose bool
	// rawGetenv is Getenv before the configuration files were overlaid
	// (see applyConfig); nil until then.
	rawGetenv func(string) string
}

// usageError is returned by a command whose arguments are wrong; main
// prints it with the command's usage line and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// hintError is an error with advice for the user on what to do next; main
// prints the hint on its own line after the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, format string, args ...any) error {
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// exitError makes a command exit with a given code after printing nothing
// more than it has already printed (for example "lock --check" finding a
// stale lock, or "verify" finding drift).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func (c *Command) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: envlock %s\n", c.Usage)
}

func (c *Command) printHelp(w io.Writer) {
	c.printUsage(w)
	fmt.Fprintln(w)
	fmt.Fprintln(w, strings.TrimSpace(c.Long))
	if c.Flags != nil && hasFlags(c.Flags) {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Flags:")
		c.Flags.SetOutput(w)
		c.Flags.PrintDefaults()
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// listVar registers a repeatable flag, emptying it first so that a
// command run twice in one process starts afresh.
func listVar(fs *flag.FlagSet, l *stringList, name, usage string) {
	*l = nil
	fs.Var(l, name, usage)
}

// stringList is a repeatable string flag (--channel a --channel b).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
