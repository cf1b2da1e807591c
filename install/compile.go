package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/envlock/envlock/install/wheel"
)

// compileScript byte-compiles the NUL-separated .py paths (relative to
// the staging directory, argv[1]) it reads on stdin, in parallel as
// compileall -j does, each with the name it will have in the prefix
// (argv[2]) for tracebacks, and timestamp-checked .pyc files whatever
// SOURCE_DATE_EPOCH says (the archive's mtimes are kept, so the
// timestamps hold). It prints "py\0pyc\0" for each file compiled; a file
// that does not compile (Python 2 code in a test directory, say) is
// skipped, as pip and conda skip it.
const compileScript = `
import compileall, importlib.util, os, py_compile, sys
stage, prefix = sys.argv[1], sys.argv[2]
rels = [r for r in sys.stdin.buffer.read().decode("utf-8", "surrogateescape").split("\0") if r]
fulls = [os.path.join(stage, r) for r in rels]
ddirs = [os.path.join(prefix, os.path.dirname(r)) for r in rels]
n = len(rels)
mode = py_compile.PycInvalidationMode.TIMESTAMP
args = (fulls, ddirs, [False] * n, [None] * n, [2] * n, [False] * n, [-1] * n, [mode] * n)
try:
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as ex:
        oks = list(ex.map(compileall.compile_file, *args, chunksize=max(1, n // (4 * (os.cpu_count() or 1)))))
except (ImportError, NotImplementedError, OSError):
    oks = list(map(compileall.compile_file, *args))
out = sys.stdout.buffer
for r, ok in zip(rels, oks):
    if ok:
        pyc = os.path.relpath(importlib.util.cache_from_source(os.path.join(stage, r)), stage)
        out.write((r + "\0" + pyc + "\0").encode("utf-8", "surrogateescape"))
`

// byteCompile compiles the .py files (relative to the prefix) in the
// staging directory stageDir with the environment's own python, before
// the swap, so that the .pyc files are in the records and verify checks
// them. It returns each compiled file's .pyc, relative to the prefix.
func byteCompile(ctx context.Context, stageDir, prefix string, files []string) (map[string]string, error) {
	py := filepath.Join(stageDir, "bin", "python")
	if fi, err := os.Stat(py); err != nil || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("the environment has no bin/python to compile with")
	}
	var in bytes.Buffer
	for _, f := range files {
		in.WriteString(f)
		in.WriteByte(0)
	}
	cmd := exec.CommandContext(ctx, py, "-Wi", "-E", "-s", "-c", compileScript, stageDir, prefix)
	cmd.Stdin = &in
	cmd.Dir = stageDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", filepath.Join(prefix, "bin", "python"), err, strings.TrimSpace(lastLines(stderr.String(), 5)))
	}
	want := make(map[string]bool, len(files))
	for _, f := range files {
		want[f] = true
	}
	got := map[string]string{}
	parts := strings.Split(string(out), "\x00")
	for i := 0; i+1 < len(parts); i += 2 {
		src, pyc := parts[i], filepath.ToSlash(parts[i+1])
		// Only what was asked for, and only a __pycache__ file beside
		// it: the script's output is not trusted to name other paths.
		if !want[src] || path.Dir(pyc) != path.Join(path.Dir(src), "__pycache__") || !strings.HasSuffix(pyc, ".pyc") {
			continue
		}
		got[src] = pyc
	}
	return got, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// compileStage byte-compiles the noarch packages' and the wheels' .py
// files in the stage and records the .pyc files: in the packages'
// conda-meta records (pyc_file) and the wheels' RECORD.
func compileStage(ctx context.Context, stage *os.Root, stageDir, prefix string, noarchPy []string, owner map[string]*PackageRecord, wheels []*wheel.Result, res *Result) error {
	// A wheel's file replaces a package's of the same path, and the
	// last wheel to write a path owns it.
	wheelOf := map[string]*wheel.Result{}
	for _, w := range wheels {
		for _, f := range w.Files {
			if strings.HasSuffix(f, ".py") {
				wheelOf[f] = w
			}
		}
	}
	var files []string
	seen := map[string]bool{}
	for _, f := range noarchPy {
		if !seen[f] && wheelOf[f] == nil {
			seen[f] = true
			files = append(files, f)
		}
	}
	for _, w := range wheels {
		for _, f := range w.Files {
			if wheelOf[f] == w && !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	if len(files) == 0 {
		return nil
	}
	pycs, err := byteCompile(ctx, stageDir, prefix, files)
	if err != nil {
		return err
	}
	byWheel := map[*wheel.Result][]string{}
	for _, src := range files {
		pyc, ok := pycs[src]
		if !ok {
			continue
		}
		if w := wheelOf[src]; w != nil {
			byWheel[w] = append(byWheel[w], pyc)
			continue
		}
		rec := owner[src]
		if rec == nil {
			continue
		}
		sum, size, err := hashIn(stage, pyc)
		if err != nil {
			return err
		}
		rec.Pyc = append(rec.Pyc, CompiledFile{Path: pyc, SHA256: sum, Size: size})
		res.Compiled++
		res.Files++
	}
	for _, w := range wheels {
		if err := wheel.AddCompiled(stage, w.DistInfo, byWheel[w]); err != nil {
			return fmt.Errorf("wheel %s %s: %w", w.Name, w.Version, err)
		}
		res.Compiled += len(byWheel[w])
		res.Files += len(byWheel[w])
	}
	return nil
}

// hashIn hashes a regular file of the stage, not following a link.
func hashIn(stage *os.Root, name string) (string, int64, error) {
	fi, err := stage.Lstat(name)
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s: not a regular file", name)
	}
	f, err := stage.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
