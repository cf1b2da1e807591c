package kernel

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/testenv"
)

// The kernel tests use Debian's Python and Jupyter, not whatever python3
// comes first on PATH (often a pyenv one without ipykernel).
const (
	systemPython  = "/usr/bin/python3"
	systemJupyter = "/usr/bin/jupyter"
)

// needJupyter stops the test through testenv unless Debian's
// jupyter-client, jupyter-core and python3-ipykernel are installed.
func needJupyter(t *testing.T) {
	t.Helper()
	const how = "apt-get install jupyter-client jupyter-core python3-ipykernel"
	if _, err := os.Stat(systemJupyter); err != nil {
		testenv.Missing(t, "Debian's Jupyter ("+systemJupyter+")", how)
	}
	if out, err := exec.Command(systemPython, "-c", "import ipykernel, jupyter_client").CombinedOutput(); err != nil {
		testenv.Missing(t, "ipykernel and jupyter_client for "+systemPython, how+": "+strings.TrimSpace(string(out)))
	}
}

// jupyterEnv is a process environment in which Jupyter reads and writes
// only under root.
func jupyterEnv(root string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JUPYTER") && !strings.HasPrefix(kv, "IPYTHONDIR=") {
			env = append(env, kv)
		}
	}
	return append(env,
		"JUPYTER_DATA_DIR="+filepath.Join(root, "data"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(root, "config"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(root, "runtime"),
		"IPYTHONDIR="+filepath.Join(root, "ipython"),
		"JUPYTER_PLATFORM_DIRS=0",
	)
}

// TestJupyterKernelspecList installs a kernel where $JUPYTER_DATA_DIR
// says and checks that "jupyter kernelspec list --json" sees it with its
// argv and env.
func TestJupyterKernelspecList(t *testing.T) {
	needJupyter(t)
	root := t.TempDir()
	prefix := filepath.Join(root, "envs", "demo")
	mkEnv(t, prefix, env{packages: []string{ipykernel}, python: systemPython, logos: true})
	k, err := For(prefix, Options{DisplayName: "Demo (envlock)"})
	if err != nil {
		t.Fatal(err)
	}
	environ := jupyterEnv(root)
	if _, err := k.Install(KernelsDir(filepath.Join(root, "data")), false); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(systemJupyter, "kernelspec", "list", "--json")
	cmd.Env = environ
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jupyter kernelspec list: %v\n%s", err, stderrOf(err))
	}
	var list struct {
		Kernelspecs map[string]struct {
			ResourceDir string `json:"resource_dir"`
			Spec        struct {
				Argv        []string          `json:"argv"`
				DisplayName string            `json:"display_name"`
				Language    string            `json:"language"`
				Env         map[string]string `json:"env"`
				Metadata    map[string]any    `json:"metadata"`
			} `json:"spec"`
		} `json:"kernelspecs"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("jupyter's output: %v\n%s", err, out)
	}
	got, ok := list.Kernelspecs["demo"]
	if !ok {
		t.Fatalf("jupyter kernelspec list does not list demo:\n%s", out)
	}
	t.Logf("jupyter kernelspec list --json: demo at %s, argv %q", got.ResourceDir, got.Spec.Argv)
	if got.ResourceDir != filepath.Join(root, "data", "kernels", "demo") {
		t.Errorf("resource_dir %s", got.ResourceDir)
	}
	wantArgv := []string{filepath.Join(prefix, "bin", "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"}
	if diff := cmp.Diff(wantArgv, got.Spec.Argv); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
	wantEnv := map[string]string{
		"CONDA_PREFIX": prefix, "GREETING": "hi there", "OMP_NUM_THREADS": "1",
		"PATH": filepath.Join(prefix, "bin") + ":${PATH}",
	}
	if diff := cmp.Diff(wantEnv, got.Spec.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if got.Spec.DisplayName != "Demo (envlock)" || got.Spec.Language != "python" {
		t.Errorf("display_name %q, language %q", got.Spec.DisplayName, got.Spec.Language)
	}
	if e, _ := got.Spec.Metadata["envlock"].(map[string]any); e["prefix"] != prefix || e["lock"] != "/projects/demo/env.lock" {
		t.Errorf("metadata %v", got.Spec.Metadata)
	}
}

// kernelClient starts a kernel by name through jupyter_client, runs each
// line of code given on stdin as one cell, and prints each cell's
// text/plain result on its own line.
const kernelClient = `
import sys
from jupyter_client.manager import start_new_kernel

km, kc = start_new_kernel(kernel_name=sys.argv[1], startup_timeout=60)
try:
    for code in sys.stdin.read().splitlines():
        msg_id = kc.execute(code)
        result = None
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "execute_result":
                result = msg["content"]["data"]["text/plain"]
            elif kind == "error":
                sys.exit("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        print(result)
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
`

// TestJupyterRunKernel starts the installed kernel through jupyter_client
// and runs cells in it: 1+1 gives 2, and the kernel sees the
// environment's variables, CONDA_PREFIX and bin/ first on PATH.
func TestJupyterRunKernel(t *testing.T) {
	needJupyter(t)
	root := t.TempDir()
	prefix := filepath.Join(root, "envs", "demo")
	mkEnv(t, prefix, env{packages: []string{ipykernel}, python: systemPython})
	k, err := For(prefix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Install(KernelsDir(filepath.Join(root, "data")), false); err != nil {
		t.Fatal(err)
	}
	got := runCells(t, root, "demo",
		"1+1",
		"import os; os.environ['GREETING']",
		"os.environ['CONDA_PREFIX']",
		"os.environ['PATH'].split(os.pathsep)[0]",
		"os.pathsep.join(os.environ['PATH'].split(os.pathsep)[1:]) == "+pyString(os.Getenv("PATH")),
	)
	want := []string{"2", "'hi there'", pyString(prefix), pyString(filepath.Join(prefix, "bin")), "True"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cell results (-want +got):\n%s", diff)
	}
}

// runCells runs the cells in kernel name with Debian's jupyter_client.
func runCells(t *testing.T, root, name string, cells ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, systemPython, "-c", kernelClient, name)
	cmd.Env = jupyterEnv(root)
	cmd.Stdin = strings.NewReader(strings.Join(cells, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running cells through jupyter_client: %v\n%s", err, stderrOf(err))
	}
	t.Logf("kernel %s answered:\n%s", name, out)
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// pyString quotes s as Python's repr of a str does, for plain strings.
func pyString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `'`, `\'`) + "'"
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
