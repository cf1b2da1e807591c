package install_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/install/link"
	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/locktest"
	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/verify"
)

// TestShippedPycStaysValid installs a package holding a .py and the .pyc
// the machine's python3 compiled from it (which records the source's
// mtime and size), then imports it with bytecode writing on: the archive's
// mtimes were kept, so Python takes the shipped .pyc as it is and verify
// stays clean. Hard links and copies alike.
func TestShippedPycStaysValid(t *testing.T) {
	py := testenv.Tool(t, "python3", "apt-get install python3")
	src := t.TempDir()
	mtime := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	code := []byte("ANSWER = 42\n")
	if err := os.WriteFile(filepath.Join(src, "shipped.py"), code, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(src, "shipped.py"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `import importlib.util, py_compile, sys
c = importlib.util.cache_from_source(sys.argv[1])
py_compile.compile(sys.argv[1], cfile=c, doraise=True)
print(c)`, filepath.Join(src, "shipped.py")).Output()
	if err != nil {
		t.Fatalf("compiling with %s: %v", py, err)
	}
	pycPath := strings.TrimSpace(string(out))
	pyc, err := os.ReadFile(pycPath)
	if err != nil {
		t.Fatal(err)
	}
	pycRel := "lib/pyshipped/__pycache__/" + filepath.Base(pycPath)
	pkg := &condapkg.Package{Name: "shipped", Version: "1.0", Build: "0", Files: []condapkg.File{
		{Path: "lib/pyshipped/shipped.py", Data: code, ModTime: mtime},
		{Path: pycRel, Data: pyc, ModTime: mtime.Add(time.Minute)},
	}}
	ch := filepath.Join(t.TempDir(), "channel")
	if err := condapkg.WriteChannel(ch, []*condapkg.Package{pkg}, nil); err != nil {
		t.Fatal(err)
	}
	l, data := locktest.Channel(t, ch, nil)
	pkgs := t.TempDir()
	for _, mode := range []link.Mode{link.Auto, link.Copy} {
		t.Run("mode="+string(mode), func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "env")
			if _, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, Platform: "linux-64",
				Prefix: prefix, Fetcher: locktest.Fetcher(t, pkgs), Link: mode}); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(filepath.Join(prefix, "lib/pyshipped/shipped.py"))
			if err != nil {
				t.Fatal(err)
			}
			if !fi.ModTime().Equal(mtime) {
				t.Errorf("shipped.py mtime = %v, want the archive's %v", fi.ModTime(), mtime)
			}
			cmd := exec.Command(py, "-c", "import shipped; print(shipped.ANSWER)")
			cmd.Env = append(filterEnv(os.Environ(), "PYTHONDONTWRITEBYTECODE"), "PYTHONPATH="+filepath.Join(prefix, "lib/pyshipped"))
			if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "42" {
				t.Fatalf("import: %v: %s", err, out)
			}
			got, err := os.ReadFile(filepath.Join(prefix, pycRel))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, pyc) {
				t.Errorf("python rewrote the shipped %s: it took it as stale", pycRel)
			}
			r, err := verify.Prefix(context.Background(), verify.Options{Prefix: prefix, Lock: l, LockData: data, Platform: "linux-64"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != verify.StatusClean {
				t.Errorf("verify after import: %s\n%s", r.Status, reportJSON(r))
			}
		})
	}
}

func filterEnv(env []string, name string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

// TestNoarchCompiled installs the demo's noarch python package: its .py
// files are byte-compiled with the environment's python, listed in its
// conda-meta record as pyc_file with their hashes, clean to verify, and
// an edited .pyc is reported. NoCompile writes none.
func TestNoarchCompiled(t *testing.T) {
	testenv.Tool(t, "python3", "apt-get install python3") // the demo's bin/python runs it
	base, l, data := demoProject(t)
	prefix := filepath.Join(base, "envs", "demo")
	envlockInstall(t, base, l, data, prefix)
	pyc := "lib/python3.11/site-packages/greetpy/__pycache__/cli.cpython-311.pyc"
	b, err := os.ReadFile(filepath.Join(prefix, pyc))
	if err != nil {
		t.Fatalf("not compiled: %v", err)
	}
	sum := sha256.Sum256(b)
	recs, _ := filepath.Glob(filepath.Join(prefix, "conda-meta", "greet-py-*.json"))
	if len(recs) != 1 {
		t.Fatalf("conda-meta records of greet-py: %v", recs)
	}
	rec, err := os.ReadFile(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Files     []string `json:"files"`
		PathsData struct {
			Paths []struct {
				Path   string `json:"_path"`
				Type   string `json:"path_type"`
				SHA256 string `json:"sha256"`
				Size   int64  `json:"size_in_bytes"`
			} `json:"paths"`
		} `json:"paths_data"`
	}
	if err := json.Unmarshal(rec, &r); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(r.Files, pyc) {
		t.Errorf("files does not list %s: %v", pyc, r.Files)
	}
	found := false
	for _, p := range r.PathsData.Paths {
		if p.Path == pyc {
			found = true
			if p.Type != "pyc_file" || p.SHA256 != hex.EncodeToString(sum[:]) || p.Size != int64(len(b)) {
				t.Errorf("paths_data entry of %s = %+v, want pyc_file, sha256 %x, size %d", pyc, p, sum, len(b))
			}
		}
	}
	if !found {
		t.Errorf("paths_data does not list %s", pyc)
	}
	if rep := checkPrefix(t, prefix, l, data); rep.Status != verify.StatusClean {
		t.Fatalf("verify after install:\n%s", reportJSON(rep))
	}
	if err := os.WriteFile(filepath.Join(prefix, pyc), append(b, 'x'), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := checkPrefix(t, prefix, l, data)
	if rep.Status != verify.StatusDrift || len(rep.Files.Issues) != 1 || rep.Files.Issues[0].Path != pyc || rep.Files.Issues[0].Kind != verify.FileModified {
		t.Errorf("verify after editing %s:\n%s", pyc, reportJSON(rep))
	}

	other := filepath.Join(base, "envs", "nocompile")
	f := locktest.Fetcher(t, filepath.Join(base, "pkgs"))
	f.BaseDir = base
	if _, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: other, Fetcher: f, NoCompile: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(other, pyc)); err == nil {
		t.Errorf("NoCompile wrote %s", pyc)
	}
}
