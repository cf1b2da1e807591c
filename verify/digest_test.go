package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/verify/elfscan"
)

// TestELFScanFromHashedBytes checks that the ELF scan verify runs from
// the bytes it hashed (and, with --quick, through the descriptors it
// stats) finds what elfscan.Scan finds reading the files itself: real
// ELF files built by the test, one larger than the read buffer (its
// dynamic section is read again by offset), a link to one, and files
// that are not ELF.
func TestELFScanFromHashedBytes(t *testing.T) {
	native := nativeELF(t)
	for _, f := range native.Files {
		if f.Path == "lib/libfuture.so" {
			// Bytes after the last section leave an ELF file as valid.
			big := append(bytes.Clone(f.Data), make([]byte, 3*digestBuf)...)
			native.Files = append(native.Files, condapkg.File{Path: "lib/libfuture-big.so", Data: big})
			break
		}
	}
	native.Files = append(native.Files,
		condapkg.File{Path: "lib/libgood.so.1", Symlink: "libgood.so"},
		condapkg.File{Path: "share/elfish", Data: []byte("\x7fELF but short")},
		condapkg.File{Path: "share/empty", Data: nil},
	)
	e := demoEnv(t, native)
	h := glibcHost(t, nil)

	full := e.verify(t, Options{Host: h})
	quick := e.verify(t, Options{Host: h, Quick: true})
	if full.Files.Bytes == 0 || quick.Files.Bytes != 0 {
		t.Fatalf("hashed %d bytes in full, %d quick; want some and none", full.Files.Bytes, quick.Files.Bytes)
	}
	// The files verify's walk gives the scan: all but conda-meta and
	// byte-code caches.
	var files []string
	filepath.WalkDir(e.prefix, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() && (d.Name() == "conda-meta" || d.Name() == "__pycache__") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, rel(e.prefix, p))
		}
		return nil
	})
	ref, err := elfscan.Scan(context.Background(), elfscan.Options{Prefix: e.prefix, Files: files, Libc: h.Libc, Glibc: h.Glibc, LibDirs: h.LibDirs, Floor: full.ELF.Floor,
		Owner: func(string) string { return "native-1.0-h0_0" }})
	if err != nil {
		t.Fatal(err)
	}
	if ref.ELF < 6 {
		t.Fatalf("the scan found %d dynamic ELF files, want at least the package's 6", ref.ELF)
	}
	for name, r := range map[string]*Report{"verify": full, "verify --quick": quick} {
		if diff := cmp.Diff(ref, r.ELF.Result); diff != "" {
			t.Errorf("ELF scan of %s (-scan reading the files +%[1]s):\n%s", name, diff)
		}
	}
	var big []string
	for _, p := range full.ELF.Problems {
		if p.File == "lib/libfuture-big.so" {
			big = append(big, p.Kind+" "+p.Need)
		}
	}
	if want := []string{elfscan.KindGlibc + " GLIBC_99.0"}; !cmp.Equal(big, want) {
		t.Errorf("problems of the file larger than the buffer = %q, want %q", big, want)
	}
}

// TestDigestSize checks reads bounded by the size fstat gave: a file
// that grew since is read to its end, one that shrank to its end, and
// one larger than the buffer whole.
func TestDigestSize(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for _, tc := range []struct {
		name       string
		size, stat int64
	}{
		{"exact", 1000, 1000},
		{"grew", 1000, 500},
		{"shrank", 1000, 2000},
		{"empty", 0, 0},
		{"grew from empty", 10, 0},
		{"buffer", digestBuf, digestBuf},
		{"larger than the buffer", 2*digestBuf + 7, 2*digestBuf + 7},
		{"grew past the buffer", 2*digestBuf + 7, digestBuf - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.Repeat([]byte("0123456789abcdef"), int(tc.size/16)+1)[:tc.size]
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			tr, err := openTree(filepath.Dir(p))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.close()
			fi, c, err := tr.lstatOpen("f", true)
			if err != nil || c == nil {
				t.Fatalf("lstatOpen: %v, %v", fi, err)
			}
			defer c.close()
			c = withSize(c, tc.stat)
			d := newDigester(true)
			n, err := c.digest(d, "f")
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.size {
				t.Errorf("read %d bytes, want %d", n, tc.size)
			}
			if got, want := d.h.Sum(nil), sha256.Sum256(data); !bytes.Equal(got, want[:]) {
				t.Errorf("sha256 %x, want %x", got, want)
			}
			if in := d.seen["f"]; in.Err != elfscan.ErrNotELF {
				t.Errorf("inspection %+v, want not ELF", in)
			}
		})
	}
}
