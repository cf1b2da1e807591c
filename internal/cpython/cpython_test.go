package cpython

import (
	"context"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/verify/elfscan"
)

func TestSourceOf(t *testing.T) {
	for in, want := range map[string]string{
		"lib/python3.11/__pycache__/os.cpython-311.pyc":                                     "lib/python3.11/os.py",
		"lib/python3.11/__pycache__/_sysconfigdata__linux_x86_64-linux-gnu.cpython-311.pyc": "lib/python3.11/_sysconfigdata__linux_x86_64-linux-gnu.py",
		"lib/python3.11/json/__pycache__/decoder.cpython-311.pyc":                           "lib/python3.11/json/decoder.py",
	} {
		if got := sourceOf(in); got != want {
			t.Errorf("sourceOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVersionLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"2.17", "2.35", true}, {"2.35", "2.4", false}, {"2.2.5", "2.3", true}, {"2.34", "2.34", false}} {
		if got := versionLess(c.a, c.b); got != c.want {
			t.Errorf("versionLess(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// TestFixRunpath rewrites the RUNPATH of the source's own interpreter.
func TestFixRunpath(t *testing.T) {
	s := Locate(t)
	data, err := os.ReadFile(s.Executable)
	if err != nil {
		t.Fatal(err)
	}
	out, need, err := fixRunpath(data, s.Prefix, "bin")
	if err != nil {
		t.Fatal(err)
	}
	if need == "2.2.5" {
		t.Errorf("no GLIBC_ need found in %s", s.Executable)
	}
	p := filepath.Join(t.TempDir(), "python")
	os.WriteFile(p, out, 0o755)
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rp, _ := f.DynString(elf.DT_RUNPATH)
	if s.SOName != "" && (len(rp) != 1 || rp[0] != "$ORIGIN/../lib") {
		t.Errorf("RUNPATH = %q, want [$ORIGIN/../lib]", rp)
	}
}

// TestBuild packages the located CPython and checks the record: a
// python package for linux-64 whose __glibc dependency is the highest
// GLIBC_ need of its ELF files.
func TestBuild(t *testing.T) {
	s := Locate(t)
	ch := t.TempDir()
	p, err := s.Build(ch, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Record["name"] != "python" || p.Record["version"] != s.Version {
		t.Errorf("record = %v", p.Record)
	}
	if deps := p.Record["depends"].([]string); len(deps) != 1 || deps[0] != "__glibc >="+p.GlibcNeed {
		t.Errorf("depends = %v, want __glibc >=%s", deps, p.GlibcNeed)
	}
	if _, err := os.Stat(filepath.Join(ch, "linux-64", p.Filename)); err != nil {
		t.Error(err)
	}
	t.Logf("%s: %d files, glibc >=%s, %v bytes", p.Filename, p.Files, p.GlibcNeed, p.Record["size"])

	// No ELF file's RPATH/RUNPATH names the build prefix any more.
	elfs := 0
	err = elfscan.ReadArchive(context.Background(), filepath.Join(ch, "linux-64", p.Filename), func(name string, info *elfscan.Info) error {
		elfs++
		for _, rp := range append(info.RunPath, info.RPath...) {
			if !strings.HasPrefix(rp, "$ORIGIN") {
				t.Errorf("%s: RUNPATH entry %q is not $ORIGIN-relative", name, rp)
			}
		}
		return nil
	}, func(name string, err error) { t.Errorf("%s: %v", name, err) })
	if err != nil {
		t.Fatal(err)
	}
	if elfs < 10 {
		t.Errorf("only %d ELF files in the package", elfs)
	}
}
