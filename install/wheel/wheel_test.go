package wheel

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/internal/wheelpkg"
)

func demo() *wheelpkg.Wheel {
	return &wheelpkg.Wheel{
		Name: "Tiny_Fmt", Version: "1.2",
		ConsoleScripts: []string{"tinyfmt = tinyfmt.cli:main", "tinyfmt-mod=tinyfmt.cli"},
		Files: []wheelpkg.File{
			{Path: "tinyfmt/__init__.py", Data: []byte("VERSION = '1.2'\n")},
			{Path: "tinyfmt/cli.py", Data: []byte("import sys\n\ndef main():\n    print('tinyfmt', sys.argv[1:])\n    return 0\n")},
			{Path: "Tiny_Fmt-1.2.data/scripts/tinyfmt-sh", Data: []byte("#!python\nimport tinyfmt\nprint('script', tinyfmt.VERSION)\n"), Exec: true},
			{Path: "Tiny_Fmt-1.2.data/data/share/tinyfmt/README", Data: []byte("data file\n")},
			{Path: "Tiny_Fmt-1.2.data/headers/tinyfmt.h", Data: []byte("#define TINY 1\n")},
		},
	}
}

func writeWheel(t *testing.T, w *wheelpkg.Wheel) string {
	t.Helper()
	data, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), w.Filename())
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// systemPython makes prefix a venv-style environment of the system's
// python3 (bin/python and pyvenv.cfg) and returns its "3.X".
func systemPython(t *testing.T, prefix string) string {
	t.Helper()
	py := testenv.Tool(t, "python3", "importing the installed wheel needs it: apt-get install python3")
	out, err := exec.Command(py, "-c", "import sys, os; print('%d.%d' % sys.version_info[:2]); print(os.path.dirname(os.path.realpath(sys.executable)))").Output()
	if err != nil {
		t.Fatalf("%s does not run: %v", py, err)
	}
	lines := strings.Fields(string(out))
	os.MkdirAll(filepath.Join(prefix, "bin"), 0o755)
	if err := os.Symlink(filepath.Join(lines[1], "python"+lines[0]), filepath.Join(prefix, "bin", "python")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(prefix, "pyvenv.cfg"), []byte("home = "+lines[1]+"\ninclude-system-site-packages = false\n"), 0o644)
	return lines[0]
}

func TestInstallAndImport(t *testing.T) {
	prefix := t.TempDir()
	pyver := systemPython(t, prefix)
	site := "lib/python" + pyver + "/site-packages"
	res, err := Install(writeWheel(t, demo()), Options{Stage: openRoot(t, prefix), Prefix: prefix, SitePackages: site, PythonVersion: pyver, URL: "file:///wheels/x.whl", Requested: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Name != "Tiny_Fmt" || res.Version != "1.2" || res.DistInfo != site+"/Tiny_Fmt-1.2.dist-info" {
		t.Errorf("result: %+v", res)
	}
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(filepath.Join(prefix, "bin", name), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("python", "-c", "import tinyfmt, sys; print(tinyfmt.VERSION, sys.prefix == sys.base_prefix)"); got != "1.2 False" {
		t.Errorf("import: %q", got)
	}
	if got := run("tinyfmt", "a", "b"); got != "tinyfmt ['a', 'b']" {
		t.Errorf("console script: %q", got)
	}
	if got := run("tinyfmt-sh"); got != "script 1.2" {
		t.Errorf(".data script: %q", got)
	}
	for _, p := range []string{"share/tinyfmt/README", "include/python" + pyver + "/Tiny_Fmt/tinyfmt.h", site + "/Tiny_Fmt-1.2.dist-info/REQUESTED", site + "/Tiny_Fmt-1.2.dist-info/direct_url.json"} {
		if _, err := os.Stat(filepath.Join(prefix, p)); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	inst, _ := os.ReadFile(filepath.Join(prefix, site, "Tiny_Fmt-1.2.dist-info", "INSTALLER"))
	if string(inst) != "envlock\n" {
		t.Errorf("INSTALLER = %q", inst)
	}
	// The installed RECORD lists every installed file with its hash,
	// relative to site-packages.
	rec, err := ReadRecordFile(filepath.Join(prefix, site, "Tiny_Fmt-1.2.dist-info"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != len(res.Files) {
		t.Errorf("RECORD has %d entries, %d files installed", len(rec), len(res.Files))
	}
	for _, e := range rec {
		data, err := os.ReadFile(filepath.Join(prefix, site, filepath.FromSlash(e.Path)))
		if err != nil {
			t.Errorf("RECORD entry %s: %v", e.Path, err)
			continue
		}
		if e.Hash != "" {
			if err := CheckHash(e.Hash, data); err != nil {
				t.Errorf("%s: %v", e.Path, err)
			}
		}
	}
	// Uninstall by RECORD leaves the prefix as it was.
	if err := Uninstall(prefix, site, "Tiny_Fmt-1.2.dist-info"); err != nil {
		t.Fatal(err)
	}
	var left []string
	filepath.Walk(prefix, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			r, _ := filepath.Rel(prefix, p)
			left = append(left, r)
		}
		return nil
	})
	if strings.Join(left, " ") != "bin/python pyvenv.cfg" {
		t.Errorf("after uninstall: %v", left)
	}
}

// TestTampered: a wheel whose file does not match RECORD installs
// nothing.
func TestTampered(t *testing.T) {
	data, err := demo().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		r, _ := f.Open()
		var b bytes.Buffer
		b.ReadFrom(r)
		content := b.Bytes()
		if f.Name == "tinyfmt/cli.py" {
			content = []byte("import os; os.system('evil')\n")
		}
		w, _ := zw.Create(f.Name)
		w.Write(content)
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "Tiny_Fmt-1.2-py3-none-any.whl")
	os.WriteFile(p, buf.Bytes(), 0o644)
	stage := t.TempDir()
	_, err = Install(p, Options{Stage: openRoot(t, stage), Prefix: stage, SitePackages: "lib/python3.11/site-packages"})
	if err == nil || !strings.Contains(err.Error(), "tinyfmt/cli.py: content has sha256=") || !strings.Contains(err.Error(), "corrupt or was altered") {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(stage); len(entries) != 0 {
		t.Errorf("a tampered wheel wrote files: %v", entries)
	}
}

func TestReadRecord(t *testing.T) {
	es, err := ReadRecord(strings.NewReader("a/b.py,sha256=AAA,12\n\"we,ird.py\",sha256=BBB,3\na.dist-info/RECORD,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 || es[1].Path != "we,ird.py" || es[2].Size != -1 || es[0].Size != 12 {
		t.Errorf("%+v", es)
	}
	for in, msg := range map[string]string{"a,b\n": "want path,hash,size", "a,sha256=x,-1\n": "not a number", "a,nohash,1\n": "ALGORITHM=DIGEST", ",,\n": "empty path"} {
		if _, err := ReadRecord(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ReadRecord(%q) = %v, want %q", in, err, msg)
		}
	}
}

func FuzzReadRecord(f *testing.F) {
	f.Add([]byte("a/b.py,sha256=AAA,12\n\"x,y\",,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadRecord(bytes.NewReader(data))
	})
}
