package elfscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/spec/version"
)

// Problem kinds.
const (
	KindGlibc          = "glibc"           // needs a newer GLIBC_x.y than the host's glibc
	KindSymbolVersion  = "symbol-version"  // needs a version its library does not define
	KindMissingLibrary = "missing-library" // a DT_NEEDED library resolves nowhere
	// KindFloor: loads here, but needs a newer GLIBC_x.y than the glibc
	// floor the lock promises (its system: glibc), so it will not load
	// on the oldest nodes the lock was made for.
	KindFloor = "glibc-floor"
)

// Problem is one reason an ELF file of the prefix will not load here.
type Problem struct {
	Kind    string `json:"kind"`
	File    string `json:"file"` // relative to the prefix, with /
	Package string `json:"package,omitempty"`
	Library string `json:"library,omitempty"`
	Need    string `json:"need,omitempty"` // "GLIBC_2.28", or the library name
	Have    string `json:"have,omitempty"` // what the host or library offers
}

func (p Problem) String() string {
	switch p.Kind {
	case KindGlibc:
		return fmt.Sprintf("%s needs %s; the host has %s", p.File, p.Need, p.Have)
	case KindSymbolVersion:
		return fmt.Sprintf("%s needs %s from %s, which has only up to %s", p.File, p.Need, p.Library, p.Have)
	case KindFloor:
		return fmt.Sprintf("%s needs %s, above the lock's floor %s", p.File, p.Need, p.Have)
	default:
		return fmt.Sprintf("%s needs %s, found neither in its RPATH/RUNPATH, the prefix's lib/ nor the host's library directories", p.File, p.Need)
	}
}

// Options say what to scan and what the host offers.
type Options struct {
	// Prefix is the environment's root directory.
	Prefix string
	// Files, when set, are the files to look at (relative to Prefix);
	// otherwise every regular file under Prefix but conda-meta/ is.
	Files []string
	// Libc is the host's C library ("glibc", "musl", or "" when unknown)
	// and Glibc its version; GLIBC_ needs are checked against it.
	Libc  string
	Glibc string
	// Floor is the glibc version the lock promises to run on (its
	// system floor); GLIBC_ needs above it that the host meets are
	// KindFloor problems. "" skips the comparison.
	Floor string
	// LibDirs are the host's library directories in search order.
	LibDirs []string
	// Owner names the package that owns a file (relative path); may be nil.
	Owner func(rel string) string
	// Known has what the caller already learned of some of Files by
	// reading them (verify inspects each file it hashes while its bytes
	// are in memory): Scan takes it and does not read those files again.
	Known map[string]Inspection
	// Workers bounds the parallelism; 0 means 4 × GOMAXPROCS (the scan
	// waits on the disk more than on the CPU).
	Workers int
}

// Result is what Scan found.
type Result struct {
	Files int `json:"files"` // files looked at
	ELF   int `json:"elf"`   // of which dynamic ELF files
	// Glibc is the newest GLIBC_x.y any file needs, and GlibcFile one
	// file that needs it.
	Glibc     string    `json:"glibc_needed,omitempty"`
	GlibcFile string    `json:"glibc_needed_by,omitempty"`
	Problems  []Problem `json:"problems"`
	// Unreadable are files that look like ELF but could not be parsed.
	Unreadable []string `json:"unreadable,omitempty"`
}

type scanned struct {
	rel  string
	info *Info
}

// Inspection is what Inspect said of one file: its Info, or its error
// (ErrNotELF for a file that is not ELF).
type Inspection struct {
	Info *Info
	Err  error
}

// Inspect is what Scan learns of one regular file of size bytes, read
// through r: ReadFrom, except that files too short to be ELF are
// ErrNotELF without a read.
func Inspect(r io.ReaderAt, size int64, name string) (*Info, error) {
	if size < 64 {
		return nil, ErrNotELF
	}
	return ReadFrom(r, name)
}

// Scan inspects every ELF file of the prefix and reports what would fail
// to load on the host described by o.
func Scan(ctx context.Context, o Options) (*Result, error) {
	prefix, err := filepath.Abs(o.Prefix)
	if err != nil {
		return nil, err
	}
	workers := o.Workers
	if workers <= 0 {
		workers = 4 * runtime.GOMAXPROCS(0)
	}
	var (
		mu      sync.Mutex
		found   []scanned
		bad     []string
		nfiles  int
		workerN = workers
	)
	record := func(r string, info *Info, err error) {
		mu.Lock()
		defer mu.Unlock()
		nfiles++
		switch {
		case errors.Is(err, ErrNotELF), errors.Is(err, fs.ErrNotExist):
		case err != nil:
			bad = append(bad, filepath.ToSlash(r)+": "+err.Error())
		case info.Dynamic():
			found = append(found, scanned{filepath.ToSlash(r), info})
		}
	}
	paths := make(chan string, 256)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(paths)
		if o.Files != nil {
			for _, f := range o.Files {
				if k, ok := o.Known[f]; ok {
					record(f, k.Info, k.Err)
					continue
				}
				select {
				case paths <- filepath.FromSlash(f):
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		}
		return filepath.WalkDir(prefix, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrPermission) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				if p != prefix && d.Name() == "conda-meta" && filepath.Dir(p) == prefix {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			r, _ := filepath.Rel(prefix, p)
			select {
			case paths <- r:
			case <-gctx.Done():
				return gctx.Err()
			}
			return nil
		})
	})

	for range workerN {
		g.Go(func() error {
			for r := range paths {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				info, err := readRegular(filepath.Join(prefix, r))
				record(r, info, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	res := &Result{Files: nfiles, ELF: len(found), Unreadable: bad}
	sort.Slice(found, func(i, j int) bool { return found[i].rel < found[j].rel })
	sort.Strings(res.Unreadable)
	rs := &resolver{prefix: prefix, libDirs: o.LibDirs, cache: map[string]*Info{}}
	var best version.Version
	for _, s := range found {
		if g := s.info.MaxVersion("GLIBC_"); g != "" {
			v, _ := version.Parse(g)
			if res.Glibc == "" || v.Compare(best) > 0 {
				res.Glibc, res.GlibcFile, best = g, s.rel, v
			}
		}
	}
	// Resolution reads each distinct library once; it is cheap next to
	// the walk, so it runs in this goroutine, in file order, which keeps
	// the report stable.
	for _, s := range found {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res.Problems = append(res.Problems, check(s, o, rs)...)
	}
	if o.Owner != nil {
		for i := range res.Problems {
			res.Problems[i].Package = o.Owner(res.Problems[i].File)
		}
	}
	return res, nil
}

// readRegular reads an ELF file, skipping anything that is not a regular
// file (a symlink named in conda-meta, say).
func readRegular(p string) (*Info, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() < 64 {
		return nil, ErrNotELF
	}
	return Read(p)
}

// check reports the problems of one file.
func check(s scanned, o Options, rs *resolver) []Problem {
	var out []Problem
	origin := filepath.Join(rs.prefix, filepath.Dir(filepath.FromSlash(s.rel)))
	resolved := map[string]*Info{}
	for _, lib := range s.info.Needed {
		if IsGlibcLibrary(lib) && o.Libc == "glibc" {
			continue // provided by the host's glibc, checked by version below
		}
		li := rs.resolve(lib, s.info, origin)
		if li == nil {
			out = append(out, Problem{Kind: KindMissingLibrary, File: s.rel, Need: lib})
			continue
		}
		resolved[lib] = li
	}
	for _, n := range s.info.Needs {
		for _, v := range n.Versions {
			if ver, ok := strings.CutPrefix(v, "GLIBC_"); ok && IsGlibcLibrary(n.Library) {
				pv, err := version.Parse(ver)
				if err != nil {
					continue // GLIBC_PRIVATE
				}
				if p, ok := floorProblem(s.rel, n.Library, v, pv, o); ok {
					out = append(out, p)
					continue
				}
				if o.Libc == "" {
					continue // unknown host C library: nothing to compare with
				}
				if o.Libc != "glibc" {
					out = append(out, Problem{Kind: KindGlibc, File: s.rel, Library: n.Library, Need: v, Have: o.Libc + " (no glibc)"})
					continue
				}
				if o.Glibc == "" {
					continue
				}
				if hv, err := version.Parse(o.Glibc); err == nil && pv.Compare(hv) > 0 {
					out = append(out, Problem{Kind: KindGlibc, File: s.rel, Library: n.Library, Need: v, Have: "glibc " + o.Glibc})
				}
				continue
			}
			li := resolved[n.Library]
			if li == nil || len(li.Defines) == 0 {
				continue // missing (reported) or unversioned library
			}
			if !contains(li.Defines, v) {
				out = append(out, Problem{Kind: KindSymbolVersion, File: s.rel, Library: n.Library, Need: v, Have: newest(li.Defines, v)})
			}
		}
	}
	return out
}

// floorProblem reports a GLIBC_ need above o.Floor that the host meets
// (or that no host is known for); a need the host does not meet is a
// KindGlibc problem instead, the more serious one.
func floorProblem(file, lib, need string, pv version.Version, o Options) (Problem, bool) {
	if o.Floor == "" {
		return Problem{}, false
	}
	fv, err := version.Parse(o.Floor)
	if err != nil || pv.Compare(fv) <= 0 {
		return Problem{}, false
	}
	if o.Libc != "" {
		if o.Libc != "glibc" || o.Glibc == "" {
			return Problem{}, false
		}
		if hv, err := version.Parse(o.Glibc); err != nil || pv.Compare(hv) > 0 {
			return Problem{}, false
		}
	}
	return Problem{Kind: KindFloor, File: file, Library: lib, Need: need, Have: "glibc " + o.Floor}, true
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// newest returns the newest version among defs sharing like's prefix
// ("GLIBCXX_3.4.28" for like "GLIBCXX_3.4.30"), or "none".
func newest(defs []string, like string) string {
	pfx := like
	if i := strings.LastIndexByte(like, '_'); i >= 0 {
		pfx = like[:i+1]
	}
	if v := Newest(defs, pfx); v != "" {
		return pfx + v
	}
	return "none"
}

// resolver finds libraries the way ld.so does and caches what it reads.
type resolver struct {
	prefix  string
	libDirs []string
	cache   map[string]*Info // path → info (nil: not a usable library)
}

func (rs *resolver) resolve(lib string, from *Info, origin string) *Info {
	if strings.Contains(lib, "/") {
		p := lib
		if !filepath.IsAbs(p) {
			p = filepath.Join(origin, p)
		}
		return rs.load(p, from)
	}
	var dirs []string
	if len(from.RunPath) == 0 {
		dirs = append(dirs, from.RPath...)
	}
	dirs = append(dirs, from.RunPath...)
	for i := range dirs {
		dirs[i] = expand(dirs[i], origin)
	}
	dirs = append(dirs, filepath.Join(rs.prefix, "lib"))
	dirs = append(dirs, rs.libDirs...)
	for _, d := range dirs {
		if li := rs.load(filepath.Join(d, lib), from); li != nil {
			return li
		}
	}
	return nil
}

// load reads a candidate library; nil when it is missing or of another
// class or machine (the loader skips those and keeps searching).
func (rs *resolver) load(p string, from *Info) *Info {
	key := p
	li, ok := rs.cache[key]
	if !ok {
		li, _ = Read(p)
		rs.cache[key] = li
	}
	if li == nil || li.Class != from.Class || li.Machine != from.Machine {
		return nil
	}
	return li
}
