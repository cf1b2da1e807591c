// Package activate computes what using an environment means: its bin/ on
// PATH, CONDA_PREFIX, the manifest's variables (recorded by the installer
// in the envlock marker, conda-meta/envlock/envlock.json) and the environment's own
// etc/conda/activate.d scripts. "envlock run" applies it to a command;
// shell hooks print it for bash, zsh, fish and tcsh.
package activate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/envlock/envlock/install"
)

// An Activation is the change to the environment of a process.
type Activation struct {
	Prefix string
	// Vars are set, in name order (CONDA_PREFIX and the manifest's).
	Vars [][2]string
	// Scripts are etc/conda/activate.d/*.sh, in name order.
	Scripts []string
}

// For reads the activation of the environment at prefix.
func For(prefix string) (*Activation, error) {
	prefix = filepath.Clean(prefix)
	if fi, err := os.Stat(filepath.Join(prefix, "conda-meta")); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a conda environment (no conda-meta/)", prefix)
	}
	a := &Activation{Prefix: prefix}
	vars := map[string]string{"CONDA_PREFIX": prefix, "CONDA_DEFAULT_ENV": prefix}
	// The manifest's variables, for an environment envlock installed;
	// any other conda environment activates without them.
	if m, err := install.ReadMarker(prefix); err == nil {
		for k, v := range m.Env {
			vars[k] = v
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var names []string
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		a.Vars = append(a.Vars, [2]string{k, vars[k]})
	}
	scripts, _ := filepath.Glob(filepath.Join(prefix, "etc", "conda", "activate.d", "*.sh"))
	sort.Strings(scripts)
	a.Scripts = scripts
	return a, nil
}

// Environ returns base (KEY=VALUE entries) with the activation applied.
func (a *Activation) Environ(base []string) []string {
	env := map[string]string{}
	var order []string
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := env[k]; !dup {
			order = append(order, k)
		}
		env[k] = v
	}
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	bin := filepath.Join(a.Prefix, "bin")
	if p := env["PATH"]; p != "" {
		set("PATH", bin+string(os.PathListSeparator)+p)
	} else {
		set("PATH", bin+string(os.PathListSeparator)+"/usr/local/bin:/usr/bin:/bin")
	}
	for _, kv := range a.Vars {
		set(kv[0], kv[1])
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+env[k])
	}
	return out
}

// Shells are the shells Hook writes for.
var Shells = []string{"bash", "zsh", "fish", "tcsh"}

// Hook returns the lines that activate (or, with deactivate, undo) the
// environment in the current shell.
func (a *Activation) Hook(shell string, deactivate bool) (string, error) {
	bin := filepath.Join(a.Prefix, "bin")
	var b strings.Builder
	switch shell {
	case "bash", "zsh", "sh":
		if deactivate {
			b.WriteString("if [ -n \"${_ENVLOCK_OLD_PATH+x}\" ]; then export PATH=\"$_ENVLOCK_OLD_PATH\"; unset _ENVLOCK_OLD_PATH; fi\n")
			for _, kv := range a.Vars {
				fmt.Fprintf(&b, "unset %s\n", kv[0])
			}
			break
		}
		b.WriteString("export _ENVLOCK_OLD_PATH=\"$PATH\"\n")
		fmt.Fprintf(&b, "export PATH=%s:\"$PATH\"\n", sh(bin))
		for _, kv := range a.Vars {
			fmt.Fprintf(&b, "export %s=%s\n", kv[0], sh(kv[1]))
		}
		for _, s := range a.Scripts {
			fmt.Fprintf(&b, ". %s\n", sh(s))
		}
		if shell == "bash" || shell == "zsh" {
			b.WriteString("hash -r 2>/dev/null || true\n")
		}
	case "fish":
		if deactivate {
			b.WriteString("if set -q _ENVLOCK_OLD_PATH; set -gx PATH $_ENVLOCK_OLD_PATH; set -e _ENVLOCK_OLD_PATH; end\n")
			for _, kv := range a.Vars {
				fmt.Fprintf(&b, "set -e %s\n", kv[0])
			}
			break
		}
		b.WriteString("set -gx _ENVLOCK_OLD_PATH $PATH\n")
		fmt.Fprintf(&b, "set -gx PATH %s $PATH\n", sh(bin))
		for _, kv := range a.Vars {
			fmt.Fprintf(&b, "set -gx %s %s\n", kv[0], sh(kv[1]))
		}
	case "tcsh", "csh":
		// One line of ";"-separated commands: csh's eval of `…` joins
		// the output's lines into one.
		var cmds []string
		if deactivate {
			cmds = append(cmds, `if ( $?_ENVLOCK_OLD_PATH ) setenv PATH "$_ENVLOCK_OLD_PATH"`, "unsetenv _ENVLOCK_OLD_PATH")
			for _, kv := range a.Vars {
				cmds = append(cmds, "unsetenv "+kv[0])
			}
		} else {
			cmds = append(cmds, `setenv _ENVLOCK_OLD_PATH "$PATH"`, fmt.Sprintf(`setenv PATH %s:"$PATH"`, sh(bin)))
			for _, kv := range a.Vars {
				cmds = append(cmds, fmt.Sprintf("setenv %s %s", kv[0], sh(kv[1])))
			}
		}
		cmds = append(cmds, "rehash")
		b.WriteString(strings.Join(cmds, "; ") + "\n")
	default:
		return "", fmt.Errorf("unknown shell %q (known: %s)", shell, strings.Join(Shells, ", "))
	}
	return b.String(), nil
}

// sh quotes s for POSIX shells (and fish and tcsh, for the characters
// paths and values usually hold).
func sh(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
