package wheel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/wheelpkg"
)

// TestUnpack unpacks a wheel into a cache-like directory: the files are
// there, CheckUnpacked is clean until a file is edited (as through a
// hard link) and then names it, and DropCompiled removes byte-code.
// Hostile wheels are refused with nothing left beside the destination.
func TestUnpack(t *testing.T) {
	w := demo()
	data, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	p := filepath.Join(cache, w.Filename())
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(cache, strings.TrimSuffix(w.Filename(), ".whl"))
	if err := Unpack(context.Background(), p, dest, ".tmp-", 0, 0); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dest, w.DistInfo(), "RECORD")
	if _, err := os.Stat(rec); err != nil {
		t.Fatal(err)
	}
	if bad, err := CheckUnpacked(dest); err != nil || bad != "" {
		t.Fatalf("CheckUnpacked = %q, %v; want clean", bad, err)
	}
	meta := filepath.Join(dest, w.DistInfo(), "METADATA")
	if err := os.WriteFile(meta, []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if bad, _ := CheckUnpacked(dest); bad != w.DistInfo()+"/METADATA" {
		t.Errorf("CheckUnpacked after an edit = %q, want %s/METADATA", bad, w.DistInfo())
	}
	pc := filepath.Join(dest, "tiny_fmt", "__pycache__")
	if err := os.MkdirAll(pc, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(pc, "x.cpython-311.pyc"), []byte("x"), 0o644)
	if err := DropCompiled(dest); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pc); err == nil {
		t.Error("DropCompiled left __pycache__")
	}

	for _, c := range []struct{ name, path, want string }{
		{"dot-dot", "Tiny_Fmt-1.2.data/data/../../../etc/evil", `entry "Tiny_Fmt-1.2.data/data/../../../etc/evil" leaves the wheel's root`},
		{"absolute", "/etc/evil", `entry "/etc/evil" leaves the wheel's root`},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := demo()
			w.Files = append(w.Files, wheelpkg.File{Path: c.path, Data: []byte("x")})
			data, err := w.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "w.whl")
			os.WriteFile(p, data, 0o644)
			err = Unpack(context.Background(), p, filepath.Join(dir, "w"), ".tmp-", 0, 0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %s", err, c.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("the refused wheel left %v", ents)
			}
		})
	}
}
