package module

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
)

// lmodInit is where Debian's lmod package keeps the bash setup of the
// module command.
const lmodInit = "/usr/share/lmod/lmod/init/bash"

// modulecmdTcl finds Environment Modules' modulecmd.tcl: from
// $ENVLOCK_MODULECMD_TCL, else where Debian's environment-modules and a
// source install put it. Debian's lmod and environment-modules conflict,
// so CI installs lmod and unpacks environment-modules' .deb beside it
// (see .ci/run); modulecmd.tcl needs nothing but tclsh.
func modulecmdTcl() string {
	cands := []string{os.Getenv("ENVLOCK_MODULECMD_TCL"), "/usr/share/modules/libexec/modulecmd.tcl", "/usr/lib/x86_64-linux-gnu/modulecmd.tcl", "/usr/lib/aarch64-linux-gnu/modulecmd.tcl", "/usr/lib/modulecmd.tcl"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	return ""
}

// A loader is a module system set up in bash.
type loader struct {
	name    string
	setup   string // bash lines that define the module function
	formats []Format
	missing string // why this machine lacks it, and how to get it; "" when present
}

// loaders returns both module systems, present or not: a subtest for a
// missing one goes through need, so that it is reported (and fails under
// ENVLOCK_TEST_STRICT=1) rather than silently dropped.
func loaders() []loader {
	lmod := loader{name: "lmod", setup: ". " + lmodInit, formats: []Format{Lua, Tcl}}
	if _, err := os.Stat(lmodInit); err != nil {
		lmod.missing = "no " + lmodInit + "; apt-get install lmod"
	}
	em := loader{name: "environment-modules", formats: []Format{Tcl}}
	if mc := modulecmdTcl(); mc == "" {
		em.missing = "no modulecmd.tcl; .ci/run unpacks environment-modules and sets $ENVLOCK_MODULECMD_TCL (or apt-get install environment-modules)"
	} else if _, err := exec.LookPath("tclsh"); err != nil {
		em.missing = "modulecmd.tcl needs tclsh; apt-get install tcl"
	} else {
		em.setup = `module() { eval "$(tclsh '` + mc + `' bash "$@")"; }`
	}
	return []loader{lmod, em}
}

// need stops t when l is missing on this machine (a skip, or a failure
// under ENVLOCK_TEST_STRICT=1).
func (l loader) need(t *testing.T) {
	t.Helper()
	if l.missing != "" {
		testenv.Missing(t, l.name, l.missing)
	}
}

// nasty is a value that needs quoting in every language involved.
const nasty = `a "b" $HOME [x] {y} \ 'z' ]] ;`

// moduleTree writes modulefiles for two environments, demo/1.0 and
// other/2.0, under root/modules and returns that directory and the
// environments' prefixes.
func moduleTree(t *testing.T, root string, f Format) (mods, a, b string) {
	t.Helper()
	mods = filepath.Join(root, "modules")
	a = filepath.Join(root, "envs", "demo")
	b = filepath.Join(root, "envs", "other")
	mkEnv(t, a, "demo", map[string]string{"GREETING": "hi there", "NASTY": nasty})
	mkEnv(t, b, "other", map[string]string{"GREETING": "other"})
	for _, e := range []struct{ prefix, name, version string }{{a, "demo", "1.0"}, {b, "other", "2.0"}} {
		mf, err := For(e.prefix, e.name, e.version, f)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(mods, mf.Path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, mf.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return mods, a, b
}

// runBash runs script with the loader's module function and the
// modulefiles' directory on MODULEPATH, in a clean home.
func runBash(t *testing.T, l loader, root, mods, script string) string {
	t.Helper()
	home := filepath.Join(root, "home")
	os.MkdirAll(home, 0o755)
	cmd := exec.Command("bash", "-c", l.setup+"\nmodule use "+mods+"\n"+script)
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "LMOD") || strings.HasPrefix(k, "MODULE") || strings.HasPrefix(k, "__LMOD") || strings.HasPrefix(k, "_LM") || k == "LOADEDMODULES" || k == "HOME" || k == "CONDA_PREFIX" || k == "BASH_ENV" {
			continue
		}
		if k == "PATH" {
			kv = "PATH=" + dedup(kv[len("PATH="):])
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "HOME="+home, "MODULEPATH=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", l.name, err, out)
	}
	return string(out)
}

// TestLoad loads a modulefile with each module system found: the tool in
// the environment is found, the variables are set (byte for byte, even
// one that needs quoting), and unloading restores PATH and unsets them.
func TestLoad(t *testing.T) {
	for _, l := range loaders() {
		for _, f := range l.formats {
			t.Run(l.name+"/"+string(f), func(t *testing.T) {
				l.need(t)
				root := t.TempDir()
				mods, a, _ := moduleTree(t, root, f)
				out := runBash(t, l, root, mods, `
before="$PATH"
module load demo/1.0
echo "tool=$(command -v greet)"
echo "run=$(greet)"
echo "GREETING=$GREETING"
echo "CONDA_PREFIX=$CONDA_PREFIX"
printf 'NASTY=%s\n' "$NASTY"
module unload demo
[ "$PATH" = "$before" ] && echo "PATH restored"
command -v greet >/dev/null || echo "greet gone"
[ -z "${GREETING+x}${CONDA_PREFIX+x}${NASTY+x}" ] && echo "variables unset"
`)
				t.Logf("%s loading %s:\n%s", l.name, f, out)
				for _, want := range []string{
					"tool=" + filepath.Join(a, "bin", "greet"),
					"run=hello from demo",
					"GREETING=hi there",
					"CONDA_PREFIX=" + a,
					"NASTY=" + nasty,
					"PATH restored",
					"greet gone",
					"variables unset",
				} {
					if !strings.Contains(out, want+"\n") {
						t.Errorf("output lacks %q", want)
					}
				}
			})
		}
	}
}

// TestFamily loads a second environment's module over the first: the
// two are never loaded together (Lmod swaps them; Environment Modules
// refuses or swaps, depending on its version and settings).
func TestFamily(t *testing.T) {
	for _, l := range loaders() {
		for _, f := range l.formats {
			t.Run(l.name+"/"+string(f), func(t *testing.T) {
				l.need(t)
				root := t.TempDir()
				mods, a, b := moduleTree(t, root, f)
				out := runBash(t, l, root, mods, `
module load demo/1.0
module load other/2.0 2>&1 || true
case ":$PATH:" in *":`+a+`/bin:"*) echo "demo on PATH";; esac
case ":$PATH:" in *":`+b+`/bin:"*) echo "other on PATH";; esac
echo "GREETING=$GREETING"
`)
				t.Logf("%s, two environments with %s modulefiles:\n%s", l.name, f, out)
				if strings.Contains(out, "demo on PATH") && strings.Contains(out, "other on PATH") {
					t.Errorf("both environments are on PATH")
				}
				if !strings.Contains(out, "demo on PATH") && !strings.Contains(out, "other on PATH") {
					t.Errorf("neither environment is on PATH")
				}
				if strings.Contains(out, "other on PATH") != strings.Contains(out, "GREETING=other\n") {
					t.Errorf("PATH and variables belong to different environments")
				}
			})
		}
	}
}

// dedup drops repeated entries of a PATH: Lmod removes them whenever it
// changes PATH, so a PATH with repeats would not come back byte for byte
// after a load and an unload, whatever the modulefile did.
func dedup(path string) string {
	var out []string
	seen := map[string]bool{}
	for _, d := range filepath.SplitList(path) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return strings.Join(out, string(os.PathListSeparator))
}
