package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/install/link"
	"github.com/envlock/envlock/install/wheel"
)

// compileScript byte-compiles the files named on stdin, "source\0ddir\0"
// each (absolute paths; an empty ddir keeps the source's own name in the
// code objects, which importlib replaces with the name it imports from),
// in parallel as compileall -j does, into timestamp-checked .pyc files
// whatever SOURCE_DATE_EPOCH says (the archive's mtimes are kept, so the
// timestamps hold). It prints "source\0pyc\0" for each file compiled
// (or already compiled and valid); a file that does not compile (Python
// 2 code in a test directory, say) is skipped, as pip and conda skip it.
const compileScript = `
import compileall, importlib.util, os, py_compile, sys
parts = sys.stdin.buffer.read().decode("utf-8", "surrogateescape").split("\0")
fulls, ddirs = parts[0:-1:2], [d or None for d in parts[1::2]]
n = len(fulls)
mode = py_compile.PycInvalidationMode.TIMESTAMP
args = (fulls, ddirs, [False] * n, [None] * n, [2] * n, [False] * n, [-1] * n, [mode] * n)
try:
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as ex:
        oks = list(ex.map(compileall.compile_file, *args, chunksize=max(1, n // (4 * (os.cpu_count() or 1)))))
except (ImportError, NotImplementedError, OSError):
    oks = list(map(compileall.compile_file, *args))
out = sys.stdout.buffer
for f, ok in zip(fulls, oks):
    if ok:
        out.write((f + "\0" + importlib.util.cache_from_source(f) + "\0").encode("utf-8", "surrogateescape"))
`

// A compileJob is one source to compile: its absolute path and the
// directory its code objects name ("" for its own).
type compileJob struct {
	src, ddir string
}

// byteCompile compiles the jobs with python, the environment's own (in
// the staging directory, before the swap, so that the .pyc files are in
// the records and verify checks them). It returns each compiled
// source's .pyc, an absolute path in the same directory's __pycache__.
func byteCompile(ctx context.Context, python, dir string, jobs []compileJob) (map[string]string, error) {
	if fi, err := os.Stat(python); err != nil || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("the environment has no bin/python to compile with")
	}
	var in bytes.Buffer
	want := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		in.WriteString(j.src)
		in.WriteByte(0)
		in.WriteString(j.ddir)
		in.WriteByte(0)
		want[j.src] = true
	}
	cmd := exec.CommandContext(ctx, python, "-Wi", "-E", "-s", "-c", compileScript)
	cmd.Stdin = &in
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", python, err, strings.TrimSpace(lastLines(stderr.String(), 5)))
	}
	got := map[string]string{}
	parts := strings.Split(string(out), "\x00")
	for i := 0; i+1 < len(parts); i += 2 {
		src, pyc := parts[i], parts[i+1]
		// Only what was asked for, and only a __pycache__ file beside
		// it: the script's output is not trusted to name other paths.
		if !want[src] || filepath.Dir(pyc) != filepath.Join(filepath.Dir(src), "__pycache__") || !strings.HasSuffix(pyc, ".pyc") {
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

// A wheelTree is a wheel installed in the stage and the tree in the
// package cache its files were linked from ("" when none).
type wheelTree struct {
	*wheel.Result
	Dir   string
	Cache *cache.Cache
}

// compileStage byte-compiles the noarch packages' and the wheels' .py
// files and records the .pyc files: in the packages' conda-meta records
// (pyc_file) and the wheels' RECORD. A wheel file linked from the
// package cache is compiled there, once for every environment (the
// .pyc names the cache's path, which importlib replaces with the path
// it imports from), and its .pyc linked in beside it; the rest, and
// what the cache would not take (a read-only cache), in the stage.
func compileStage(ctx context.Context, stage *os.Root, stageDir, prefix, pyver string, noarchPy []string, owner map[string]*PackageRecord, wheels []wheelTree, res *Result) error {
	// A wheel's file replaces a package's of the same path, and the
	// last wheel to write a path owns it.
	wheelOf := map[string]*wheelTree{}
	for i := range wheels {
		for _, f := range wheels[i].Files {
			if strings.HasSuffix(f, ".py") {
				wheelOf[f] = &wheels[i]
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
	// A .pyc the wheel's install linked from the cache (noted valid
	// there) is in its RECORD already.
	for i := range wheels {
		for _, pyc := range wheels[i].Compiled {
			if pyc != "" {
				res.Compiled++
			}
		}
		for _, f := range wheels[i].Files {
			if _, done := wheels[i].Compiled[f]; wheelOf[f] == &wheels[i] && !seen[f] && !done {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	if len(files) == 0 {
		return nil
	}
	python := filepath.Join(stageDir, "bin", "python")
	inStage := func(f string) compileJob {
		return compileJob{src: filepath.Join(stageDir, filepath.FromSlash(f)), ddir: filepath.Join(prefix, filepath.FromSlash(path.Dir(f)))}
	}
	// A cache tree is compiled (and its index written) only under its
	// entry's lock, and only in the cache's writable directory: two
	// installs never compile, link and note the same tree at once, and
	// a read-only cache is not written. A tree that cannot be locked
	// has its files compiled in the stage.
	locked := map[string]bool{}
	var locks []*cache.Lock
	defer func() {
		for _, l := range locks {
			l.Unlock()
		}
	}()
	var trees []string
	for _, f := range files {
		if w := wheelOf[f]; w != nil && w.Dir != "" && w.Cache != nil && !slices.Contains(trees, w.Dir) {
			trees = append(trees, w.Dir)
		}
	}
	slices.Sort(trees) // one order for every install: no deadlock
	for _, dir := range trees {
		w := (*wheelTree)(nil)
		for _, f := range files {
			if wheelOf[f] != nil && wheelOf[f].Dir == dir {
				w = wheelOf[f]
				break
			}
		}
		if filepath.Dir(dir) != filepath.Clean(w.Cache.Writable()) {
			continue
		}
		lk, err := w.Cache.LockEntry(filepath.Base(dir))
		if err != nil {
			continue
		}
		locks = append(locks, lk)
		locked[dir] = true
	}
	cached := func(f string) (string, bool) {
		w := wheelOf[f]
		if w == nil || !locked[w.Dir] {
			return "", false
		}
		name, ok := w.Sources[f]
		if !ok {
			return "", false
		}
		return filepath.Join(w.Dir, filepath.FromSlash(name)), true
	}
	// What an earlier install compiled in the cache and is still valid
	// needs no python: a warm install starts none.
	tag := cacheTag(pyver)
	pycs := map[string]string{}
	pycInfo := map[string]fs.FileInfo{} // a valid cached .pyc's state, from its open file
	var jobs []compileJob
	for _, f := range files {
		if src, ok := cached(f); ok {
			if pyc, fi, ok := validPyc(src, tag); ok {
				pycs[src] = pyc
				pycInfo[pyc] = fi
				continue
			}
			jobs = append(jobs, compileJob{src: src})
		} else {
			jobs = append(jobs, inStage(f))
		}
	}
	pl := &pycPlacer{stage: stage, roots: map[string]*os.Root{}, linkers: map[string]*link.Linker{}, indexes: map[string]*pycIndex{}}
	defer pl.close()
	if len(jobs) > 0 {
		got, err := byteCompile(ctx, python, stageDir, jobs)
		if err != nil {
			return err
		}
		maps.Copy(pycs, got)
		// A file of a (locked) cache tree that did not compile is noted
		// so: the next install tries no more.
		for _, f := range files {
			src, isCached := cached(f)
			if _, ok := pycs[src]; !isCached || ok {
				continue
			}
			dir := wheelOf[f].Dir
			if ix, _, err := pl.open(dir); err == nil {
				if rel, err := filepath.Rel(dir, src); err == nil {
					fi, _ := os.Lstat(src)
					ix.noteFailed(tag, filepath.ToSlash(rel), fi)
				}
			}
		}
	}
	pycOf := map[string]string{}            // .py → its .pyc in the stage, prefix-relative
	known := map[string]wheel.RecordEntry{} // a linked .pyc's hash, noted in the cache
	var again []compileJob
	var againFiles []string
	for _, f := range files {
		src, isCached := cached(f)
		if !isCached {
			if pyc, ok := pycs[filepath.Join(stageDir, filepath.FromSlash(f))]; ok {
				if rel, err := filepath.Rel(stageDir, pyc); err == nil {
					pycOf[f] = filepath.ToSlash(rel)
				}
			}
			continue
		}
		pyc, ok := pycs[src]
		if ok {
			dest := path.Join(path.Dir(f), "__pycache__", filepath.Base(pyc))
			if e, err := pl.place(wheelOf[f].Dir, pyc, pycInfo[pyc], dest); err == nil {
				pycOf[f] = dest
				if e.Hash != "" {
					known[dest] = e
				}
				continue
			}
		}
		again = append(again, inStage(f))
		againFiles = append(againFiles, f)
	}
	if len(again) > 0 {
		// The cache's copy could not be compiled or linked: compile the
		// stage's.
		more, err := byteCompile(ctx, python, stageDir, again)
		if err != nil {
			return err
		}
		for _, f := range againFiles {
			if pyc, ok := more[filepath.Join(stageDir, filepath.FromSlash(f))]; ok {
				if rel, err := filepath.Rel(stageDir, pyc); err == nil {
					pycOf[f] = filepath.ToSlash(rel)
				}
			}
		}
	}
	byWheel := map[*wheelTree][]string{}
	for _, f := range files {
		pyc, ok := pycOf[f]
		if !ok {
			continue
		}
		if w := wheelOf[f]; w != nil {
			byWheel[w] = append(byWheel[w], pyc)
			continue
		}
		rec := owner[f]
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
	for i := range wheels {
		w := &wheels[i]
		if err := wheel.AddCompiled(stage, w.DistInfo, byWheel[w], known); err != nil {
			return fmt.Errorf("wheel %s %s: %w", w.Name, w.Version, err)
		}
		res.Compiled += len(byWheel[w])
		res.Files += len(byWheel[w])
	}
	return nil
}

// A pycPlacer links .pyc files compiled in cache trees into the stage,
// keeping the roots and directories it opened.
type pycPlacer struct {
	stage   *os.Root
	roots   map[string]*os.Root
	linkers map[string]*link.Linker
	indexes map[string]*pycIndex
}

func (p *pycPlacer) close() {
	for _, l := range p.linkers {
		l.Close()
	}
	for dir, ix := range p.indexes {
		ix.save(p.roots[dir])
	}
	for _, r := range p.roots {
		r.Close()
	}
}

// open returns the index and the root of the cache tree dir, opened
// once.
func (p *pycPlacer) open(dir string) (*pycIndex, *os.Root, error) {
	if from := p.roots[dir]; from != nil {
		return p.indexes[dir], from, nil
	}
	from, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	p.roots[dir] = from
	p.linkers[dir] = link.NewLinker(from, p.stage)
	p.indexes[dir] = loadPycIndex(from)
	return p.indexes[dir], from, nil
}

// place hard-links the .pyc pyc, compiled in the cache tree dir, to
// dest in the stage (replacing a file there), or copies it where a link
// cannot be made. For a link it returns the file's RECORD hash and size
// as noted in the cache tree's index (see pycIndex; fi is the .pyc's
// state when known, else nil); an empty Hash when the caller must hash
// the stage's file.
func (p *pycPlacer) place(dir, pyc string, fi fs.FileInfo, dest string) (wheel.RecordEntry, error) {
	rel, err := filepath.Rel(dir, pyc)
	if err != nil || !filepath.IsLocal(rel) {
		return wheel.RecordEntry{}, fmt.Errorf("%s is not in %s", pyc, dir)
	}
	rel = filepath.ToSlash(rel)
	_, from, err := p.open(dir)
	if err != nil {
		return wheel.RecordEntry{}, err
	}
	if err := p.linkers[dir].MkdirAll(path.Dir(dest)); err != nil {
		return wheel.RecordEntry{}, err
	}
	err = p.linkers[dir].Link(rel, dest)
	if errors.Is(err, fs.ErrExist) {
		if fi, lerr := p.stage.Lstat(dest); lerr == nil && fi.IsDir() {
			return wheel.RecordEntry{}, fmt.Errorf("%s: would replace a directory", dest)
		}
		if err := p.stage.Remove(dest); err != nil {
			return wheel.RecordEntry{}, err
		}
		err = p.linkers[dir].Link(rel, dest)
	}
	if err == nil {
		e, _ := p.indexes[dir].hash(from, rel, fi)
		return e, nil
	}
	data, err := from.ReadFile(rel)
	if err != nil {
		return wheel.RecordEntry{}, err
	}
	return wheel.RecordEntry{}, p.stage.WriteFile(dest, data, 0o644)
}

// cacheTag is CPython's sys.implementation.cache_tag for the version
// "3.11": "cpython-311"; "" when pyver is not such a version.
func cacheTag(pyver string) string {
	major, minor, ok := strings.Cut(pyver, ".")
	if !ok || major == "" || minor == "" || strings.Trim(major+minor, "0123456789") != "" {
		return ""
	}
	return "cpython-" + major + minor
}

// validPyc says whether src's .pyc for tag exists and is what CPython
// takes as valid for it without recompiling: an unchecked-flags,
// timestamp-based header whose source mtime and size are src's (PEP 552).
// The magic number is the interpreter's, which the tag's version fixes.
func validPyc(src, tag string) (string, fs.FileInfo, bool) {
	if tag == "" {
		return "", nil, false
	}
	base := strings.TrimSuffix(filepath.Base(src), ".py")
	pyc := filepath.Join(filepath.Dir(src), "__pycache__", base+"."+tag+".pyc")
	si, err := os.Stat(src)
	if err != nil {
		return "", nil, false
	}
	f, err := os.Open(pyc)
	if err != nil {
		return "", nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return "", nil, false
	}
	var h [16]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return "", nil, false
	}
	flags := binary.LittleEndian.Uint32(h[4:8])
	mtime := binary.LittleEndian.Uint32(h[8:12])
	size := binary.LittleEndian.Uint32(h[12:16])
	if flags != 0 || mtime != uint32(si.ModTime().Unix()) || size != uint32(si.Size()) {
		return "", nil, false
	}
	return pyc, fi, true
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
