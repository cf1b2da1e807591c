// Package condaindex runs the real conda-index (the tool that writes
// conda-forge's and Anaconda's repodata) on channels tests build, so
// envlock's readers are checked against what channels actually serve:
// repodata.json and CEP-16 shards (--write-shards).
//
// conda-index comes from the conda peer .ci/run builds with
// ../shared/peers/conda-setup.sh, found through $ENVLOCK_CONDA_PEER (the
// peer's directory, holding bin/python) or at
// ${XDG_CACHE_HOME:-~/.cache}/envlock-ci/conda. Tests without it go
// through testenv.Missing.
package condaindex

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/condatest"
	"github.com/envlock/envlock/internal/testenv"
)

// Python returns the peer's python with conda_index importable, or calls
// testenv.Missing. The peer is condatest's (one conda installation holds
// conda, conda-index and conda-pack).
func Python(t testing.TB) string {
	t.Helper()
	dir := condatest.Root()
	py := filepath.Join(dir, "bin", "python")
	how := "bash ../shared/peers/conda-setup.sh ~/.cache/envlock-ci/conda, as .ci/run does, or set " + condatest.PeerEnv
	if _, err := os.Stat(py); err != nil {
		testenv.Missing(t, "conda-index (the conda peer at "+dir+")", how)
	}
	if out, err := exec.Command(py, "-c", "import conda_index").CombinedOutput(); err != nil {
		testenv.Missing(t, "conda-index (the conda peer at "+dir+")", how+": "+strings.TrimSpace(string(out)))
	}
	return py
}

// Run indexes the channel directory dir with conda-index and the given
// extra arguments (e.g. "--write-shards", "--no-write-monolithic"). Each
// subdir must already exist (with its packages). It fails the test when
// conda-index fails.
func Run(t testing.TB, dir string, args ...string) {
	t.Helper()
	py := Python(t)
	cmd := exec.Command(py, append(append([]string{"-m", "conda_index"}, args...), dir)...)
	cmd.Env = append(os.Environ(), "PYTHONWARNINGS=ignore")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("conda-index %s %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
}
