package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/install/module"
	"github.com/envlock/envlock/internal/atomicfile"
)

var moduleFlags struct {
	prefix  string
	name    string
	version string
	format  string
	out     string
	json    bool
}

var cmdModule = &Command{
	Name:  "module",
	Usage: "module [-p PATH | -n NAME] [--name NAME] [--version V] [--format lua|tcl] [--out DIR] [--json]",
	Short: "write an Lmod or Environment Modules modulefile for an environment",
	Long: `
Module writes a modulefile that makes "module load NAME/V" put the
environment at PATH in effect: its bin/ first on PATH, CONDA_PREFIX and
the manifest's env variables set; "module unload" undoes it. whatis and
help name the lock the environment was installed from and its sha256.
Every envlock modulefile is in the family "python_env", so two
environments are never loaded together: Lmod swaps one for the other,
Environment Modules refuses the second (before 5.1, which has no
families, it refuses to load over any active conda environment).

--format lua (the default) is for Lmod; --format tcl is for Environment
Modules, and Lmod reads it too. --name defaults to the environment's name.

Without --out the modulefile is printed. With --out DIR it is written to
DIR/NAME/V.lua (lua) or DIR/NAME/V (tcl), or DIR/NAME.lua and DIR/NAME
without --version, replacing what was there; DIR is then what "module
use" or $MODULEPATH names. The environment's etc/conda/activate.d scripts
are not run by modulefiles; module says so when there are any.

--json prints the result for scripts (schemas/cli.cue #Module): what
"module load" takes, the modulefile's size and sha256, and with --out the
file written and the directory for "module use", without it the
modulefile itself as content.

Example:

	envlock module -p /blue/mylab/envs/proj --name proj --version 2024.05 --out /blue/mylab/modulefiles
	module use /blue/mylab/modulefiles
	module load proj/2024.05
`,
	SetFlags: func(fs *flag.FlagSet) {
		prefixFlag(fs, &moduleFlags.prefix, "environment path (required)")
		fs.StringVar(&moduleFlags.name, "name", "", "module name (default: the environment's name)")
		fs.StringVar(&moduleFlags.version, "version", "", "module version")
		fs.StringVar(&moduleFlags.format, "format", "lua", "lua (Lmod) or tcl (Environment Modules, Lmod)")
		fs.StringVar(&moduleFlags.out, "out", "", "write into this modulefile directory instead of printing")
		fs.BoolVar(&moduleFlags.json, "json", false, "print the result as JSON, the modulefile in it without --out (schemas/cli.cue #Module)")
	},
	Run: func(ctx context.Context, env *Env, args []string) error {
		if moduleFlags.prefix == "" || len(args) != 0 {
			return usagef("want -p PATH and no arguments")
		}
		f := module.Format(moduleFlags.format)
		if f != module.Lua && f != module.Tcl {
			return usagef("--format must be lua or tcl")
		}
		prefix := abs(env, moduleFlags.prefix)
		name := moduleFlags.name
		if name == "" {
			m, err := install.OpenMarker(prefix)
			if err != nil {
				return err
			}
			name = m.Name
		}
		mf, err := module.For(prefix, name, moduleFlags.version, f)
		if err != nil {
			return err
		}
		for _, n := range mf.Notes {
			fmt.Fprintln(env.Stderr, "note: "+n)
		}
		load := name
		if moduleFlags.version != "" {
			load += "/" + moduleFlags.version
		}
		res := jsonModule{Prefix: prefix, Name: name, Version: moduleFlags.version, Format: string(f), Load: load,
			Bytes: len(mf.Data), SHA256: sha256Hex(mf.Data)}
		if moduleFlags.out == "" {
			if moduleFlags.json {
				res.Content = string(mf.Data)
				return writeJSON(env.Stdout, res)
			}
			_, err := env.Stdout.Write(mf.Data)
			return err
		}
		out := abs(env, moduleFlags.out)
		path := filepath.Join(out, mf.Path)
		if err := atomicfile.WriteFile(path, mf.Data, 0o644); err != nil {
			return fmt.Errorf("writing the modulefile: %w", err)
		}
		fmt.Fprintf(env.Stderr, "wrote %s\nload it with: module use %s && module load %s\n", path, out, load)
		if !moduleFlags.json {
			return nil
		}
		res.File, res.ModulePath = path, out
		return writeJSON(env.Stdout, res)
	},
}
