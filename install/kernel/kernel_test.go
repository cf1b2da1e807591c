package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/internal/golden"
	"github.com/envlock/envlock/lock/lockfile"
)

// env describes a test environment to lay out.
type env struct {
	packages  []string // name-version-build, as the marker and conda-meta hold them
	python    string   // bin/python: a symlink to this, or a stub file when ""
	r         bool     // bin/R
	pipKernel bool     // ipykernel importable from site-packages, not a conda package
	logos     bool
	activate  bool // an etc/conda/activate.d script
	kernel    *lockfile.Kernel
}

// mkEnv lays out an envlock environment as install.Apply leaves one: the
// marker, conda-meta records, the interpreters and ipykernel's resources.
func mkEnv(t testing.TB, prefix string, e env) {
	t.Helper()
	write := func(rel string, data []byte, mode os.FileMode) {
		p := filepath.Join(prefix, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	m := install.Marker{
		Lock: "/projects/demo/env.lock", LockHash: strings.Repeat("ab", 32), Name: "demo", Platform: "linux-64",
		Signature: "not checked", Packages: e.packages,
		Env:    map[string]string{"GREETING": "hi there", "OMP_NUM_THREADS": "1"},
		Kernel: e.kernel,
	}
	data, _ := json.MarshalIndent(m, "", "  ")
	write("conda-meta/envlock.json", data, 0o644)
	for _, p := range e.packages {
		write("conda-meta/"+p+".json", []byte(`{"name": "x"}`), 0o644)
	}
	if e.python != "" {
		os.MkdirAll(filepath.Join(prefix, "bin"), 0o755)
		if err := os.Symlink(e.python, filepath.Join(prefix, "bin", "python")); err != nil {
			t.Fatal(err)
		}
	} else {
		write("bin/python", []byte("#!/bin/sh\n"), 0o755)
	}
	if e.r {
		write("bin/R", []byte("#!/bin/sh\n"), 0o755)
		write("lib/R/library/IRkernel/DESCRIPTION", []byte("Package: IRkernel\n"), 0o644)
		if e.logos {
			write("lib/R/library/IRkernel/kernelspec/logo-64.png", logoPNG(64), 0o644)
		}
	}
	if e.pipKernel {
		write("lib/python3.11/site-packages/ipykernel/__init__.py", nil, 0o644)
	}
	if e.logos {
		res := "lib/python3.11/site-packages/ipykernel/resources/"
		write(res+"logo-32x32.png", logoPNG(32), 0o644)
		write(res+"logo-64x64.png", logoPNG(64), 0o644)
		write(res+"logo-svg.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30" fill="#f37726"/></svg>`+"\n"), 0o644)
	}
	if e.activate {
		write("etc/conda/activate.d/proj.sh", []byte("export PROJ_DATA=x\n"), 0o644)
	}
}

// logoPNG encodes a real PNG of n×n pixels.
func logoPNG(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for i := 0; i < n; i++ {
		img.Set(i, i, color.RGBA{0xf3, 0x77, 0x26, 0xff})
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

const ipykernel = "ipykernel-6.29.5-pyh3099207_0"

func TestFor(t *testing.T) {
	tests := []struct {
		name    string
		env     env
		opts    Options
		golden  string // testdata file for kernel.json, with the prefix as /PREFIX
		want    func(t *testing.T, k *Kernel)
		wantErr string
	}{
		{
			name: "python with logos", env: env{packages: []string{"python-3.11.9-h_cpython", ipykernel}, logos: true},
			golden: "python.kernel.json",
			want: func(t *testing.T, k *Kernel) {
				var names []string
				for _, l := range k.Logos {
					names = append(names, filepath.Base(l))
				}
				if diff := cmp.Diff([]string{"logo-32x32.png", "logo-64x64.png", "logo-svg.svg"}, names); diff != "" {
					t.Errorf("logos (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "the lock's kernel settings", golden: "lockkernel.kernel.json",
			env: env{packages: []string{ipykernel}, kernel: &lockfile.Kernel{Name: "Demo-GPU", DisplayName: "Demo (GPU)", Env: map[string]string{"OMP_NUM_THREADS": "8", "MPLBACKEND": "agg"}}},
			want: func(t *testing.T, k *Kernel) {
				if k.Name != "demo-gpu" {
					t.Errorf("name %q, want the lock's, lowercased as Jupyter does", k.Name)
				}
			},
		},
		{
			name: "flags over the lock", env: env{packages: []string{ipykernel}, kernel: &lockfile.Kernel{Name: "demo-gpu", DisplayName: "Demo (GPU)"}},
			opts: Options{Name: "other", DisplayName: "Other", Env: map[string]string{"GREETING": "flag"}},
			want: func(t *testing.T, k *Kernel) {
				if k.Name != "other" || k.Spec.DisplayName != "Other" || k.Spec.Env["GREETING"] != "flag" {
					t.Errorf("got %q %q %q", k.Name, k.Spec.DisplayName, k.Spec.Env["GREETING"])
				}
			},
		},
		{
			name: "ipykernel from pypi", env: env{packages: []string{"python-3.11.9-h_cpython"}, pipKernel: true},
			want: func(t *testing.T, k *Kernel) {
				if k.Spec.Language != "python" || len(k.Logos) != 0 {
					t.Errorf("language %q, logos %v", k.Spec.Language, k.Logos)
				}
			},
		},
		{
			name: "R", env: env{packages: []string{"r-base-4.3.3-hb8ee39d_0", "r-irkernel-1.3.2-r43h785f33e_2"}, r: true, logos: true},
			golden: "r.kernel.json",
			want: func(t *testing.T, k *Kernel) {
				if len(k.Logos) != 1 || filepath.Base(k.Logos[0]) != "logo-64.png" {
					t.Errorf("logos %v", k.Logos)
				}
			},
		},
		{
			name: "activate.d scripts are noted", env: env{packages: []string{ipykernel}, activate: true},
			want: func(t *testing.T, k *Kernel) {
				if len(k.Notes) != 1 || !strings.Contains(k.Notes[0], "activate.d") {
					t.Errorf("notes %q", k.Notes)
				}
			},
		},
		{
			name: "no kernel package", env: env{packages: []string{"python-3.11.9-h_cpython", "ipykernel-extras-1.0-0"}},
			wantErr: "it has neither ipykernel (for a Python kernel) nor r-irkernel (for an R kernel); add one to dependencies in env.cue",
		},
		{
			name: "R asked for, python only", env: env{packages: []string{ipykernel}}, opts: Options{Language: "R"},
			wantErr: "it has no r-irkernel, which a R kernel needs",
		},
		{
			name: "unknown language", env: env{packages: []string{ipykernel}}, opts: Options{Language: "julia"},
			wantErr: `unknown kernel language "julia" (known: python, R)`,
		},
		{
			name: "bad name", env: env{packages: []string{ipykernel}}, opts: Options{Name: "my kernel"},
			wantErr: `kernel name "my kernel": Jupyter allows only letters, digits and "._-"; choose one with --name`,
		},
		{
			name: "no interpreter", env: env{packages: []string{"r-irkernel-1.3.2-r43h785f33e_2"}},
			wantErr: "has r-irkernel but no",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "envs", "demo")
			mkEnv(t, prefix, tt.env)
			k, err := For(prefix, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil {
				tt.want(t, k)
			}
			if tt.golden != "" {
				got := bytes.ReplaceAll(k.Spec.Encode(), []byte(prefix), []byte("/PREFIX"))
				golden.Check(t, filepath.Join("testdata", tt.golden), got)
			}
		})
	}
}

func TestForNotEnvlock(t *testing.T) {
	dir := t.TempDir()
	_, err := For(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "is not a conda environment (no conda-meta/); make one with 'envlock install -p") {
		t.Errorf("error %v", err)
	}
	mkEnv(t, dir, env{})
	_, err = For(dir, Options{})
	if !errors.Is(err, ErrNoKernelPackage) {
		t.Errorf("error %v, want ErrNoKernelPackage", err)
	}
}

func TestInstallListRemove(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "jupyter")
	kernels := KernelsDir(data)
	a := filepath.Join(root, "envs", "a")
	b := filepath.Join(root, "envs", "b")
	mkEnv(t, a, env{packages: []string{ipykernel}, logos: true})
	mkEnv(t, b, env{packages: []string{ipykernel}})

	ka, err := For(a, Options{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := ka.Install(kernels, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("installed kernel lacks %s", f)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "logo-64x64.png")); !bytes.Equal(got, logoPNG(64)) {
		t.Error("logo-64x64.png is not the environment's")
	}
	// Installing again replaces it, leaving nothing beside it.
	ka.Spec.DisplayName = "A again"
	if _, err := ka.Install(kernels, false); err != nil {
		t.Fatal(err)
	}
	kb, _ := For(b, Options{Name: "b"})
	if _, err := kb.Install(kernels, false); err != nil {
		t.Fatal(err)
	}
	// A kernel someone else wrote, and a broken one.
	foreign := filepath.Join(kernels, "python3")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "kernel.json"), []byte(`{"argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Python 3", "language": "python", "metadata": {"debugger": true}}`), 0o644)
	broken := filepath.Join(kernels, "broken")
	os.MkdirAll(broken, 0o755)
	os.WriteFile(filepath.Join(broken, "kernel.json"), []byte(`{"argv": [`), 0o644)

	des, _ := os.ReadDir(kernels)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	if diff := cmp.Diff([]string{"a", "b", "broken", "python3"}, names); diff != "" {
		t.Errorf("kernels directory (-want +got):\n%s", diff)
	}

	// b's environment goes away: b is dangling.
	os.RemoveAll(b)
	entries, problems := List([]string{data, filepath.Join(root, "nowhere")})
	type row struct {
		Name, Display string
		Dangling      bool
		Why           string
	}
	var got []row
	for _, e := range entries {
		got = append(got, row{e.Name, e.Spec.DisplayName, e.Dangling, e.Why})
	}
	want := []row{{"a", "A again", false, ""}, {"b", "b", true, b + " is gone"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "broken/kernel.json: not valid JSON") || !strings.HasSuffix(problems[0], "; skipped") {
		t.Errorf("problems %q", problems)
	}

	// Replacing or removing the foreign kernel is refused.
	kf, _ := For(a, Options{Name: "python3"})
	if _, err := kf.Install(kernels, false); !errors.Is(err, ErrNotEnvlockKernel) || !strings.Contains(err.Error(), "pass --force to replace it") {
		t.Errorf("installing over a foreign kernel: %v", err)
	}
	if err := Remove(kernels, "python3"); !errors.Is(err, ErrNotEnvlockKernel) || !strings.Contains(err.Error(), "'jupyter kernelspec remove python3'") {
		t.Errorf("removing a foreign kernel: %v", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "kernel.json")); err != nil {
		t.Error("the foreign kernel was touched")
	}
	if err := Remove(kernels, "nope"); err == nil || !strings.Contains(err.Error(), `no kernel "nope" in`) {
		t.Errorf("removing a missing kernel: %v", err)
	}
	if err := Remove(kernels, "B"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(kernels, "b")); !os.IsNotExist(err) {
		t.Error("b is still there")
	}
	// --force replaces the foreign one.
	if _, err := kf.Install(kernels, true); err != nil {
		t.Fatal(err)
	}
	if o, err := ReadEnvlock(foreign); err != nil || o.Prefix != a {
		t.Errorf("after --force: %v %v", o, err)
	}
}

func TestShadowed(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "env")
	mkEnv(t, p, env{packages: []string{ipykernel}})
	k, _ := For(p, Options{})
	for _, d := range []string{"first", "second"} {
		if _, err := k.Install(KernelsDir(filepath.Join(root, d)), false); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := List([]string{filepath.Join(root, "first"), filepath.Join(root, "second")})
	if len(entries) != 1 || entries[0].Dir != filepath.Join(root, "first", "kernels", "demo") {
		t.Errorf("entries %+v, want only the first directory's", entries)
	}
}

func TestDataDir(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"JUPYTER_DATA_DIR": "/j", "XDG_DATA_HOME": "/x", "HOME": "/h"}, "/j"},
		{map[string]string{"XDG_DATA_HOME": "/x", "HOME": "/h"}, "/x/jupyter"},
		{map[string]string{"XDG_DATA_HOME": "relative", "HOME": "/h"}, "/h/.local/share/jupyter"},
		{map[string]string{"HOME": "/h"}, "/h/.local/share/jupyter"},
	}
	for _, tt := range tests {
		got, err := DataDir(func(k string) string { return tt.env[k] })
		if err != nil || got != tt.want {
			t.Errorf("DataDir(%v) = %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
	if _, err := DataDir(func(string) string { return "" }); err == nil {
		t.Error("DataDir with no HOME and no JUPYTER_DATA_DIR succeeded")
	}
	got := SearchPath(func(k string) string {
		return map[string]string{"HOME": "/h", "JUPYTER_PATH": "/site/jupyter:/h/.local/share/jupyter"}[k]
	})
	want := []string{"/h/.local/share/jupyter", "/site/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SearchPath (-want +got):\n%s", diff)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in, err string
	}{
		{`{"argv": ["python"], "display_name": "P", "language": "python", "metadata": {"envlock": {"prefix": "/e"}, "debugger": true}}`, ""},
		{`{"argv": ["python"], "display_name": "P"}`, ""},
		{`{"argv": [], "display_name": "P"}`, `no "argv"`},
		{`{"argv": ["x"]}`, `no "display_name"`},
		{`{"argv": "python", "display_name": "P"}`, "not a kernelspec"},
		{`{"argv": ["x"], "display_name": "P", "metadata": []}`, "not a kernelspec"},
		{`{"argv`, "not valid JSON at byte"},
		{`[]`, "not a kernelspec"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("Parse(%s): %v, want %q", tt.in, err, tt.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"argv": ["/e/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "P", "language": "python", "env": {"A": "b"}, "metadata": {"envlock": {"prefix": "/e", "env": "e", "lock": "/p/env.lock", "lock_sha256": "00"}}}`))
	f.Add([]byte(`{"argv": ["x"], "display_name": "P", "metadata": null}`))
	f.Add([]byte(`{"argv": [null], "display_name": ""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		if len(s.Argv) == 0 || s.DisplayName == "" {
			t.Fatalf("Parse accepted a spec Jupyter cannot start: %+v", s)
		}
		// What Parse accepts, Encode writes and Parse reads back the same.
		back, err := Parse(s.Encode())
		if err != nil {
			t.Fatalf("re-parsing the encoded spec: %v", err)
		}
		if diff := cmp.Diff(s, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// TestForForeignEnv: a conda environment envlock did not install (no
// marker) gets a kernel named after its directory, found by its
// conda-meta records, with a note that it names no lock.
func TestForForeignEnv(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "envs", "analysis")
	mkEnv(t, prefix, env{packages: []string{ipykernel}})
	if err := os.Remove(filepath.Join(prefix, "conda-meta", "envlock.json")); err != nil {
		t.Fatal(err)
	}
	k, err := For(prefix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k.Name != "analysis" || k.Spec.Language != "python" || k.Spec.Metadata.Envlock.Lock != "" || k.Spec.Env["GREETING"] != "" {
		t.Errorf("kernel %+v, spec %+v", k, k.Spec)
	}
	if len(k.Notes) != 1 || k.Notes[0] != prefix+" was not installed by envlock: the kernel records no lock" {
		t.Errorf("notes %q", k.Notes)
	}
}
