package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/config"
	"github.com/envlock/envlock/verify"
)

// namedPrefix is the value of -n NAME: an environment by name, resolved
// in envs_dirs into the -p variable it shares after flag parsing.
type namedPrefix struct {
	target *string
	name   string
}

func (n *namedPrefix) String() string     { return n.name }
func (n *namedPrefix) Set(v string) error { n.name = v; return nil }

// named is the -n flag of the command being run; nil when it has none.
var named *namedPrefix

// prefixFlag registers -p PATH and -n NAME, both naming the environment
// in *p: every command that takes -p takes -n through it.
func prefixFlag(fs *flag.FlagSet, p *string, usage string) {
	fs.StringVar(p, "p", "", usage)
	named = &namedPrefix{target: p}
	fs.Var(named, "n", "environment `NAME` in envs_dirs (see 'envlock env list'), instead of -p; with neither, prefix in env.cue")
}

// resolveNamed turns -n NAME into the -p path after flag parsing: an
// existing environment NAME in the first envs_dirs entry holding one, else,
// for install, NAME in the first writable entry.
func resolveNamed(c *Command, env *Env) error {
	n := named
	if n == nil || n.name == "" || c.Flags.Lookup("n") == nil || c.Flags.Lookup("n").Value != flag.Value(n) {
		return nil
	}
	if *n.target != "" {
		return usagef("-p and -n both name the environment; give one")
	}
	if n.name == "." || n.name == ".." || strings.ContainsAny(n.name, `/\`) || strings.HasPrefix(n.name, "-") {
		return usagef("-n %q: an environment name is one path element (no /), e.g. -n proj; use -p for a path", n.name)
	}
	dirs, err := envsDirs(env)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, n.name)); err == nil {
			*n.target = filepath.Join(d, n.name)
			return nil
		}
	}
	if c.Name != "install" {
		return withHint(fmt.Errorf("no environment %q in envs_dirs (%s)", n.name, strings.Join(dirs, ", ")),
			"'envlock env list' shows the named environments; 'envlock install -n %s' makes one", n.name)
	}
	var tried []string
	for _, d := range dirs {
		if err := writableDir(d); err != nil {
			tried = append(tried, err.Error())
			continue
		}
		*n.target = filepath.Join(d, n.name)
		return nil
	}
	return withHint(fmt.Errorf("no writable directory in envs_dirs: %s", strings.Join(tried, "; ")),
		"set envs_dirs in your configuration ('envlock init --config') or $ENVLOCK_ENVS_DIRS, or pass -p PATH")
}

// defaultPrefix fills in the environment's path from the project's
// env.cue (prefix, relative to env.cue's directory) for a command that
// needs one and was given neither -p nor -n. The project is the
// directory of install's --lock, else the current directory; a project
// without an env.cue, or one that sets no prefix, leaves the command to
// say what it needs, as before. An install from a bundle or a registry
// has no project. Commands where -p is optional (doctor) or concerns one
// subcommand only (kernel install) are left alone otherwise.
func defaultPrefix(ctx context.Context, c *Command, env *Env) error {
	n := named
	if n == nil || *n.target != "" || n.name != "" || c.Flags.Lookup("n") == nil || c.Flags.Lookup("n").Value != flag.Value(n) {
		return nil
	}
	dir := "."
	switch c.Name {
	case "install":
		if installFlags.bundle != "" || installFlags.from != "" {
			return nil
		}
		dir = filepath.Dir(installFlags.lock)
	case "kernel":
		if c.Flags.Arg(0) != "install" {
			return nil
		}
	case "remove":
		if c.Flags.NArg() > 0 {
			return nil // remove NAME… edits env.cue (drop)
		}
	case "verify", "run", "shell-hook", "list", "module":
	default:
		return nil
	}
	if _, err := os.Stat(filepath.Join(abs(env, dir), spec.ManifestFile)); err != nil {
		return nil
	}
	m, err := loadManifest(ctx, env, dir, "")
	if err != nil {
		var es spec.Errors
		if errors.As(err, &es) {
			fmt.Fprintln(env.Stderr, es.Error())
			err = fmt.Errorf("reading the environment's path (prefix) from %s: %s", filepath.Join(dir, spec.ManifestFile), plural(len(es), "error", "errors"))
		}
		return withHint(err, "fix env.cue, or pass -p PATH or -n NAME")
	}
	if m.Prefix == "" {
		return nil
	}
	*n.target = m.PrefixIn(abs(env, dir))
	if env.Verbose {
		fmt.Fprintf(env.Stderr, "note: environment %s, from prefix at %s\n", *n.target, m.PrefixPos)
	}
	return nil
}

// errNoPrefix is the usage error of a command that needs an environment
// and was told of none.
var errNoPrefix = usagef("-p PATH or -n NAME is required, or prefix in env.cue")

// envsDirs is envs_dirs from the configuration, else the default.
func envsDirs(env *Env) ([]string, error) {
	l, err := loadConfig(env)
	if err != nil {
		return nil, err
	}
	if len(l.Config.EnvsDirs) > 0 {
		return l.Config.EnvsDirs, nil
	}
	return []string{config.DefaultEnvsDir(env.Getenv)}, nil
}

// writableDir makes d if need be and checks that a file can be made in it.
func writableDir(d string) error {
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("%s: cannot create it", d)
	}
	f, err := os.CreateTemp(d, ".envlock-probe-*")
	if err != nil {
		return fmt.Errorf("%s: not writable", d)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

var envsFlags struct{ json bool }

var cmdEnvs = &Command{
	Name:  "env",
	Usage: "env list [--json]",
	Short: "list the named environments in envs_dirs",
	Long: `
Env list shows the environments in envs_dirs (see 'envlock config'), the
ones '-n NAME' finds: name, the environment's name in its lock, platform,
size on disk and a quick verify (sizes and modification times against the
installed lock, as 'envlock verify --quick' does): clean, drift, or "-" for
a conda environment envlock did not install. --json prints them as an
array (#Envs in schemas/cli.cue).

Example:

	envlock env list
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.BoolVar(&envsFlags.json, "json", false, "print JSON (schemas/cli.cue #Envs)")
	},
	Run: runEnvList,
}

func runEnvList(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 || args[0] != "list" {
		return usagef("want 'env list'")
	}
	dirs, err := envsDirs(env)
	if err != nil {
		return err
	}
	rows := []namedEnv{}
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue // an entry not made yet, or unusable: install skips it too
		}
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := filepath.Join(d, e.Name())
			if !e.IsDir() {
				continue
			}
			if _, err := os.Stat(filepath.Join(p, "conda-meta")); err != nil {
				continue
			}
			r := namedEnv{Name: e.Name(), Path: p, Lock: "-", Platform: "-", Verify: "-", Size: dirSize(p)}
			if m, err := install.ReadMarker(p); err == nil {
				r.Lock, r.Platform = m.Name, m.Platform
				r.Verify = quickVerify(ctx, p)
			}
			rows = append(rows, r)
		}
	}
	if envsFlags.json {
		return writeJSON(env.Stdout, rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLOCK\tPLATFORM\tSIZE\tVERIFY\tPATH")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Lock, r.Platform, iecSize(r.Size), r.Verify, r.Path)
	}
	return tw.Flush()
}

// namedEnv is one row of 'envlock env list' (#Envs in schemas/cli.cue).
type namedEnv struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Lock     string `json:"lock"`
	Platform string `json:"platform"`
	Size     int64  `json:"size"`
	Verify   string `json:"verify"`
}

// quickVerify is 'envlock verify --quick --no-elf' of an envlock prefix
// against its installed lock: the report's status.
func quickVerify(ctx context.Context, prefix string) string {
	l, data, path, err := verify.InstalledLock(prefix)
	if err != nil {
		return "no-lock"
	}
	r, err := verify.Prefix(ctx, verify.Options{Prefix: prefix, Lock: l, LockData: data, LockPath: path, Quick: true})
	if err != nil {
		return "error"
	}
	return r.Status
}

// dirSize adds up the sizes of the regular files under dir, counting a
// hard-linked file once.
func dirSize(dir string) int64 {
	var n int64
	seen := map[[2]uint64]bool{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if id, ok := fileID(fi); ok {
			if seen[id] {
				return nil
			}
			seen[id] = true
		}
		n += fi.Size()
		return nil
	})
	return n
}

// iecSize formats a byte count in IEC units: "512 B", "1.5 KiB", "60.0 MiB".
func iecSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1024
		if f < 1024 || u == "TiB" {
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	return ""
}
