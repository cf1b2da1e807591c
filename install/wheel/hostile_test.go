package wheel

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/wheelpkg"
)

func openRoot(t testing.TB, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestHostileWheels installs wheels that try to write outside
// site-packages' rules (conda-meta, absolute and "//" data paths), or
// that are not the locked project, and checks each is refused with its
// message and writes nothing.
func TestHostileWheels(t *testing.T) {
	site := "lib/python3.11/site-packages"
	cases := []struct {
		name, wantErr string
		edit          func(w *wheelpkg.Wheel, o *Options)
	}{
		{"data into conda-meta", `Tiny_Fmt-1.2.data/data/conda-meta/evil.json: the path "conda-meta/evil.json" is in conda-meta/, which only the installer writes`, func(w *wheelpkg.Wheel, o *Options) {
			w.Files = append(w.Files, wheelpkg.File{Path: "Tiny_Fmt-1.2.data/data/conda-meta/evil.json", Data: []byte("{}")})
		}},
		{"data with //", `Tiny_Fmt-1.2.data/data//etc/evil: the path after Tiny_Fmt-1.2.data/data/ is not a relative path`, func(w *wheelpkg.Wheel, o *Options) {
			w.Files = append(w.Files, wheelpkg.File{Path: "Tiny_Fmt-1.2.data/data//etc/evil", Data: []byte("x")})
		}},
		{"purelib into conda-meta via site-packages", `the path "conda-meta/x" is in conda-meta/`, func(w *wheelpkg.Wheel, o *Options) {
			o.SitePackages = "conda-meta"
		}},
		{"data dot-dot", `entry "Tiny_Fmt-1.2.data/data/../../../etc/evil" leaves the wheel's root`, func(w *wheelpkg.Wheel, o *Options) {
			w.Files = append(w.Files, wheelpkg.File{Path: "Tiny_Fmt-1.2.data/data/../../../etc/evil", Data: []byte("x")})
		}},
		{"another project", `it holds Tiny_Fmt 1.2, not the locked requests 2.31.0 \(Tiny_Fmt-1.2.dist-info\)`, func(w *wheelpkg.Wheel, o *Options) {
			o.Name, o.Version = "requests", "2.31.0"
		}},
		{"another version", `it holds Tiny_Fmt 1.2, not the locked tiny-fmt 1.3`, func(w *wheelpkg.Wheel, o *Options) {
			o.Name, o.Version = "tiny-fmt", "1.3"
		}},
		{"name not a project name", `METADATA's Name "x y" is not a project name`, func(w *wheelpkg.Wheel, o *Options) {
			w.Name = "x y"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := demo()
			o := Options{Prefix: "/p", SitePackages: site, PythonVersion: "3.11", Name: "tiny-fmt", Version: "1.2"}
			c.edit(w, &o)
			if o.SitePackages == "conda-meta" {
				w.Files = []wheelpkg.File{{Path: "x", Data: []byte("x")}}
			}
			data, err := w.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "w.whl")
			os.WriteFile(p, data, 0o644)
			stage := t.TempDir()
			o.Stage = openRoot(t, stage)
			_, err = Install(p, o)
			if err == nil || !matches(c.wantErr, err.Error()) {
				t.Fatalf("err = %v, want %s", err, c.wantErr)
			}
			if ents, _ := os.ReadDir(stage); len(ents) != 0 {
				t.Errorf("the refused wheel wrote %v", ents)
			}
		})
	}
}

// TestZipBomb: a wheel that declares gigabytes is refused before any
// is read; one whose headers lie about a file's size fails at the lie,
// having written at most the declared bytes, in bounded memory.
func TestZipBomb(t *testing.T) {
	const big = 2 << 30 // what the bomb inflates to
	// An honest bomb: headers declare 2 GiB for a few MB of deflate.
	for _, lie := range []bool{false, true} {
		name := "honest"
		if lie {
			name = "lying"
		}
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bomb-1.0-py3-none-any.whl")
			writeBomb(t, p, big/16, lie)
			fi, _ := os.Stat(p)
			stage := t.TempDir()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Install(p, Options{Stage: openRoot(t, stage), Prefix: "/p", SitePackages: "lib/python3.11/site-packages"})
			runtime.ReadMemStats(&after)
			want := fmt.Sprintf("-byte archive, more than %d: refusing it (a zip bomb?)", MaxUnpacked(fi.Size()))
			if lie {
				want = "bomb/data.bin: zip: not a valid zip file"
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want %q", err, want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("installing a %d-byte bomb allocated %d bytes", fi.Size(), alloc)
			}
			if ents, _ := os.ReadDir(stage); len(ents) != 0 {
				t.Errorf("the bomb wrote %v", ents)
			}
			t.Logf("%d-byte archive: %v", fi.Size(), err)
		})
	}
}

// writeBomb writes a wheel holding bomb/data.bin, n zero bytes; when lie,
// its headers (and RECORD) declare 1 byte.
func writeBomb(t *testing.T, p string, n int64, lie bool) {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	zero := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	h := sha256.New()
	for left := n; left > 0; left -= int64(len(zero)) {
		fw.Write(zero)
		crc.Write(zero)
		h.Write(zero)
	}
	fw.Close()
	size := uint64(n)
	sum := "sha256=" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	if lie {
		size, sum = 1, Hash([]byte{0})
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte) {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	add("bomb-1.0.dist-info/WHEEL", []byte("Wheel-Version: 1.0\n"))
	add("bomb-1.0.dist-info/METADATA", []byte("Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n"))
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "bomb/data.bin", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: size + 1})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	// A RECORD that lists it; the size field stays empty.
	add("bomb-1.0.dist-info/RECORD", []byte("bomb-1.0.dist-info/WHEEL,"+Hash([]byte("Wheel-Version: 1.0\n"))+",\nbomb-1.0.dist-info/METADATA,"+Hash([]byte("Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n"))+",\nbomb/data.bin,"+sum+",\nbomb-1.0.dist-info/RECORD,,\n"))
	zw.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func matches(re, s string) bool {
	ok, _ := regexp.MatchString(re, s)
	return ok
}

// FuzzInstall feeds arbitrary archives (seeded with real wheels, good and
// hostile) to Install with the stage under a temporary directory beside
// a canary: it must never panic, and nothing may appear outside the
// stage.
func FuzzInstall(f *testing.F) {
	good, err := demo().Bytes()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	evil := demo()
	evil.Files = append(evil.Files, wheelpkg.File{Path: "Tiny_Fmt-1.2.data/data/conda-meta/x.json", Data: []byte("{}")}, wheelpkg.File{Path: "Tiny_Fmt-1.2.data/data//abs", Data: []byte("x")})
	if b, err := evil.Bytes(); err == nil {
		f.Add(b)
	}
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		stage := filepath.Join(dir, "stage")
		os.Mkdir(stage, 0o755)
		p := filepath.Join(dir, "w.whl")
		os.WriteFile(p, data, 0o644)
		Install(p, Options{Stage: openRoot(t, stage), Prefix: "/p", SitePackages: "lib/python3.11/site-packages", PythonVersion: "3.11"})
		ents, _ := os.ReadDir(dir)
		if len(ents) != 2 {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Fatalf("beside the stage: %v", names)
		}
		filepath.WalkDir(stage, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type()&os.ModeSymlink != 0 {
				t.Errorf("a wheel made a symlink: %s", p)
			}
			return nil
		})
	})
}
