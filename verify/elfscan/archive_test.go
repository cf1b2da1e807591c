package elfscan_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/elftest"
	"github.com/envlock/envlock/internal/wheelpkg"
	"github.com/envlock/envlock/verify/elfscan"
)

// TestReadArchive finds a library needing GLIBC_2.30 inside a wheel, a
// .conda and a .tar.bz2, by its path in the package, and nothing else
// (text files, a symlink, non-ELF data that is not even 64 bytes).
func TestReadArchive(t *testing.T) {
	lib := elftest.LibNeedingGlibc(t, "2.30")
	dir := t.TempDir()
	w := &wheelpkg.Wheel{Name: "floorpkg", Version: "1.0", Tag: "py3-none-any", Files: []wheelpkg.File{
		{Path: "floorpkg/__init__.py", Data: []byte("x = 1\n")},
		{Path: "floorpkg/_native.so", Data: lib},
		{Path: "floorpkg/short.so", Data: []byte("\x7fELF")},
	}}
	wb, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{filepath.Join(dir, w.Filename()): "floorpkg/_native.so"}
	os.WriteFile(filepath.Join(dir, w.Filename()), wb, 0o644)
	p := &condapkg.Package{Name: "floorpkg", Version: "1.0", Build: "h0_0", Files: []condapkg.File{
		{Path: "lib/libfloor.so", Data: lib},
		{Path: "lib/libfloor.so.1", Symlink: "libfloor.so"},
		{Path: "share/doc.txt", Data: []byte("documentation\n")},
	}}
	for _, ext := range []string{".conda", ".tar.bz2"} {
		b, err := p.Bytes(ext)
		if err != nil {
			t.Fatal(err)
		}
		fn := filepath.Join(dir, p.Fn(ext))
		os.WriteFile(fn, b, 0o644)
		paths[fn] = "lib/libfloor.so"
	}
	for path, want := range paths {
		var got []string
		err := elfscan.ReadArchive(context.Background(), path, func(name string, info *elfscan.Info) error {
			got = append(got, name+" "+info.MaxVersion("GLIBC_"))
			return nil
		}, func(name string, err error) { t.Errorf("%s: %s unreadable: %v", path, name, err) })
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != want+" 2.30" {
			t.Errorf("%s: ELF files %q, want [%q]", filepath.Base(path), got, want+" 2.30")
		}
	}
	if err := elfscan.ReadArchive(context.Background(), filepath.Join(dir, "nope.zip"), nil, nil); err == nil {
		t.Error("ReadArchive accepted a .zip")
	}
	os.WriteFile(filepath.Join(dir, "broken.conda"), []byte("not a zip"), 0o644)
	if err := elfscan.ReadArchive(context.Background(), filepath.Join(dir, "broken.conda"), nil, nil); err == nil {
		t.Error("ReadArchive accepted a broken .conda")
	}
}

// FuzzReadArchive: whatever bytes a cached archive holds, ReadArchive
// returns an error or walks it; it never panics.
func FuzzReadArchive(f *testing.F) {
	w := &wheelpkg.Wheel{Name: "seed", Version: "1.0", Files: []wheelpkg.File{{Path: "seed/__init__.py", Data: []byte("x = 1\n")}}}
	if b, err := w.Bytes(); err == nil {
		f.Add(b, uint8(0))
	}
	p := &condapkg.Package{Name: "seed", Version: "1.0", Build: "0", Files: []condapkg.File{{Path: "lib/x", Data: []byte("\x7fELF" + string(make([]byte, 80)))}}}
	for i, ext := range []string{".conda", ".tar.bz2"} {
		if b, err := p.Bytes(ext); err == nil {
			f.Add(b, uint8(i+1))
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		path := filepath.Join(dir, "a"+[]string{".whl", ".conda", ".tar.bz2"}[kind%3])
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		elfscan.ReadArchive(context.Background(), path, func(string, *elfscan.Info) error { return nil }, nil)
	})
}
