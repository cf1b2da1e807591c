package wheel

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envlock/envlock/internal/wheelpkg"
)

// TestBytecodeLinked installs a wheel from its unpacked tree with
// Options.Bytecode naming .pyc files compiled in the tree: each is
// hard-linked beside its .py in the same pass and recorded in RECORD
// with the hash given (a .pyc the wheel ships at that path gives way);
// a .pyc named but missing from the tree, or named outside the .py's
// __pycache__, is left out for the caller to compile; a file said not
// to compile is mapped to "".
func TestBytecodeLinked(t *testing.T) {
	const sp = "lib/python3.11/site-packages"
	w := demo()
	w.Files = append(w.Files,
		wheelpkg.File{Path: "tinyfmt/__pycache__/cli.cpython-311.pyc", Data: []byte("shipped")},
		wheelpkg.File{Path: "tinyfmt/extra.py", Data: []byte("X = 1\n")},
		wheelpkg.File{Path: "tinyfmt/evil.py", Data: []byte("Y = 1\n")},
		wheelpkg.File{Path: "tinyfmt/py2.py", Data: []byte("print 'x'\n")},
	)
	archive := writeWheel(t, w)
	tree := filepath.Join(t.TempDir(), "tree")
	if err := Unpack(context.Background(), archive, tree, ".tmp-", 0, 0); err != nil {
		t.Fatal(err)
	}
	compiled := map[string]string{
		"tinyfmt/__pycache__/__init__.cpython-311.pyc": "init-pyc",
		"tinyfmt/__pycache__/cli.cpython-311.pyc":      "cli-pyc!",
		"tinyfmt/elsewhere.pyc":                        "evil-pyc",
	}
	for p, data := range compiled {
		if err := os.WriteFile(filepath.Join(tree, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	from, err := os.OpenRoot(tree)
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	stageDir := t.TempDir()
	stage, err := os.OpenRoot(stageDir)
	if err != nil {
		t.Fatal(err)
	}
	defer stage.Close()
	var asked []string
	bytecode := func(name string, size int64, mtime time.Time) (string, RecordEntry, bool) {
		asked = append(asked, name)
		if name == "tinyfmt/py2.py" {
			return "", RecordEntry{}, true // known not to compile
		}
		pyc := map[string]string{
			"tinyfmt/__init__.py": "tinyfmt/__pycache__/__init__.cpython-311.pyc",
			"tinyfmt/cli.py":      "tinyfmt/__pycache__/cli.cpython-311.pyc",
			"tinyfmt/extra.py":    "tinyfmt/__pycache__/extra.cpython-311.pyc", // not in the tree
			"tinyfmt/evil.py":     "tinyfmt/elsewhere.pyc",                     // not beside it
		}[name]
		if pyc == "" {
			return "", RecordEntry{}, false
		}
		return pyc, RecordEntry{Hash: Hash([]byte(compiled[pyc])), Size: int64(len(compiled[pyc]))}, true
	}
	res, err := Install(archive, Options{Stage: stage, Prefix: "/envs/p", SitePackages: sp, PythonVersion: "3.11", Unpacked: from, Bytecode: bytecode})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(asked)
	if want := []string{"tinyfmt/__init__.py", "tinyfmt/cli.py", "tinyfmt/evil.py", "tinyfmt/extra.py", "tinyfmt/py2.py"}; !slices.Equal(asked, want) {
		t.Errorf("asked for %v, want %v", asked, want)
	}
	wantCompiled := map[string]string{
		sp + "/tinyfmt/__init__.py": sp + "/tinyfmt/__pycache__/__init__.cpython-311.pyc",
		sp + "/tinyfmt/cli.py":      sp + "/tinyfmt/__pycache__/cli.cpython-311.pyc",
	}
	if pyc, ok := res.Compiled[sp+"/tinyfmt/py2.py"]; !ok || pyc != "" {
		t.Errorf("Compiled[py2.py] = %q, %v; want \"\" (known not to compile)", pyc, ok)
	}
	delete(res.Compiled, sp+"/tinyfmt/py2.py")
	if len(res.Compiled) != len(wantCompiled) {
		t.Errorf("Compiled = %v, want %v", res.Compiled, wantCompiled)
	}
	for py, pyc := range wantCompiled {
		if res.Compiled[py] != pyc {
			t.Errorf("Compiled[%s] = %q, want %q", py, res.Compiled[py], pyc)
		}
		if !slices.Contains(res.Files, pyc) {
			t.Errorf("Files lacks %s", pyc)
		}
		a, err1 := os.Stat(filepath.Join(stageDir, pyc))
		b, err2 := os.Stat(filepath.Join(tree, res.Sources[pyc]))
		if err1 != nil || err2 != nil || !os.SameFile(a, b) || a.Sys().(*syscall.Stat_t).Nlink != 2 {
			t.Errorf("%s is not a hard link of the tree's %s (%v, %v)", pyc, res.Sources[pyc], err1, err2)
		}
	}
	for _, p := range []string{"tinyfmt/__pycache__/extra.cpython-311.pyc", "tinyfmt/elsewhere.pyc"} {
		if _, err := os.Lstat(filepath.Join(stageDir, sp, p)); err == nil {
			t.Errorf("%s was installed", p)
		}
	}
	rec, err := os.ReadFile(filepath.Join(stageDir, sp, w.DistInfo(), "RECORD"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"tinyfmt/__pycache__/__init__.cpython-311.pyc," + Hash([]byte("init-pyc")) + ",8\n",
		"tinyfmt/__pycache__/cli.cpython-311.pyc," + Hash([]byte("cli-pyc!")) + ",8\n",
	} {
		if strings.Count(string(rec), want) != 1 {
			t.Errorf("RECORD does not list %q once:\n%s", want, rec)
		}
	}
	for _, bad := range []string{Hash([]byte("shipped")), "extra.cpython-311.pyc", "elsewhere.pyc"} {
		if strings.Contains(string(rec), bad) {
			t.Errorf("RECORD lists %s:\n%s", bad, rec)
		}
	}
}
