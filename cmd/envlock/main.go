// Command envlock makes conda environments reproducible: it locks an
// env.cue manifest to exact packages, installs the lock into any prefix and
// verifies hosts and prefixes against it.
//
// This package holds flags, output and exit codes only; the work is done by
// the spec, lock, fetch, install and verify packages.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// commands is the table of subcommands, in the order "envlock help" lists
// them.
var commands = []*Command{
	cmdInit,
	cmdImport,
	cmdCheck,
	cmdAdd,
	cmdDrop,
	cmdLock,
	cmdDiff,
	cmdInstall,
	cmdRun,
	cmdShellHook,
	cmdKernel,
	cmdModule,
	cmdRemove,
	cmdBundle,
	cmdPush,
	cmdPull,
	cmdExport,
	cmdSearch,
	cmdSolve,
	cmdKeygen,
	cmdSign,
	cmdVerifyLock,
	cmdTrustedRoot,
	cmdHost,
	cmdDoctor,
	cmdVerify,
	cmdConfig,
	cmdEnvs,
	cmdList,
	cmdCompletion,
}

func main() {
	os.Exit(main1())
}

// main1 is main without os.Exit, so testscript can run it in-process.
func main1() int {
	// The first SIGINT or SIGTERM cancels the command's context: every
	// stage stops and cleans up what it started (manifest evaluation is
	// abandoned at once). A second one exits at once.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case s := <-sigs:
			cancel(&signalError{s})
		case <-finished:
			return
		}
		select {
		case s := <-sigs:
			os.Exit(signalExit(s))
		case <-finished:
		}
	}()
	dir, _ := os.Getwd()
	env := &Env{
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Stdin:  os.Stdin,
		Getenv: os.Getenv,
		Dir:    dir,
	}
	return run(ctx, env, os.Args[1:])
}

func run(ctx context.Context, env *Env, args []string) int {
	args = globalFlags(env, args, nil)
	if len(args) == 0 {
		printMainHelp(env.Stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if args[1] == "help" {
				fmt.Fprint(env.Stdout, helpHelp)
				return exitOK
			}
			if args[1] == "exit-codes" {
				printExitCodes(env.Stdout)
				return exitOK
			}
			if c := lookup(args[1]); c != nil {
				initFlags(c)
				c.printHelp(env.Stdout)
				return exitOK
			}
			fmt.Fprintf(env.Stderr, "envlock help %s: unknown command\n", args[1])
			return exitUsage
		}
		printMainHelp(env.Stdout)
		return exitOK
	case "version", "--version", "-V":
		return runVersion(env.Stdout, env.Stderr, args[1:])
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(env.Stderr, "envlock: unknown command %q\n", name)
		if s := suggest(name); s != "" {
			fmt.Fprintf(env.Stderr, "Did you mean 'envlock %s'?\n", s)
		}
		fmt.Fprintf(env.Stderr, "Run 'envlock help' for the list of commands.\n")
		return exitUsage
	}
	initFlags(c)
	c.Flags.SetOutput(io.Discard)
	args = append(args[:1], globalFlags(env, args[1:], c.Flags)...)
	if env.Quiet && env.Verbose {
		fmt.Fprintf(env.Stderr, "envlock %s: -q and -v do not go together\n", c.Name)
		return c.usageCode()
	}
	if err := c.Flags.Parse(interleave(c.Flags, args[1:])); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.printHelp(env.Stdout)
			return exitOK
		}
		fmt.Fprintf(env.Stderr, "envlock %s: %v\n", c.Name, err)
		c.printUsage(env.Stderr)
		fmt.Fprintf(env.Stderr, "Run 'envlock help %s' for details.\n", c.Name)
		return c.usageCode()
	}
	if err := prepare(ctx, c, env); err != nil {
		return report(env.Stderr, c, err)
	}
	if env.Verbose {
		// A command's own -v (lock's fetch report) follows the global one.
		if f := c.Flags.Lookup("v"); f != nil {
			f.Value.Set("true")
		}
		if l, err := loadConfig(env); err == nil {
			for _, f := range l.Files {
				fmt.Fprintf(env.Stderr, "note: configuration from %s (%s)\n", f.Path, f.Layer)
			}
		}
	}
	stderr := env.Stderr
	var held bytes.Buffer
	if env.Quiet {
		// -q: what the command writes on stderr is shown only if it
		// fails, ahead of the error.
		env.Stderr = &held
	}
	start := time.Now()
	err := c.Run(ctx, env, c.Flags.Args())
	env.Stderr = stderr
	if err != nil {
		stderr.Write(held.Bytes())
	}
	code := report(env.Stderr, c, err)
	if env.Verbose {
		fmt.Fprintf(env.Stderr, "note: envlock %s took %s, exit %d\n", c.Name, time.Since(start).Round(time.Millisecond), code)
	}
	var se *signalError
	if code != exitOK && errors.As(context.Cause(ctx), &se) {
		return signalExit(se.sig)
	}
	return code
}

// globalFlags removes -q/--quiet and -v/--verbose from args (up to a lone
// "--") and records them in env; a flag the command defines itself (lock
// -v) is left to the command.
func globalFlags(env *Env, args []string, fs *flag.FlagSet) []string {
	out := args[:0:0]
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if fs == nil && (len(a) == 0 || a[0] != '-') {
			// Before the command name: stop at the command.
			return append(out, args[i:]...)
		}
		name := strings.TrimLeft(a, "-")
		if fs != nil && fs.Lookup(name) != nil {
			out = append(out, a)
			continue
		}
		switch name {
		case "q", "quiet":
			env.Quiet = true
			continue
		case "v", "verbose":
			env.Verbose = true
			continue
		}
		out = append(out, a)
	}
	return out
}

// signalError is the cause of a context cancelled by a signal.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string { return "interrupted by " + e.sig.String() }

// signalExit is the exit code for a command stopped by s.
func signalExit(s os.Signal) int {
	if s == syscall.SIGTERM {
		return exitTerminate
	}
	return exitInterrupt
}

// report prints err for the user and returns the exit code.
func report(w io.Writer, c *Command, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "envlock %s: %s\n", c.Name, ue.msg)
		c.printUsage(w)
		fmt.Fprintf(w, "Run 'envlock help %s' for details.\n", c.Name)
		return c.usageCode()
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(w, "envlock %s: %s\n", c.Name, ee.msg)
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(w, "envlock %s: interrupted\n", c.Name)
		return c.failCode()
	}
	fmt.Fprintf(w, "envlock %s: %v\n", c.Name, err)
	var he *hintError
	if errors.As(err, &he) {
		fmt.Fprintf(w, "hint: %s\n", he.hint)
	}
	return c.failCode()
}

func lookup(name string) *Command {
	for _, c := range commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// initFlags gives c a fresh flag set; registering the flags resets their
// variables to the defaults, so each run starts clean.
func initFlags(c *Command) {
	c.Flags = flag.NewFlagSet(c.Name, flag.ContinueOnError)
	if c.SetFlags != nil {
		c.SetFlags(c.Flags)
	}
}

// interleave moves flags that follow positional arguments in front of
// them, so "envlock search 'python 3.9.*' --channel DIR" works as users
// type it. Everything after a lone "--" stays positional.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // flag.Parse reports it
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if len(pos) == 0 {
		return flags
	}
	return append(append(flags, "--"), pos...)
}

func printMainHelp(w io.Writer) {
	fmt.Fprint(w, `envlock makes conda environments reproducible: lock an env.cue manifest to
exact packages, install the lock into any prefix, verify hosts and prefixes.

Usage:

	envlock <command> [arguments]

Commands:

`)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.Name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-*s  %s\n", width, c.Name, c.Short)
	}
	fmt.Fprint(w, `
Global flags, before or after the command:

	-q, --quiet    print nothing on stderr unless the command fails
	-v, --verbose  extra notes: the configuration files read, lock's
	               fetch report, how long the command took

Run 'envlock help <command>' for more about a command, and
'envlock help exit-codes' for what each exit code means.
`)
}
