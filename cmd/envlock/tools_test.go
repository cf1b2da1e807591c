package main

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/internal/testenv"
)

// Paths of the Debian tools the kernel and module scenarios use. The
// kernel runs on Debian's Python, which python3-ipykernel serves, not on
// whatever python3 comes first on PATH.
const (
	debianPython  = "/usr/bin/python3"
	debianJupyter = "/usr/bin/jupyter"
	lmodInit      = "/usr/share/lmod/lmod/init/bash"
)

// modulecmdTcl finds Environment Modules' modulecmd.tcl ("" when absent):
// $ENVLOCK_MODULECMD_TCL, else Debian's and a source install's places.
// Debian's lmod and environment-modules conflict; .ci/run installs lmod
// and unpacks environment-modules beside it.
func modulecmdTcl() string {
	for _, c := range []string{os.Getenv("ENVLOCK_MODULECMD_TCL"), "/usr/share/modules/libexec/modulecmd.tcl", "/usr/lib/x86_64-linux-gnu/modulecmd.tcl", "/usr/lib/aarch64-linux-gnu/modulecmd.tcl", "/usr/lib/modulecmd.tcl"} {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err == nil {
			if _, err := exec.LookPath("tclsh"); err == nil {
				return c
			}
		}
	}
	return ""
}

var hasJupyter = sync.OnceValue(func() bool {
	if _, err := os.Stat(debianJupyter); err != nil {
		return false
	}
	return exec.Command(debianPython, "-c", "import ipykernel, jupyter_client").Run() == nil
})

// sharedData is ../shared/data beside the module root ("" when absent).
func sharedData() string {
	root, err := testdata.ModuleRoot()
	if err != nil {
		return ""
	}
	d := filepath.Join(filepath.Dir(root), "shared", "data")
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

func onPath(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// A peer is something outside the module that a scenario needs: a tool
// or the real data. have says whether this machine has it; how says how
// to get it.
type peer struct {
	have func() bool
	how  string
}

// peers are the names the scripts' "need" command and conditions know.
var peers = map[string]peer{
	"python3":          {func() bool { return onPath("python3") }, "apt-get install python3"},
	"jupyter":          {hasJupyter, "apt-get install jupyter-client jupyter-core python3-ipykernel"},
	"lmod":             {func() bool { _, err := os.Stat(lmodInit); return err == nil }, "apt-get install lmod (" + lmodInit + ")"},
	"modulecmd":        {func() bool { return modulecmdTcl() != "" }, "Environment Modules' modulecmd.tcl and tclsh: .ci/run unpacks environment-modules and sets $ENVLOCK_MODULECMD_TCL"},
	"zsh":              {func() bool { return onPath("zsh") }, "apt-get install zsh"},
	"fish":             {func() bool { return onPath("fish") }, "apt-get install fish"},
	"tcsh":             {func() bool { return onPath("tcsh") }, "apt-get install tcsh"},
	"shared":           {func() bool { return sharedData() != "" }, "the real test data, ../shared/data beside the module root"},
	"gcc":              {func() bool { return onPath("gcc") }, "apt-get install gcc"},
	"strace":           {func() bool { return onPath("strace") }, "apt-get install strace"},
	"registry":         {ociPeer("registry"), "apt-get install docker-registry"},
	"oras":             {ociPeer("oras"), "oras v1.3.6: go install oras.land/oras/cmd/oras@v1.3.6, as .ci/run does"},
	"cosign2":          {ociPeer("cosign"), "cosign v2.6.5 in $XDG_CACHE_HOME/envlock-ci/bin or $ENVLOCK_COSIGN_V2, as .ci/run builds it"},
	"conda-oci-mirror": {ociPeer("conda-oci-mirror"), "conda-oci-mirror 0.3.0 in its venv ($ENVLOCK_CONDA_OCI_MIRROR_PYTHON), as .ci/run installs it"},
	"conda": {func() bool {
		_, err := os.Stat(filepath.Join(os.Getenv("ENVLOCK_CONDA_PEER"), "bin", "conda"))
		return err == nil
	}, "conda in $ENVLOCK_CONDA_PEER/bin, as ../shared/peers/conda-setup.sh builds it"},
	"realpython": {haveRealPython, "a CPython with its own prefix ($ENVLOCK_CPYTHON) and the real wheel fixture ($ENVLOCK_WHEELS_FIXTURE), as .ci/run provides"},
}

// peerMissing is the message for a peer this machine lacks.
func peerMissing(name string) string {
	return fmt.Sprintf("%s is not available (%s)", name, peers[name].how)
}

// toolCondition answers the scripts' conditions for outside tools and
// data, one per name in peers: [jupyter] Debian's jupyter with
// python3-ipykernel, [lmod] Lmod's bash setup, [modulecmd] Environment
// Modules' modulecmd.tcl and tclsh, [zsh] [fish] [tcsh] the shells,
// [python3], [shared] ../shared/data. A scenario may guard a part with
// one, but under ENVLOCK_TEST_STRICT=1 a missing peer fails the script
// instead of dropping that part.
func toolCondition(cond string) (bool, error) {
	switch cond {
	case "registry", "oras", "cosign", "conda-oci-mirror":
		return ociCondition(cond)
	}
	p, ok := peers[cond]
	if !ok {
		return realpythonCondition(cond)
	}
	if p.have() {
		return true, nil
	}
	if testenv.Strict() {
		return false, fmt.Errorf("%s; %s=1 requires it", peerMissing(cond), testenv.StrictEnv)
	}
	return false, nil
}

// needCmd implements "need NAME...": the script needs these peers (names
// as for the conditions). It skips the script, saying what is missing, or
// fails it under ENVLOCK_TEST_STRICT=1: "[!exists $SHARED] skip" would
// let evidence vanish from a green CI run.
func needCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: need NAME... (one of %s)", strings.Join(slices.Sorted(maps.Keys(peers)), ", "))
	}
	var missing []string
	for _, name := range args {
		p, ok := peers[name]
		if !ok {
			ts.Fatalf("need: unknown peer %q", name)
		}
		if !p.have() {
			missing = append(missing, peerMissing(name))
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := strings.Join(missing, "; ")
	if testenv.Strict() {
		ts.Fatalf("%s; %s=1 requires it", msg, testenv.StrictEnv)
	}
	ts.Value(scriptTKey{}).(testscript.T).Skip(msg)
}

// bareSkip matches a script line that skips by itself ("skip", "[cond]
// skip ...").
var bareSkip = regexp.MustCompile(`^(\[[^\]]*\]\s*)*skip(\s|$)`)

// TestScriptsSkipThroughNeed keeps every scenario's skip visible to
// strict mode: a script that needs a peer or ../shared says "need NAME"
// (or guards a part with a [NAME] condition), never "[!exists $SHARED]
// skip", which would pass CI without its evidence.
func TestScriptsSkipThroughNeed(t *testing.T) {
	files, err := filepath.Glob("testdata/script/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(a.Comment), "\n") {
			if bareSkip.MatchString(strings.TrimSpace(line)) {
				t.Errorf("%s:%d: %q skips by itself; use \"need NAME\" (see tools_test.go) so that ENVLOCK_TEST_STRICT=1 fails instead", f, i+1, line)
			}
		}
	}
}
