package extract

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envlock/envlock/internal/hostile"
)

// TestWritersKeepOrder extracts an archive whose small files go to the
// writer goroutines while the extractor goes on: a later entry of the
// same name must win over a small file not yet written, a hard link must
// see its file written, and every file must keep its archive mtime,
// whichever path wrote it.
func TestWritersKeepOrder(t *testing.T) {
	base := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	want := map[string]string{}
	mtimes := map[string]time.Time{}
	add := func(name, data string, mtime time.Time) {
		t.Helper()
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(data))
		want[name], mtimes[name] = data, mtime
	}
	add("info/index.json", `{"name": "order", "version": "1", "build": "0"}`, base)
	for i := range 400 {
		add(fmt.Sprintf("lib/d%d/f%03d.py", i%7, i), fmt.Sprintf("file %d\n", i), base.Add(time.Duration(i)*time.Second))
	}
	add("lib/dup", "first", base)
	add("lib/big", strings.Repeat("big file, written in line\n", (asyncMax/26)+100), base.Add(-time.Hour))
	add("lib/dup", "second", base.Add(time.Minute))
	tw.WriteHeader(&tar.Header{Name: "lib/dup-link", Linkname: "lib/dup", Typeflag: tar.TypeLink, ModTime: base})
	want["lib/dup-link"] = "second"
	mtimes["lib/dup-link"] = base.Add(time.Minute)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "order-1-0.tar.bz2")
	if err := os.WriteFile(src, hostile.Bzip2(buf.Bytes()), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "out")
	if _, err := Package(context.Background(), src, dest, Options{}); err != nil {
		t.Fatal(err)
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != data {
			t.Errorf("%s holds %.20q, want %.20q", name, got, data)
		}
		fi, err := os.Stat(filepath.Join(dest, name))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(mtimes[name]) {
			t.Errorf("%s mtime %v, want the archive's %v", name, fi.ModTime().UTC(), mtimes[name])
		}
	}
}
