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

	"github.com/envlock/envlock/internal/testenv"
)

// PeerEnv names the conda peer's directory.
const PeerEnv = "ENVLOCK_CONDA_PEER"

// Python returns the peer's python with conda_index importable, or calls
// testenv.Missing.
func Python(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(PeerEnv)
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			if home, err := os.UserHomeDir(); err == nil {
				cache = filepath.Join(home, ".cache")
			}
		}
		dir = filepath.Join(cache, "envlock-ci", "conda")
	}
	py := filepath.Join(dir, "bin", "python")
	how := "bash ../shared/peers/conda-setup.sh ~/.cache/envlock-ci/conda, as .ci/run does, or set " + PeerEnv
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
