package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/envlock/envlock/install/activate"
)

var runFlags struct{ prefix string }

var cmdRun = &Command{
	Name:  "run",
	Usage: "run [-p PATH | -n NAME] -- CMD [ARG]…",
	Short: "run a command in an environment without activating it",
	Long: `
Run runs CMD with the environment at PATH in effect: its bin/ first on
PATH, CONDA_PREFIX set, the manifest's env variables applied, and the
environment's etc/conda/activate.d scripts sourced (through /bin/sh) when
there are any. The command replaces envlock, so its exit status and
signals are the command's own. Nothing needs to be initialized in the
shell, which makes it the way to use an environment in a Slurm batch
script.

Example:

	envlock run -p /blue/mylab/envs/proj -- python train.py --epochs 10
`,
	SetFlags: func(fs *flag.FlagSet) {
		prefixFlag(fs, &runFlags.prefix, "environment path (required)")
	},
	Run: func(ctx context.Context, env *Env, args []string) error {
		if runFlags.prefix == "" || len(args) == 0 {
			return usagef("want -p PATH -- CMD [ARG]…")
		}
		a, err := activate.For(abs(env, runFlags.prefix))
		if err != nil {
			return err
		}
		environ := a.Environ(os.Environ())
		argv := args
		if len(a.Scripts) > 0 {
			var src []string
			for _, s := range a.Scripts {
				src = append(src, ". '"+strings.ReplaceAll(s, "'", `'"'"'`)+"'")
			}
			argv = append([]string{"/bin/sh", "-c", strings.Join(src, "; ") + `; exec "$@"`, "envlock-run"}, args...)
		}
		path, err := lookPath(argv[0], environ)
		if err != nil {
			return &exitError{code: exitNotFound, msg: err.Error()}
		}
		if err := syscall.Exec(path, argv, environ); err != nil {
			// No exec (not unix): run it and pass the status on.
			cmd := exec.CommandContext(ctx, path, argv[1:]...)
			cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = environ, env.Stdin, env.Stdout, env.Stderr
			if err := cmd.Run(); err != nil {
				if ee, ok := err.(*exec.ExitError); ok {
					return &exitError{code: ee.ExitCode()}
				}
				return err
			}
		}
		return nil
	},
}

// lookPath finds cmd on the PATH of environ.
func lookPath(cmd string, environ []string) (string, error) {
	if strings.Contains(cmd, "/") {
		return cmd, nil
	}
	var path string
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, cmd)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: command not found in the environment or on PATH", cmd)
}

var hookFlags struct {
	prefix     string
	shell      string
	deactivate bool
}

var cmdShellHook = &Command{
	Name:  "shell-hook",
	Usage: "shell-hook [-p PATH | -n NAME] [--shell bash|zsh|fish|tcsh] [--deactivate]",
	Short: "print the shell lines that activate an environment",
	Long: `
Shell-hook prints the lines that activate the environment at PATH in the
current shell (bin/ on PATH, CONDA_PREFIX, the manifest's variables, the
environment's activate.d scripts for POSIX shells), to be evaluated; with
--deactivate, the lines that undo them. The shell defaults to $SHELL's.

Example:

	eval "$(envlock shell-hook -p /blue/mylab/envs/proj)"
	eval "$(envlock shell-hook -p /blue/mylab/envs/proj --deactivate)"
`,
	SetFlags: func(fs *flag.FlagSet) {
		prefixFlag(fs, &hookFlags.prefix, "environment path (required)")
		fs.StringVar(&hookFlags.shell, "shell", "", "bash, zsh, fish or tcsh (default: $SHELL's)")
		fs.BoolVar(&hookFlags.deactivate, "deactivate", false, "print the lines that deactivate")
	},
	Run: func(ctx context.Context, env *Env, args []string) error {
		if hookFlags.prefix == "" || len(args) != 0 {
			return usagef("want -p PATH")
		}
		shell := hookFlags.shell
		if shell == "" {
			shell = filepath.Base(env.Getenv("SHELL"))
			if shell == "." || shell == "" {
				shell = "bash"
			}
		}
		a, err := activate.For(abs(env, hookFlags.prefix))
		if err != nil {
			return err
		}
		out, err := a.Hook(shell, hookFlags.deactivate)
		if err != nil {
			return usagef("%v", err)
		}
		fmt.Fprint(env.Stdout, out)
		return nil
	},
}
