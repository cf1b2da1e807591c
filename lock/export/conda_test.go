package export

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/condatest"
	"github.com/envlock/envlock/lock/lockfile"
)

// condaPeer returns real conda's launcher (internal/condatest finds the
// peer .ci/run builds and checks its version), or stops the test.
func condaPeer(t *testing.T) string {
	t.Helper()
	return filepath.Join(condatest.Find(t).Root, "bin", "conda")
}

// condaDryRun runs "conda env create --dry-run --json -f file" offline,
// with the classic solver and nothing from the machine's condarc, and
// returns conda's JSON answer and whether conda succeeded.
func condaDryRun(t *testing.T, conda, file string) ([]byte, bool) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(conda, "env", "create", "--dry-run", "--json", "-f", file, "-p", filepath.Join(dir, "env"))
	cmd.Env = append(os.Environ(),
		"CONDA_SOLVER=classic", "CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY=false", "CONDA_OFFLINE=true",
		"CONDARC="+filepath.Join(dir, "condarc"), "CONDA_PKGS_DIRS="+filepath.Join(dir, "pkgs"),
		"CONDA_SUBDIR=linux-64", "CONDA_OVERRIDE_GLIBC=2.28", "HOME="+dir)
	out, err := cmd.Output()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running conda: %v", err)
		}
		return out, false
	}
	return out, true
}

// TestEnvironmentYMLConda has real conda read envlock's environment.yml
// export back: "conda env create --dry-run" on the quickstart lock's
// linux-64 export, offline against the quickstart's local channel, must
// plan to link exactly the locked packages (name, version, build, from
// the locked channel). One tampered pin must make conda refuse, so the
// agreement is conda honouring the pins, not conda solving freely.
func TestEnvironmentYMLConda(t *testing.T) {
	conda := condaPeer(t)
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "quickstart"))
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := lockfile.Read(filepath.Join(dir, "env.lock"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := EnvironmentYML(l, "linux-64", dir)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "environment.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, ok := condaDryRun(t, conda, file)
	if !ok {
		t.Fatalf("conda rejects envlock's environment.yml:\n%s\n%s", data, out)
	}
	var plan struct {
		Actions struct {
			Link []struct {
				Name, Version string
				Build         string `json:"build_string"`
				BaseURL       string `json:"base_url"`
				Platform      string
			} `json:"LINK"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(out, &plan); err != nil {
		t.Fatalf("conda's answer: %v\n%s", err, out)
	}
	var got, want []string
	for _, p := range plan.Actions.Link {
		got = append(got, p.Name+" "+p.Version+" "+p.Build+" "+p.BaseURL+"/"+p.Platform)
	}
	for _, pk := range l.Platform("linux-64").Packages {
		u, err := AbsURL(pk.Channel, dir)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, pk.Name+" "+pk.Version+" "+pk.Build+" "+strings.TrimSuffix(u, "/")+"/"+pk.Subdir)
	}
	slices.Sort(got)
	slices.Sort(want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("conda would link other packages than the lock's (-lock +conda):\n%s", d)
	}

	// A pin conda cannot meet: conda must refuse and name it.
	p := l.Platform("linux-64").Packages[0]
	pin := p.Name + "=" + p.Version + "=" + p.Build
	bad := strings.Replace(string(data), pin, p.Name+"="+p.Version+"=nosuchbuild_0", 1)
	if bad == string(data) {
		t.Fatalf("the export has no line %q", pin)
	}
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, ok = condaDryRun(t, conda, file)
	if ok || !strings.Contains(string(out), "PackagesNotFound") || !strings.Contains(string(out), "nosuchbuild_0") {
		t.Errorf("conda accepts a pin to a build the channel lacks (success %v):\n%s", ok, out)
	}
}
