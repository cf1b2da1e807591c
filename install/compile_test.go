package install

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/install/wheel"
	"github.com/envlock/envlock/internal/testenv"
)

// TestCompileNotesFailures compiles a wheel's tree in the package cache
// (under its entry's lock) with a python: the .py that compiles gets its
// .pyc noted in the tree's index, the Python 2 one is noted as not
// compiling; an install that then finds both known (the wheel's pass
// linked one, the index said the other does not compile) needs no
// python at all.
func TestCompileNotesFailures(t *testing.T) {
	py := testenv.Tool(t, "python3", "apt-get install python3")
	out, err := exec.Command(py, "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		t.Fatal(err)
	}
	pyver := strings.TrimSpace(string(out))
	tag := cacheTag(pyver)
	sp := "lib/python" + pyver + "/site-packages"

	c, err := cache.Open([]string{filepath.Join(t.TempDir(), "pkgs")}, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(c.Writable(), "oddball-1.0-py3-none-any")
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	files := map[string]string{
		"oddball/__init__.py":          "ANSWER = 42\n",
		"oddball/py2.py":               "print 'hello'\n",
		"oddball-1.0.dist-info/RECORD": "",
	}
	stageDir := t.TempDir()
	res := &wheel.Result{Name: "oddball", Version: "1.0", DistInfo: sp + "/oddball-1.0.dist-info", Sources: map[string]string{}}
	for name, data := range files {
		for _, p := range []string{filepath.Join(tree, name), filepath.Join(stageDir, sp, name)} {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
		res.Files = append(res.Files, sp+"/"+name)
		res.Sources[sp+"/"+name] = name
	}
	if err := os.MkdirAll(filepath.Join(stageDir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(py, filepath.Join(stageDir, "bin", "python")); err != nil {
		t.Fatal(err)
	}
	stage, err := os.OpenRoot(stageDir)
	if err != nil {
		t.Fatal(err)
	}
	defer stage.Close()
	r := &Result{}
	if err := compileStage(context.Background(), stage, stageDir, "/envs/odd", pyver, nil, nil, []wheelTree{{Result: res, Dir: tree, Cache: c}}, r); err != nil {
		t.Fatal(err)
	}
	if r.Compiled != 1 {
		t.Errorf("compiled %d, want 1", r.Compiled)
	}
	initPyc := sp + "/oddball/__pycache__/__init__." + tag + ".pyc"
	if _, err := os.Stat(filepath.Join(stageDir, initPyc)); err != nil {
		t.Errorf("the stage lacks %s: %v", initPyc, err)
	}
	root, err := os.OpenRoot(tree)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ix := loadPycIndex(root)
	pyc, e, ok := ix.lookup(tag, "oddball/__init__.py", int64(len(files["oddball/__init__.py"])), mtime)
	if !ok || pyc != "oddball/__pycache__/__init__."+tag+".pyc" || e.Hash == "" {
		t.Errorf("index for __init__.py: %q %+v %v", pyc, e, ok)
	}
	if pyc, _, ok := ix.lookup(tag, "oddball/py2.py", int64(len(files["oddball/py2.py"])), mtime); !ok || pyc != "" {
		t.Errorf("index for py2.py: %q %v, want noted as not compiling", pyc, ok)
	}
	if _, _, ok := ix.lookup(tag, "oddball/py2.py", int64(len(files["oddball/py2.py"]))+1, mtime); ok {
		t.Errorf("index for an edited py2.py: still noted")
	}

	// The next install: both known, and no python to run.
	if err := os.Remove(filepath.Join(stageDir, "bin", "python")); err != nil {
		t.Fatal(err)
	}
	res.Compiled = map[string]string{sp + "/oddball/__init__.py": initPyc, sp + "/oddball/py2.py": ""}
	r = &Result{}
	if err := compileStage(context.Background(), stage, stageDir, "/envs/odd", pyver, nil, nil, []wheelTree{{Result: res, Dir: tree, Cache: c}}, r); err != nil {
		t.Fatalf("a warm install's compile step: %v", err)
	}
	if r.Compiled != 1 {
		t.Errorf("compiled %d, want 1 (linked by the wheel's pass)", r.Compiled)
	}
}
