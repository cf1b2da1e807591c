// Package cpython builds a real CPython conda package from a CPython
// installed on the machine (a pyenv build, say), for the tests that need
// a real interpreter in a real environment: the interpreter, libpython,
// the headers, the standard library with its extension modules and .pyc
// files, archive mtimes kept (the .pyc files are checked against them),
// RUNPATHs made $ORIGIN-relative, and conda's text placeholder written
// into the text files that name the build prefix (sysconfig data,
// pkg-config files, script shebangs), listed in info/paths.json.
//
// What it leaves out to stay small: site-packages' contents, the test
// suites, idlelib, tkinter and turtledemo, the static libpython, and the
// -O/-OO bytecode. The .pyc of a file that gets the placeholder is left
// out too: rewriting the file at install changes its size, so that .pyc
// would be stale in every environment.
//
// The source must be a CPython with its own prefix (not /usr): its
// prefix string is what the placeholder replaces. Locate finds one
// ($ENVLOCK_CPYTHON, else the python3 on PATH).
package cpython

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/envlock/envlock/internal/atomicfile"
	"github.com/envlock/envlock/internal/condapkg"
)

// builderVersion changes whenever the package this builder writes
// changes, so that cached builds are not reused across versions.
const builderVersion = "1"

// A Source is a CPython installation to package.
type Source struct {
	// Prefix is its installation prefix (sys.base_prefix).
	Prefix string
	// Version is the full version ("3.11.7"); Short is "3.11".
	Version, Short string
	// Executable is bin/python3.X; Stdlib is lib/python3.X; Include is
	// include/python3.X; LibDir holds libpython.
	Executable, Stdlib, Include, LibDir string
	// SOName is libpython's file name when it is shared ("" when
	// libpython is linked into the executable).
	SOName string
}

const probeScript = `import json, sys, sysconfig
v = sysconfig.get_config_var
print(json.dumps({"prefix": sys.base_prefix, "version": sys.version.split()[0],
 "short": "%d.%d" % sys.version_info[:2], "executable": sys.executable,
 "stdlib": sysconfig.get_path("stdlib"), "include": sysconfig.get_path("include"),
 "libdir": v("LIBDIR") or "", "soname": v("INSTSONAME") if v("Py_ENABLE_SHARED") else "",
 "impl": sys.implementation.name}))`

// Probe asks the python at exe where its parts are.
func Probe(exe string) (*Source, error) {
	out, err := exec.Command(exe, "-I", "-c", probeScript).Output()
	if err != nil {
		return nil, fmt.Errorf("asking %s where its parts are: %w", exe, err)
	}
	var p struct {
		Prefix, Version, Short, Executable, Stdlib, Include, Libdir, Soname, Impl string
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("reading %s's answer: %w", exe, err)
	}
	if p.Impl != "cpython" {
		return nil, fmt.Errorf("%s is %s, not CPython", exe, p.Impl)
	}
	s := &Source{Prefix: filepath.Clean(p.Prefix), Version: p.Version, Short: p.Short, Executable: p.Executable,
		Stdlib: p.Stdlib, Include: p.Include, LibDir: p.Libdir, SOName: p.Soname}
	switch s.Prefix {
	case "/", "/usr", "/usr/local":
		return nil, fmt.Errorf("%s is installed in %s, a system prefix whose name is in too many files to replace by a placeholder; use a CPython with its own prefix (a pyenv build: set ENVLOCK_CPYTHON to its bin/python3)", exe, s.Prefix)
	}
	want := map[string]string{
		"executable": filepath.Join(s.Prefix, "bin", "python"+s.Short),
		"stdlib":     filepath.Join(s.Prefix, "lib", "python"+s.Short),
		"include":    filepath.Join(s.Prefix, "include", "python"+s.Short),
	}
	got := map[string]string{"executable": s.Executable, "stdlib": s.Stdlib, "include": s.Include}
	for k, w := range want {
		if rp, err := filepath.EvalSymlinks(got[k]); err != nil || (rp != w && got[k] != w) {
			return nil, fmt.Errorf("%s's %s is %s, not %s: only the standard layout (configure --prefix) is supported", exe, k, got[k], w)
		}
	}
	s.Executable, s.Stdlib, s.Include = want["executable"], want["stdlib"], want["include"]
	if s.SOName != "" && filepath.Clean(s.LibDir) != filepath.Join(s.Prefix, "lib") {
		return nil, fmt.Errorf("%s's libpython is in %s, outside its prefix's lib", exe, s.LibDir)
	}
	return s, nil
}

// A Package is the result of Build: the archive's file name and the
// record a channel's repodata lists for it.
type Package struct {
	Filename string
	Record   map[string]any
	// GlibcNeed is the highest GLIBC_ version any ELF file of the
	// package needs ("2.35"); the record depends on __glibc >= it.
	GlibcNeed string
	// Files is the number of payload entries.
	Files int
}

type entry struct {
	rel   string // path in the package
	src   string // path on disk
	mtime time.Time
	mode  fs.FileMode
	link  string // symlink target
}

var excluded = regexp.MustCompile(`^lib/python[0-9.]+/(test|idlelib|tkinter|turtledemo|site-packages/(?:[^R]|R[^E]).*|lib2to3/tests|ctypes/test|sqlite3/test|unittest/test|distutils/tests|config-[^/]*/libpython[^/]*\.a|lib-dynload/_tkinter\.[^/]*)(/|$)|\.opt-[12]\.pyc$`)

// files lists what the package holds.
func (s *Source) files() ([]entry, error) {
	var out []entry
	add := func(rel string) error {
		src := filepath.Join(s.Prefix, filepath.FromSlash(rel))
		fi, err := os.Lstat(src)
		if err != nil {
			return err
		}
		e := entry{rel: rel, src: src, mtime: fi.ModTime(), mode: fi.Mode()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if e.link, err = os.Readlink(src); err != nil {
				return err
			}
		}
		out = append(out, e)
		return nil
	}
	py := "python" + s.Short
	for _, b := range []string{py, "python3", "python", py + "-config", "python3-config", "pydoc" + s.Short, "pydoc3", "2to3-" + s.Short, "2to3"} {
		if _, err := os.Lstat(filepath.Join(s.Prefix, "bin", b)); err == nil {
			if err := add("bin/" + b); err != nil {
				return nil, err
			}
		}
	}
	walk := func(top string) error {
		return filepath.WalkDir(filepath.Join(s.Prefix, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(s.Prefix, p)
			rel = filepath.ToSlash(rel)
			if excluded.MatchString(rel) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			return add(rel)
		})
	}
	if s.SOName != "" {
		for _, l := range []string{s.SOName, "libpython" + s.Short + ".so", "libpython3.so"} {
			if _, err := os.Lstat(filepath.Join(s.Prefix, "lib", l)); err == nil {
				if err := add("lib/" + l); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, top := range []string{"lib/pkgconfig", "include/" + py, "lib/" + py} {
		if _, err := os.Stat(filepath.Join(s.Prefix, top)); err != nil {
			continue
		}
		if err := walk(top); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out, nil
}

// Build writes the package into channel/linux-64 (with a repodata.json
// there and an empty one in noarch), reusing a build cached under
// cacheDir (when not empty) for the same source and builder.
func (s *Source) Build(channel, cacheDir string) (*Package, error) {
	entries, err := s.files()
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", s.Prefix, err)
	}
	key := sha256.New()
	fmt.Fprintf(key, "%s\n%s\n%s\n", builderVersion, s.Prefix, s.Version)
	for _, e := range entries {
		fi, err := os.Lstat(e.src)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(key, "%s %d %d %s\n", e.rel, fi.Size(), fi.ModTime().UnixNano(), e.link)
	}
	hash := hex.EncodeToString(key.Sum(nil))
	stem := fmt.Sprintf("python-%s-h%s_0_cpython", s.Version, hash[:8])
	dst := filepath.Join(channel, "linux-64", stem+".conda")
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	var cached, cachedMeta string
	if cacheDir != "" {
		cached = filepath.Join(cacheDir, stem+".conda")
		cachedMeta = filepath.Join(cacheDir, stem+".json")
	}
	var pkg Package
	if meta, err := os.ReadFile(cachedMeta); cached != "" && err == nil && json.Unmarshal(meta, &pkg) == nil && linkOrCopy(cached, dst) == nil {
		return &pkg, s.writeRepodata(channel, &pkg)
	}
	need, err := s.write(dst, stem, hash, entries)
	if err != nil {
		os.Remove(dst)
		return nil, err
	}
	pkg, err = s.record(dst, stem, need, len(entries))
	if err != nil {
		return nil, err
	}
	if cached != "" {
		if os.MkdirAll(cacheDir, 0o755) == nil && linkOrCopy(dst, cached) == nil {
			if meta, err := json.Marshal(pkg); err == nil {
				atomicfile.WriteFile(cachedMeta, meta, 0o644)
			}
		}
	}
	return &pkg, s.writeRepodata(channel, &pkg)
}

func (s *Source) index(stem, need string) map[string]any {
	return map[string]any{
		"name": "python", "version": s.Version, "build": strings.TrimPrefix(stem, "python-"+s.Version+"-"),
		"build_number": 0, "subdir": "linux-64", "arch": "x86_64", "platform": "linux",
		"license": "Python-2.0", "timestamp": int64(1_700_000_000_000),
		"depends": []string{"__glibc >=" + need}, "constrains": []string{},
	}
}

func (s *Source) record(file, stem, need string, n int) (Package, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Package{}, err
	}
	rec := s.index(stem, need)
	sha := sha256.Sum256(data)
	m := md5.Sum(data)
	rec["sha256"], rec["md5"], rec["size"] = hex.EncodeToString(sha[:]), hex.EncodeToString(m[:]), len(data)
	return Package{Filename: stem + ".conda", Record: rec, GlibcNeed: need, Files: n}, nil
}

func (s *Source) writeRepodata(channel string, p *Package) error {
	for _, sub := range []string{"linux-64", "noarch"} {
		rd := map[string]any{"info": map[string]string{"subdir": sub}, "packages": map[string]any{}, "packages.conda": map[string]any{}, "repodata_version": 1}
		if sub == "linux-64" {
			rd["packages.conda"] = map[string]any{p.Filename: p.Record}
		}
		b, err := json.MarshalIndent(rd, "", " ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(channel, sub, "repodata.json"), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// write writes the archive and returns the highest GLIBC_ need.
func (s *Source) write(dst, stem, hash string, entries []entry) (string, error) {
	prefix := []byte(s.Prefix)
	// Sources that will hold the placeholder: their .pyc files go.
	holds := map[string]bool{}
	for _, e := range entries {
		if e.link == "" && strings.HasSuffix(e.rel, ".py") {
			data, err := os.ReadFile(e.src)
			if err != nil {
				return "", err
			}
			if bytes.Contains(data, prefix) && !bytes.Contains(data, []byte{0}) {
				holds[e.rel] = true
			}
		}
	}
	need := "2.2.5"
	var out []condapkg.Entry
	for _, e := range entries {
		if strings.HasSuffix(e.rel, ".pyc") && holds[sourceOf(e.rel)] {
			continue
		}
		ce := condapkg.Entry{Path: e.rel, ModTime: e.mtime, Exec: e.mode&0o111 != 0, Symlink: e.link}
		if e.link == "" {
			data, err := os.ReadFile(e.src)
			if err != nil {
				return "", err
			}
			switch {
			case bytes.HasPrefix(data, []byte("\x7fELF")):
				patched, n, err := fixRunpath(data, s.Prefix, path.Dir(e.rel))
				if err != nil {
					return "", fmt.Errorf("%s: %w", e.src, err)
				}
				data = patched
				if versionLess(need, n) {
					need = n
				}
			case strings.HasSuffix(e.rel, ".pyc"):
				// co_filename names the build prefix; the import system
				// corrects it on load, as for conda's own packages.
			case bytes.Contains(data, prefix) && !bytes.Contains(data, []byte{0}):
				data = bytes.ReplaceAll(data, prefix, []byte(condapkg.TextPlaceholder))
				ce.Placeholder = "text"
			}
			ce.Load = func() ([]byte, error) { return data, nil }
		}
		out = append(out, ce)
	}
	f, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	about, _ := json.MarshalIndent(map[string]any{
		"summary": "CPython " + s.Version + " packaged by envlock's tests from " + s.Prefix,
		"license": "Python-2.0", "extra": map[string]string{"source_hash": hash},
	}, "", "  ")
	if err := condapkg.WriteConda(f, stem, s.index(stem, need), out, map[string][]byte{"info/about.json": about}); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	return need, f.Close()
}

// sourceOf maps lib/.../__pycache__/mod.cpython-311.pyc to lib/.../mod.py.
func sourceOf(pyc string) string {
	dir, base := path.Split(pyc)
	dir = strings.TrimSuffix(strings.TrimSuffix(dir, "/"), "__pycache__")
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	return dir + base + ".py"
}

// fixRunpath rewrites, in place, DT_RUNPATH and DT_RPATH entries naming
// the build prefix to $ORIGIN-relative ones (the new string is never
// longer than "prefix/lib"-style ones it replaces when the prefix is long
// enough; a longer one is an error), and returns the highest GLIBC_
// version the file needs.
func fixRunpath(data []byte, prefix, dir string) ([]byte, string, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	need := "2.2.5"
	if vn, err := f.DynamicVersionNeeds(); err == nil {
		for _, n := range vn {
			for _, v := range n.Needs {
				if ver, ok := strings.CutPrefix(v.Dep, "GLIBC_"); ok && versionLess(need, ver) {
					need = ver
				}
			}
		}
	}
	dynstr := f.Section(".dynstr")
	dyn := f.Section(".dynamic")
	if dynstr == nil || dyn == nil {
		return data, need, nil
	}
	raw, err := dyn.Data()
	if err != nil {
		return nil, "", err
	}
	out := append([]byte(nil), data...)
	size := 16
	if f.Class == elf.ELFCLASS32 {
		size = 8
	}
	for i := 0; i+size <= len(raw); i += size {
		var tag, val uint64
		if size == 16 {
			tag, val = f.ByteOrder.Uint64(raw[i:]), f.ByteOrder.Uint64(raw[i+8:])
		} else {
			tag, val = uint64(f.ByteOrder.Uint32(raw[i:])), uint64(f.ByteOrder.Uint32(raw[i+4:]))
		}
		if elf.DynTag(tag) != elf.DT_RUNPATH && elf.DynTag(tag) != elf.DT_RPATH {
			continue
		}
		off := int(dynstr.Offset) + int(val)
		end := bytes.IndexByte(out[off:], 0)
		if end < 0 {
			return nil, "", errors.New("unterminated RUNPATH")
		}
		old := string(out[off : off+end])
		var parts []string
		for _, p := range strings.Split(old, ":") {
			if p == prefix || strings.HasPrefix(p, prefix+"/") {
				rel, err := filepath.Rel(filepath.Join(prefix, dir), p)
				if err != nil {
					return nil, "", err
				}
				p = "$ORIGIN"
				if rel != "." {
					p += "/" + filepath.ToSlash(rel)
				}
			}
			parts = append(parts, p)
		}
		nw := strings.Join(parts, ":")
		if len(nw) > len(old) {
			return nil, "", fmt.Errorf("RUNPATH %q would become the longer %q", old, nw)
		}
		copy(out[off:], nw)
		for k := off + len(nw); k < off+end; k++ {
			out[k] = 0
		}
	}
	return out, need, nil
}

// versionLess compares dotted numeric versions.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func linkOrCopy(src, dst string) error {
	os.Remove(dst)
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(dst, data, 0o644)
}
