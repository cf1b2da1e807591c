package extract

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/internal/testdata"
)

type entry struct {
	name, link string
	typ        byte
	body       string
}

func tarBytes(t *testing.T, entries []entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Linkname: e.link, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

// writeConda writes a .conda with the given pkg entries and a minimal info.
func writeConda(t *testing.T, path string, pkg []entry) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	enc, _ := zstd.NewWriter(nil)
	w, _ := zw.Create("metadata.json")
	w.Write([]byte(`{"conda_pkg_format_version": 2}`))
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "info-x-1-0.tar.zst", Method: zip.Store})
	w.Write(enc.EncodeAll(tarBytes(t, []entry{{name: "info/index.json", typ: tar.TypeReg, body: `{"name": "x"}`}}), nil))
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "pkg-x-1-0.tar.zst", Method: zip.Store})
	w.Write(enc.EncodeAll(tarBytes(t, pkg), nil))
	zw.Close()
	f.Close()
}

func TestUnsafe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []entry
		msg     string
	}{
		{"abs", []entry{{name: "/etc/passwd", typ: tar.TypeReg, body: "x"}}, `refusing entry "/etc/passwd": absolute path`},
		{"dot-slash-abs", []entry{{name: ".//etc/passwd", typ: tar.TypeReg, body: "x"}}, `refusing entry ".//etc/passwd": absolute path`},
		{"dotdot", []entry{{name: "lib/../../evil", typ: tar.TypeReg, body: "x"}}, `refusing entry "lib/../../evil": path with ".."`},
		{"symlink-out", []entry{{name: "lib/l", typ: tar.TypeSymlink, link: "../../etc/passwd"}}, `symlink to "../../etc/passwd", outside the package`},
		{"symlink-abs", []entry{{name: "lib/l", typ: tar.TypeSymlink, link: "/etc/passwd"}}, `symlink to the absolute path "/etc/passwd"`},
		{"hardlink-out", []entry{{name: "lib/h", typ: tar.TypeLink, link: "../outside"}}, `hard link to "../outside"`},
		{"through-link", []entry{{name: "d", typ: tar.TypeSymlink, link: "."}, {name: "d/f", typ: tar.TypeReg, body: "x"}}, `written through the symlink "d"`},
		{"device", []entry{{name: "dev/null", typ: tar.TypeChar}}, "unsupported entry type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "evil-1.0-0.conda")
			writeConda(t, src, tc.entries)
			dest := filepath.Join(dir, "out", "evil-1.0-0")
			os.MkdirAll(filepath.Dir(dest), 0o755)
			_, err := Package(context.Background(), src, dest, Options{})
			var ue *UnsafeError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "evil-1.0-0.conda") {
				t.Fatalf("err = %v, want %q", err, tc.msg)
			}
			entries, _ := os.ReadDir(filepath.Dir(dest))
			if len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
			if _, err := os.Stat(filepath.Join(dir, "etc")); err == nil {
				t.Error("wrote outside the destination")
			}
		})
	}
}

func TestNotAPackage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "x-1-0.conda")
	os.WriteFile(bad, []byte("not a zip"), 0o644)
	if _, err := Package(context.Background(), bad, filepath.Join(dir, "x"), Options{}); err == nil || !strings.Contains(err.Error(), "not a valid .conda") {
		t.Errorf("err = %v", err)
	}
	gz := filepath.Join(dir, "y-1-0.tar.bz2")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("x"))
	zw.Close()
	os.WriteFile(gz, b.Bytes(), 0o644)
	if _, err := Package(context.Background(), gz, filepath.Join(dir, "y"), Options{}); err == nil || !strings.Contains(err.Error(), "corrupt archive") {
		t.Errorf("err = %v", err)
	}
}

// tree lists a directory: path → type and size or link target.
func tree(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, _ := os.Lstat(p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		case fi.IsDir():
			out[rel] = "dir"
		default:
			out[rel] = "file " + string(rune('0'+fi.Size()%10))
		}
		return nil
	})
	return out
}

// TestRealPackages extracts the real packages in ../shared/data.
func TestRealPackages(t *testing.T) {
	root := testdata.SharedPath(t, "packages")
	var archives []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, ".conda") || strings.HasSuffix(p, ".tar.bz2")) {
			archives = append(archives, p)
		}
		return err
	})
	sort.Strings(archives)
	if len(archives) < 20 {
		t.Fatalf("only %d archives found", len(archives))
	}
	for _, a := range archives {
		dest := filepath.Join(t.TempDir(), "x")
		res, err := Package(context.Background(), a, dest, Options{})
		if err != nil {
			t.Errorf("%s: %v", a, err)
			continue
		}
		if _, err := os.Stat(filepath.Join(dest, "info", "index.json")); err != nil {
			t.Errorf("%s: no info/index.json", filepath.Base(a))
		}
		for _, w := range res.Warnings {
			t.Logf("%s: %s: %s", filepath.Base(a), w.Entry, w.Reason)
		}
	}
	// Both formats of zlib give the same files (the .conda's two broken
	// links are skipped with a warning; the .tar.bz2 has them as empty files).
	z := filepath.Join(root, "anaconda-zlib", "linux-64", "zlib-1.2.11-h7b6447c_3")
	d1, d2 := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	r1, err1 := Package(context.Background(), z+".conda", d1, Options{})
	_, err2 := Package(context.Background(), z+".tar.bz2", d2, Options{})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if len(r1.Warnings) != 2 {
		t.Errorf("zlib .conda warnings = %v, want the two empty symlinks", r1.Warnings)
	}
	t1, t2 := tree(t, d1), tree(t, d2)
	for p, v := range t2 {
		if p == "lib/libz.so" || p == "lib/libz.so.1" {
			continue
		}
		if t1[p] != v {
			t.Errorf("%s: .conda has %q, .tar.bz2 has %q", p, t1[p], v)
		}
	}
	if t1["lib/libz.so.1.2.11"] == "" {
		t.Error("libz.so.1.2.11 missing")
	}
}
