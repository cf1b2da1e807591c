package install_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
