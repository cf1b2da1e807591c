package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/envlock/envlock/install/kernel"
	"github.com/envlock/envlock/lock/lockfile"
)

var kernelFlags struct {
	prefix      string
	name        string
	displayName string
	language    string
	user        bool
	dataPrefix  string
	force       bool
	json        bool
	dangling    bool

	fs *flag.FlagSet // to see which flags were given
}

var cmdKernel = &Command{
	Name:  "kernel",
	Usage: "kernel (install [-p PATH | -n NAME] [--name N] [--display-name D] | list | remove NAME…|--dangling) [--user | --prefix DIR] [--json]",
	Short: "install, list and remove Jupyter kernels of environments",
	Long: `
Kernel install writes a Jupyter kernelspec for the environment at PATH, so
that JupyterLab, JupyterHub and Open OnDemand offer it as a kernel with
nothing activated: kernel.json runs the environment's own python with
ipykernel (or R with IRkernel when the environment has r-irkernel and no
ipykernel, or with --language R), sets the manifest's env variables, the
kernel's own (env.cue's kernel.env), CONDA_PREFIX, and PATH with the
environment's bin/ first, and names the environment and its lock in its
metadata. The logos of the environment's ipykernel are copied beside it.
The environment must hold ipykernel (or r-irkernel): add it to
dependencies in env.cue. The name and display name default to env.cue's
kernel settings, else the environment's name. Installing again replaces
the kernel; a kernel of the same name that envlock did not make is
replaced only with --force.

Kernels go to the user's Jupyter data directory (--user, the default:
$JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else
~/.local/share/jupyter), or to DIR/share/jupyter with --prefix DIR (for a
JupyterHub's own prefix, or a directory on $JUPYTER_PATH).

Kernel list shows the kernels envlock made in the user's data directory,
each $JUPYTER_PATH directory and /usr/local/share/jupyter and
/usr/share/jupyter (or only --user's or --prefix's), and flags dangling
ones: kernels whose environment is gone. Kernel remove deletes kernels by
name, or every dangling one with --dangling, from the user's data
directory or --prefix's; it refuses kernels envlock did not make.

--json prints the result for scripts (schemas/cli.cue): the kernel
written (#KernelInstall), the kernels listed (#Kernels), or those removed
and those that could not be (#KernelRemove; exit 1 when any could not).

'envlock install' writes the kernel by itself when env.cue sets kernel.

Examples:

	envlock kernel install -p /blue/mylab/envs/proj --display-name "Proj (py3.11)"
	envlock kernel list
	envlock kernel remove proj
`,
	SetFlags: func(fs *flag.FlagSet) {
		kernelFlags.fs = fs
		prefixFlag(fs, &kernelFlags.prefix, "install: environment path (required)")
		fs.StringVar(&kernelFlags.name, "name", "", "install: kernel name (default: env.cue's kernel.name, else the environment's name)")
		fs.StringVar(&kernelFlags.displayName, "display-name", "", "install: name Jupyter shows (default: env.cue's kernel.display_name, else the name)")
		fs.StringVar(&kernelFlags.language, "language", "", "install: python or R (default: python with ipykernel, else R with r-irkernel)")
		fs.BoolVar(&kernelFlags.user, "user", false, "use the user's Jupyter data directory (the default)")
		fs.StringVar(&kernelFlags.dataPrefix, "prefix", "", "use DIR/share/jupyter instead of the user's data directory")
		fs.BoolVar(&kernelFlags.force, "force", false, "install: replace a kernel of the same name that envlock did not make")
		fs.BoolVar(&kernelFlags.json, "json", false, "print the result as JSON (schemas/cli.cue #KernelInstall, #Kernels, #KernelRemove)")
		fs.BoolVar(&kernelFlags.dangling, "dangling", false, "remove: remove every kernel whose environment is gone")
	},
	Run: runKernel,
}

// kernelAllowed are the flags each kernel subcommand takes.
var kernelAllowed = map[string][]string{
	"install": {"p", "name", "display-name", "language", "user", "prefix", "force", "json"},
	"list":    {"user", "prefix", "json"},
	"remove":  {"user", "prefix", "dangling", "json"},
}

func runKernel(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: install, list or remove")
	}
	sub, args := args[0], args[1:]
	allowed, ok := kernelAllowed[sub]
	if !ok {
		return usagef("unknown subcommand %q (want install, list or remove)", sub)
	}
	var bad []string
	kernelFlags.fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(allowed, f.Name) {
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			bad = append(bad, dash+f.Name)
		}
	})
	if len(bad) > 0 {
		return usagef("kernel %s does not take %s", sub, strings.Join(bad, ", "))
	}
	if kernelFlags.user && kernelFlags.dataPrefix != "" {
		return usagef("--user and --prefix exclude each other")
	}
	switch sub {
	case "install":
		if kernelFlags.prefix == "" || len(args) != 0 {
			return usagef("want kernel install -p PATH")
		}
		dir, err := kernelDataDir(env)
		if err != nil {
			return err
		}
		res, err := installKernel(env, abs(env, kernelFlags.prefix), dir, kernel.Options{
			Name: kernelFlags.name, DisplayName: kernelFlags.displayName, Language: kernelFlags.language,
		}, kernelFlags.force)
		if err != nil || !kernelFlags.json {
			return err
		}
		return writeJSON(env.Stdout, res)
	case "list":
		if len(args) != 0 {
			return usagef("kernel list takes no arguments")
		}
		dirs := kernel.SearchPath(env.Getenv)
		if kernelFlags.user || kernelFlags.dataPrefix != "" {
			dir, err := kernelDataDir(env)
			if err != nil {
				return err
			}
			dirs = []string{dir}
		}
		return listKernels(env, dirs)
	default: // remove
		if kernelFlags.dangling == (len(args) > 0) {
			return usagef("want kernel remove NAME… or kernel remove --dangling")
		}
		dir, err := kernelDataDir(env)
		if err != nil {
			return err
		}
		kernels := kernel.KernelsDir(dir)
		names := args
		if kernelFlags.dangling {
			entries, problems := kernel.List([]string{dir})
			warn(env, problems)
			for _, e := range entries {
				if e.Dangling {
					names = append(names, e.Name)
				}
			}
			if len(names) == 0 {
				fmt.Fprintf(env.Stderr, "no dangling kernels in %s\n", kernels)
			}
		}
		var errs []error
		res := jsonKernelRemove{Dir: kernels, Removed: []string{}}
		for _, n := range names {
			if err := kernel.Remove(kernels, n); err != nil {
				errs = append(errs, err)
				res.Failed = append(res.Failed, jsonKernelFailure{Name: strings.ToLower(n), Error: err.Error()})
				continue
			}
			res.Removed = append(res.Removed, strings.ToLower(n))
			fmt.Fprintf(env.Stderr, "removed kernel %s from %s\n", strings.ToLower(n), kernels)
		}
		if kernelFlags.json {
			if err := writeJSON(env.Stdout, res); err != nil {
				return err
			}
		}
		return errors.Join(errs...)
	}
}

// kernelDataDir is the Jupyter data directory --user and --prefix choose.
func kernelDataDir(env *Env) (string, error) {
	if kernelFlags.dataPrefix != "" {
		return kernel.PrefixDir(abs(env, kernelFlags.dataPrefix)), nil
	}
	dir, err := kernel.DataDir(env.Getenv)
	if err != nil {
		return "", withHint(err, "set JUPYTER_DATA_DIR, or pass --prefix DIR")
	}
	return dir, nil
}

// installKernel writes the kernel of the environment at prefix into the
// Jupyter data directory dataDir, and says what it wrote.
func installKernel(env *Env, prefix, dataDir string, o kernel.Options, force bool) (*jsonKernelInstall, error) {
	k, err := kernel.For(prefix, o)
	if err != nil {
		return nil, err
	}
	kernels := kernel.KernelsDir(dataDir)
	_, err = os.Lstat(filepath.Join(kernels, k.Name))
	replaced := err == nil
	dir, err := k.Install(kernels, force)
	if err != nil {
		return nil, err
	}
	for _, n := range k.Notes {
		fmt.Fprintln(env.Stderr, "note: "+n)
	}
	fmt.Fprintf(env.Stderr, "installed Jupyter kernel %s (%q) in %s\n", k.Name, k.Spec.DisplayName, dir)
	res := &jsonKernelInstall{Name: k.Name, DisplayName: k.Spec.DisplayName, Language: k.Spec.Language, Dir: dir,
		Prefix: prefix, Replaced: replaced}
	if origin := k.Spec.Metadata.Envlock; origin != nil {
		res.Lock, res.LockSHA256 = origin.Lock, origin.LockSHA256
	}
	return res, nil
}

// installLockKernel writes the kernel env.cue asks for after an install;
// l.Kernel is not nil.
func installLockKernel(env *Env, prefix string, l *lockfile.Lock) error {
	dir, err := kernel.DataDir(env.Getenv)
	if err == nil {
		_, err = installKernel(env, prefix, dir, kernel.Options{}, false)
	}
	if err != nil {
		return withHint(fmt.Errorf("the environment is installed, but its Jupyter kernel is not: %w", err),
			"fix what the error says and run 'envlock kernel install -p %s', or pass --no-kernel", prefix)
	}
	return nil
}

type kernelRow struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Language    string `json:"language"`
	Dir         string `json:"dir"`
	Prefix      string `json:"prefix"`
	Lock        string `json:"lock"`
	LockSHA256  string `json:"lock_sha256"`
	Dangling    bool   `json:"dangling"`
	Why         string `json:"why,omitempty"`
}

func listKernels(env *Env, dirs []string) error {
	entries, problems := kernel.List(dirs)
	warn(env, problems)
	rows := []kernelRow{}
	for _, e := range entries {
		o := e.Spec.Metadata.Envlock
		rows = append(rows, kernelRow{Name: e.Name, DisplayName: e.Spec.DisplayName, Language: e.Spec.Language, Dir: e.Dir,
			Prefix: o.Prefix, Lock: o.Lock, LockSHA256: o.LockSHA256, Dangling: e.Dangling, Why: e.Why})
	}
	if kernelFlags.json {
		return writeJSON(env.Stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(env.Stderr, "no kernels made by envlock in %s\n", strings.Join(dirs, ", "))
		return nil
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDISPLAY NAME\tENVIRONMENT\tSTATUS")
	dangling := 0
	for _, r := range rows {
		status := "ok"
		if r.Dangling {
			status = "dangling: " + r.Why
			dangling++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.DisplayName, r.Prefix, status)
	}
	tw.Flush()
	if dangling > 0 {
		fmt.Fprintf(env.Stderr, "%d dangling kernel(s): remove them with 'envlock kernel remove --dangling'\n", dangling)
	}
	return nil
}

func warn(env *Env, problems []string) {
	for _, p := range problems {
		fmt.Fprintln(env.Stderr, "warning: "+p)
	}
}
