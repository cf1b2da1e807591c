package extract

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/hostile"
)

// writePkg writes p's archive in format ext into dir and returns its path.
func writePkg(t *testing.T, dir string, p *hostile.Package, ext string) string {
	t.Helper()
	src := filepath.Join(dir, p.FileName(ext))
	if err := os.WriteFile(src, p.Archive(ext), 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

// extractIn extracts src into dir/cache/<stem> and checks that a failed
// extraction left nothing in dir/cache and nothing anywhere else in dir
// but the archive and the canary.
func extractIn(t *testing.T, dir, src string, opts Options) (*Result, error) {
	t.Helper()
	cacheDir := filepath.Join(dir, "cache")
	canary := filepath.Join(dir, "canary")
	os.MkdirAll(cacheDir, 0o755)
	os.MkdirAll(canary, 0o755)
	os.WriteFile(filepath.Join(canary, "keep.txt"), []byte("keep\n"), 0o644)
	before := snapshot(t, dir, cacheDir)
	dest := filepath.Join(cacheDir, strings.TrimSuffix(strings.TrimSuffix(filepath.Base(src), ".conda"), ".tar.bz2"))
	res, err := Package(context.Background(), src, dest, opts)
	after := snapshot(t, dir, cacheDir)
	for p, d := range before {
		if after[p] != d {
			t.Errorf("%s changed: %q -> %q", p, d, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared outside the cache", p)
		}
	}
	if err != nil {
		if ents, _ := os.ReadDir(cacheDir); len(ents) != 0 {
			t.Errorf("a refused package left %v in the cache", ents)
		}
	}
	return res, err
}

func pkg(files ...hostile.Entry) *hostile.Package {
	return &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Files: files}
}

var want = Identity{Name: "evil", Version: "1.0", Build: "0", Subdir: "linux-64"}

// TestHostileArchives runs archives built to break out or to lie
// through both formats: each must be refused with its own message,
// naming the archive and the entry, and leave nothing behind.
func TestHostileArchives(t *testing.T) {
	chain := []hostile.Entry{
		hostile.Dir("d/e"),
		hostile.Symlink("d/e/x", "../.."),
		hostile.Symlink("p1", "d/e/x/.."),
		hostile.Symlink("p2", "p1/.."),
	}
	withPaths := func(p *hostile.Package, edit func([]hostile.PathEntry) []hostile.PathEntry) *hostile.Package {
		p.Paths = edit(p.TruePaths())
		return p
	}
	for _, tc := range []struct {
		name string
		pkg  *hostile.Package
		kind any // *UnsafeError, *ContentError, *BudgetError
		msg  string
	}{
		{"chain-alone", pkg(chain...), &UnsafeError{}, `refusing entry "p1": symlink to "d/e/x/..", which resolves outside the package through its other symlinks`},
		{"chain-write", pkg(append(chain[:4:4], hostile.Reg("p2/canary/keep.txt", "pwned\n"))...), &UnsafeError{}, `refusing entry "p2/canary/keep.txt": written through the symlink "p2"`},
		{"chain-hardlink", pkg(append(chain[:4:4], hostile.Hardlink("h", "p2/canary/keep.txt"))...), &UnsafeError{}, `refusing entry "h": hard link to "p2/canary/keep.txt", which is not a file extracted before it`},
		{"chain-abs", pkg(append(chain[:4:4], hostile.Symlink("abs", "p2/canary/keep.txt"))...), &UnsafeError{}, `resolves outside the package`},
		{"dot-chain", pkg(hostile.Symlink("a", "b/.."), hostile.Symlink("b", ".")), &UnsafeError{}, `refusing entry "a": symlink to "b/..", which resolves outside`},
		{"into-conda-meta", &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Paths: []hostile.PathEntry{}, Files: []hostile.Entry{hostile.Reg("conda-meta/evil-1.0-0.json", "{}")}}, &UnsafeError{}, `refusing entry "conda-meta/evil-1.0-0.json": a package may not write into conda-meta/`},
		{"link-to-conda-meta", pkg(hostile.Symlink("lib/m", "../conda-meta")), &UnsafeError{}, `refusing entry "lib/m": symlink to "../conda-meta", which resolves into conda-meta/`},
		{"paths-conda-meta", withPaths(pkg(hostile.Reg("lib/a", "a")), func(p []hostile.PathEntry) []hostile.PathEntry {
			return append(p, hostile.PathEntry{Path: "conda-meta/history", Type: "hardlink"})
		}), &UnsafeError{}, `info/paths.json": its record "conda-meta/history" is in conda-meta/`},
		{"paths-dotdot", withPaths(pkg(hostile.Reg("lib/a", "a")), func(p []hostile.PathEntry) []hostile.PathEntry {
			return append(p, hostile.PathEntry{Path: "lib/../../x", Type: "hardlink"})
		}), &UnsafeError{}, `its record "lib/../../x": path with ".."`},
		{"paths-through-link", withPaths(pkg(hostile.Dir("d"), hostile.Symlink("lnk", "d")), func(p []hostile.PathEntry) []hostile.PathEntry {
			return append(p, hostile.PathEntry{Path: "lnk/x", Type: "directory"})
		}), &UnsafeError{}, `refusing entry "info/paths.json": its record "lnk/x" leads through the symlink "lnk"`},
		{"sha256", withPaths(pkg(hostile.Reg("lib/a", "the real bytes")), func(p []hostile.PathEntry) []hostile.PathEntry {
			p[0].SHA256 = strings.Repeat("ab", 32)
			return p
		}), &ContentError{}, `evil-1.0-0\.(conda|tar\.bz2): lib/a: sha256 [0-9a-f]{64}, info/paths.json says abab`},
		{"size", withPaths(pkg(hostile.Reg("lib/a", "the real bytes")), func(p []hostile.PathEntry) []hostile.PathEntry {
			p[0].Size = 3
			return p
		}), &ContentError{}, `lib/a: 14 bytes in the archive, info/paths.json says 3`},
		{"missing", withPaths(pkg(hostile.Reg("lib/a", "a")), func(p []hostile.PathEntry) []hostile.PathEntry {
			return append(p, hostile.PathEntry{Path: "lib/b", Type: "hardlink", SHA256: strings.Repeat("0", 64), Size: 1})
		}), &ContentError{}, `lib/b: listed in info/paths.json but not in the archive`},
		{"type", withPaths(pkg(hostile.Symlink("lib/a", "b"), hostile.Reg("lib/b", "b")), func(p []hostile.PathEntry) []hostile.PathEntry {
			p[0].Type = "hardlink"
			return p
		}), &ContentError{}, `lib/a: the archive holds a symlink, info/paths.json says hardlink`},
		{"hardlink-content", withPaths(pkg(hostile.Reg("lib/a", "aaa"), hostile.Hardlink("lib/h", "lib/a")), func(p []hostile.PathEntry) []hostile.PathEntry {
			p[1].SHA256 = strings.Repeat("cd", 32)
			return p
		}), &ContentError{}, `lib/h: sha256 [0-9a-f]{64}, info/paths.json says cdcd`},
		{"index-name", &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Index: map[string]any{"name": "openssl"}, Files: []hostile.Entry{hostile.Reg("lib/a", "a")}}, &ContentError{}, `info/index.json: it says name "openssl", the lock says "evil"`},
		{"index-build", &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Index: map[string]any{"build": "1"}, Files: []hostile.Entry{hostile.Reg("lib/a", "a")}}, &ContentError{}, `it says build "1", the lock says "0"`},
		{"index-subdir", &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Index: map[string]any{"subdir": "win-64"}, Files: []hostile.Entry{hostile.Reg("lib/a", "a")}}, &ContentError{}, `it says subdir "win-64", the lock says "linux-64"`},
		{"index-null-version", &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Index: map[string]any{"version": nil}, Files: []hostile.Entry{hostile.Reg("lib/a", "a")}}, &ContentError{}, `it says version null, the lock says "1.0"`},
		{"record-through-info-link", &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Paths: []hostile.PathEntry{}, Info: []hostile.Entry{hostile.Symlink("info/repodata_record.json", "../lib/a")}, Files: []hostile.Entry{hostile.Reg("lib/a", "a")}}, nil, ""},
		{"twice-paths", &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Info: []hostile.Entry{hostile.Reg("info/extra", "x"), {Name: "./info/paths.json", Data: []byte(`{"paths_version":1,"paths":[]}`)}}, Files: []hostile.Entry{hostile.Reg("lib/a", "a")}}, &UnsafeError{}, `refusing entry "info/paths.json": appears twice`},
	} {
		for _, ext := range []string{".conda", ".tar.bz2"} {
			t.Run(tc.name+ext, func(t *testing.T) {
				dir := t.TempDir()
				src := writePkg(t, dir, tc.pkg, ext)
				_, err := extractIn(t, dir, src, Options{Want: want, Record: []byte("{\"sha256\": \"x\"}\n")})
				if tc.kind == nil {
					if err != nil {
						t.Fatal(err)
					}
					b, err := os.ReadFile(filepath.Join(dir, "cache", "evil-1.0-0", "lib", "a"))
					if err != nil || string(b) != "a" {
						t.Errorf("lib/a = %q, %v; the record was written through the package's link", b, err)
					}
					return
				}
				if err == nil {
					t.Fatalf("extracted; want an error matching %q", tc.msg)
				}
				if !regexp.MustCompile(tc.msg).MatchString(err.Error()) || !strings.Contains(err.Error(), "evil-1.0-0"+ext) {
					t.Errorf("err = %v\nwant it to match %q and name the archive", err, tc.msg)
				}
				ok := false
				switch tc.kind.(type) {
				case *UnsafeError:
					var e *UnsafeError
					ok = errors.As(err, &e)
				case *ContentError:
					var e *ContentError
					ok = errors.As(err, &e)
				case *BudgetError:
					var e *BudgetError
					ok = errors.As(err, &e)
				}
				if !ok {
					t.Errorf("err is %T, want %T", err, tc.kind)
				}
			})
		}
	}
}

// TestPathsLast checks a .tar.bz2 whose info/ comes after the payload
// (conda-build puts it first; a hostile archive need not): files
// written before paths.json was read are still checked.
func TestPathsLast(t *testing.T) {
	p := pkg(hostile.Reg("lib/a", "real"), hostile.Reg("lib/b", "bytes"))
	paths := p.TruePaths()
	paths[1].SHA256 = strings.Repeat("ef", 32)
	info := []hostile.Entry{
		hostile.Reg("info/index.json", `{"name": "evil", "version": "1.0", "build": "0", "subdir": "linux-64"}`),
		hostile.Reg("info/paths.json", `{"paths_version": 1, "paths": [`+
			`{"_path": "lib/a", "path_type": "hardlink", "sha256": "`+paths[0].SHA256+`", "size_in_bytes": 4},`+
			`{"_path": "lib/b", "path_type": "hardlink", "sha256": "`+paths[1].SHA256+`", "size_in_bytes": 5}]}`),
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "evil-1.0-0.tar.bz2")
	os.WriteFile(src, hostile.Bzip2(hostile.Tar(append(p.Files, info...))), 0o644)
	_, err := extractIn(t, dir, src, Options{Want: want})
	var ce *ContentError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "lib/b: sha256 ") || !strings.Contains(err.Error(), "info/paths.json says efef") {
		t.Fatalf("err = %v, want lib/b's sha256 refused", err)
	}
	// The same order with true hashes extracts, every file checked.
	paths = p.TruePaths()
	info[1] = hostile.Reg("info/paths.json", `{"paths_version": 1, "paths": [`+
		`{"_path": "lib/a", "path_type": "hardlink", "sha256": "`+paths[0].SHA256+`", "size_in_bytes": 4},`+
		`{"_path": "lib/b", "path_type": "hardlink", "sha256": "`+paths[1].SHA256+`", "size_in_bytes": 5}]}`)
	os.WriteFile(src, hostile.Bzip2(hostile.Tar(append(p.Files, info...))), 0o644)
	res, err := extractIn(t, t.TempDir(), src, Options{Want: want})
	if err != nil || res.Checked != 2 {
		t.Fatalf("res %+v, err %v; want both files checked", res, err)
	}
}

// bombHeader returns the tar bytes of info entries and the header of a
// regular file of size bytes whose data is not included: the rest of
// the stream is supplied by concatenated bzip2 streams of zeros.
func bombHeader(t *testing.T, info []hostile.Entry, name string, size int64) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range info {
		tw.WriteHeader(&tar.Header{Name: e.Name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(e.Data))})
		tw.Write(e.Data)
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	tw.Flush()
	return buf.Bytes()
}

// multiStreamBomb is a .tar.bz2 of a few KB whose tar declares a file of
// size bytes, followed by 40 bzip2 streams of 8 MiB of zeros each.
func multiStreamBomb(t *testing.T, info []hostile.Entry, size int64) []byte {
	zeros := hostile.Bzip2(make([]byte, 8<<20))
	out := hostile.Bzip2(bombHeader(t, info, "lib/bomb", size))
	for i := 0; i < 40; i++ {
		out = append(out, zeros...)
	}
	return out
}

// TestBombs checks the budgets: a file larger than paths.json declares
// is refused at its header, before a byte is written; without
// paths.json the undeclared budget stops it; a .conda's zstd frame
// cannot ask for a huge window.
func TestBombs(t *testing.T) {
	index := hostile.Reg("info/index.json", `{"name": "evil", "version": "1.0", "build": "0", "subdir": "linux-64"}`)
	declared := hostile.Reg("info/paths.json", `{"paths_version": 1, "paths": [{"_path": "lib/bomb", "path_type": "hardlink", "sha256": "`+strings.Repeat("0", 64)+`", "size_in_bytes": 10}]}`)
	for _, tc := range []struct {
		name string
		info []hostile.Entry
		size int64
		kind string
		msg  string
	}{
		{"declared", []hostile.Entry{index, declared}, 3 << 30, "content", `lib/bomb: 3221225472 bytes in the archive, info/paths.json says 10`},
		{"undeclared", []hostile.Entry{index}, 3 << 30, "budget", `lib/bomb: files info/paths.json does not declare add up to more than 268435456 bytes \(this one: 3221225472\); refusing what looks like a decompression bomb`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "evil-1.0-0.tar.bz2")
			data := multiStreamBomb(t, tc.info, tc.size)
			if len(data) > 64<<10 {
				t.Fatalf("the bomb is %d bytes; meant to be small", len(data))
			}
			os.WriteFile(src, data, 0o644)
			_, err := extractIn(t, dir, src, Options{Want: want})
			if err == nil || !regexp.MustCompile(tc.msg).MatchString(err.Error()) {
				t.Fatalf("err = %v, want %q", err, tc.msg)
			}
		})
	}
	// Many small undeclared files add up: the budget counts them all.
	t.Run("many", func(t *testing.T) {
		var files []hostile.Entry
		for i := 0; i < 50; i++ {
			files = append(files, hostile.Reg("lib/f"+strings.Repeat("x", i), strings.Repeat("z", 1000)))
		}
		p := &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Files: files, Info: []hostile.Entry{{Name: "info/paths.json", Data: []byte(`{"paths_version":1,"paths":[]}`)}}}
		dir := t.TempDir()
		src := writePkg(t, dir, p, ".conda")
		_, err := extractIn(t, dir, src, Options{Want: want, MaxUndeclared: 20_000})
		var be *BudgetError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), "add up to more than 20000 bytes") {
			t.Fatalf("err = %v, want the undeclared budget", err)
		}
	})
}

// TestInodeBomb checks that entries paths.json does not declare are
// counted, empty directories included.
func TestInodeBomb(t *testing.T) {
	defer func(n int) { maxUndeclaredEntries = n }(maxUndeclaredEntries)
	maxUndeclaredEntries = 100
	var files []hostile.Entry
	for i := 0; i < 200; i++ {
		files = append(files, hostile.Dir(fmt.Sprintf("share/d%03d", i)))
	}
	p := &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Files: files, Paths: []hostile.PathEntry{}}
	dir := t.TempDir()
	_, err := extractIn(t, dir, writePkg(t, dir, p, ".conda"), Options{Want: want})
	var be *BudgetError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "more than 100 entries info/paths.json does not declare") {
		t.Fatalf("err = %v, want the entry budget", err)
	}
}

// TestZlibQuirk pins the decision on old packages' broken links
// (../shared/data/README.md: anaconda's zlib 1.2.11 says softlink in
// paths.json, the .conda holds an empty symlink, the .tar.bz2 an empty
// file): the entry is skipped with a warning naming the mismatch, in
// both formats, so both install the same files; anything else paths.json
// calls a link but the archive holds as a non-empty file is refused.
func TestZlibQuirk(t *testing.T) {
	for _, ext := range []string{".conda", ".tar.bz2"} {
		t.Run(ext, func(t *testing.T) {
			files := []hostile.Entry{hostile.Reg("lib/libz.so.1.2.11", "ELF")}
			if ext == ".conda" {
				files = append(files, hostile.Symlink("lib/libz.so", ""))
			} else {
				files = append(files, hostile.Reg("lib/libz.so", ""))
			}
			p := pkg(files...)
			p.Paths = append(p.TruePaths()[:1], hostile.PathEntry{Path: "lib/libz.so", Type: "softlink", SHA256: strings.Repeat("1", 64), Size: 3})
			dir := t.TempDir()
			res, err := extractIn(t, dir, writePkg(t, dir, p, ext), Options{Want: want})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != 1 || res.Warnings[0].Entry != "lib/libz.so" || !strings.Contains(res.Warnings[0].Reason, "info/paths.json says it is a symlink but the archive holds") {
				t.Errorf("warnings = %+v, want one for lib/libz.so", res.Warnings)
			}
			if _, err := os.Lstat(filepath.Join(dir, "cache", "evil-1.0-0", "lib", "libz.so")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("lib/libz.so was extracted (%v)", err)
			}
		})
	}
	p := pkg(hostile.Reg("lib/libz.so", "not empty"))
	p.Paths = []hostile.PathEntry{{Path: "lib/libz.so", Type: "softlink"}}
	dir := t.TempDir()
	_, err := extractIn(t, dir, writePkg(t, dir, p, ".tar.bz2"), Options{Want: want})
	if err == nil || !strings.Contains(err.Error(), "lib/libz.so: the archive holds a file, info/paths.json says softlink") {
		t.Fatalf("err = %v", err)
	}
}

// TestGoodPackage extracts a well-formed package with every kind of
// entry, in the cache's shared modes, and checks every file against
// paths.json.
func TestGoodPackage(t *testing.T) {
	p := pkg(
		hostile.Dir("lib"),
		hostile.Reg("lib/libx.so.1.0", "ELF..."),
		hostile.Symlink("lib/libx.so.1", "libx.so.1.0"),
		hostile.Symlink("lib/libx.so", "libx.so.1"),
		hostile.Hardlink("lib/libx-copy.so", "lib/libx.so.1.0"),
		hostile.Entry{Name: "bin/x", Data: []byte("#!/bin/sh\n"), Mode: 0o755},
		hostile.Symlink("share/x/lib", "../../lib"),
	)
	for _, ext := range []string{".conda", ".tar.bz2"} {
		dir := t.TempDir()
		res, err := extractIn(t, dir, writePkg(t, dir, p, ext), Options{Want: want, Record: []byte("{}\n"), FileMode: 0o664, DirMode: 0o775 | os.ModeSetgid})
		if err != nil {
			t.Fatal(err)
		}
		if res.Checked != 3 || len(res.Warnings) != 0 {
			t.Errorf("%s: %d files checked, warnings %v; want 3 and none", ext, res.Checked, res.Warnings)
		}
		root := filepath.Join(dir, "cache", "evil-1.0-0")
		for p, mode := range map[string]os.FileMode{".": 0o775 | os.ModeDir | os.ModeSetgid, "lib": 0o775 | os.ModeDir | os.ModeSetgid, "bin/x": 0o775, "lib/libx.so.1.0": 0o664, "info/repodata_record.json": 0o664} {
			fi, err := os.Lstat(filepath.Join(root, p))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode() & (os.ModePerm | os.ModeDir | os.ModeSetgid); got != mode {
				t.Errorf("%s: %s mode %v, want %v", ext, p, got, mode)
			}
		}
	}
}
