package module

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/internal/golden"
)

// demo is the description the golden files hold.
var demo = Desc{
	Name: "demo", Version: "1.0", Prefix: "/blue/lab/envs/demo", Env: "demo",
	Lock: "/blue/lab/projects/demo/env.lock", LockSHA256: strings.Repeat("ab", 32),
	Vars: [][2]string{
		{"CONDA_DEFAULT_ENV", "/blue/lab/envs/demo"},
		{"CONDA_PREFIX", "/blue/lab/envs/demo"},
		{"GREETING", "hi there"},
		{"OMP_NUM_THREADS", "1"},
	},
}

func TestGolden(t *testing.T) {
	for _, f := range []Format{Lua, Tcl} {
		got := Render(f, demo)
		path := filepath.Join("testdata", "demo."+string(f))
		golden.Check(t, path, got)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, lua, tcl string }{
		{"/blue/lab/envs/demo", `"/blue/lab/envs/demo"`, `/blue/lab/envs/demo`},
		{"hi there", `"hi there"`, `"hi there"`},
		{`a "b" $HOME [x] {y} \ 'z'`, `"a \"b\" $HOME [x] {y} \\ 'z'"`, `"a \"b\" \$HOME \[x\] \{y\} \\ 'z'"`},
		{"two\nlines\x01", `"two\nlines\001"`, "\"two\nlines\\u0001\""},
		{"", `""`, `""`},
	}
	for _, tt := range tests {
		if got := luaString(tt.in); got != tt.lua {
			t.Errorf("luaString(%q) = %s, want %s", tt.in, got, tt.lua)
		}
		if got := tclString(tt.in); got != tt.tcl {
			t.Errorf("tclString(%q) = %s, want %s", tt.in, got, tt.tcl)
		}
	}
	if got := luaLong("x ]] y ]=] z"); got != "[==[\nx ]] y ]=] z\n]==]" {
		t.Errorf("luaLong picked the wrong level: %s", got)
	}
}

// mkEnv lays out an envlock environment holding a tool, bin/greet.
func mkEnv(t testing.TB, prefix, name string, env map[string]string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(prefix, "conda-meta"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := install.Marker{Lock: "/projects/" + name + "/env.lock", LockHash: strings.Repeat("cd", 32), Name: name, Platform: "linux-64", Env: env}
	data, _ := json.MarshalIndent(m, "", "  ")
	os.MkdirAll(filepath.Dir(filepath.Join(prefix, "conda-meta", install.MarkerFile)), 0o755)
	os.WriteFile(filepath.Join(prefix, "conda-meta", install.MarkerFile), data, 0o644)
	os.MkdirAll(filepath.Join(prefix, "bin"), 0o755)
	os.WriteFile(filepath.Join(prefix, "bin", "greet"), []byte("#!/bin/sh\necho hello from "+name+"\n"), 0o755)
}

func TestFor(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "envs", "demo")
	mkEnv(t, prefix, "demo", map[string]string{"GREETING": "hi there"})
	tests := []struct {
		name, modName, version string
		format                 Format
		path, err              string
	}{
		{name: "lua", modName: "demo", version: "1.0", format: Lua, path: "demo/1.0.lua"},
		{name: "tcl", modName: "demo", version: "2024.05", format: Tcl, path: "demo/2024.05"},
		{name: "no version lua", modName: "demo", format: Lua, path: "demo.lua"},
		{name: "no version tcl", modName: "py-demo", format: Tcl, path: "py-demo"},
		{name: "slash", modName: "demo/1.0", format: Lua, err: `module name "demo/1.0": use letters, digits and "._+-" (no "/"; the version goes in --version)`},
		{name: "bad version", modName: "demo", version: "1 0", format: Lua, err: `module version "1 0"`},
		{name: "format", modName: "demo", format: "yaml", err: `unknown modulefile format "yaml" (known: lua, tcl)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := For(prefix, tt.modName, tt.version, tt.format)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Path != tt.path {
				t.Errorf("path %q, want %q", f.Path, tt.path)
			}
			for _, want := range []string{prefix + "/bin", "GREETING", "/projects/demo/env.lock", strings.Repeat("cd", 32), Family} {
				if !strings.Contains(string(f.Data), want) {
					t.Errorf("modulefile lacks %q:\n%s", want, f.Data)
				}
			}
		})
	}

	_, err := For(t.TempDir(), "demo", "", Lua)
	if err == nil || !strings.Contains(err.Error(), "is not a conda environment (no conda-meta/); make one with 'envlock install -p") {
		t.Errorf("not an environment: %v", err)
	}
	os.MkdirAll(filepath.Join(prefix, "etc", "conda", "activate.d"), 0o755)
	os.WriteFile(filepath.Join(prefix, "etc", "conda", "activate.d", "x.sh"), nil, 0o644)
	f, err := For(prefix, "demo", "", Lua)
	if err != nil || len(f.Notes) != 1 || !strings.Contains(f.Notes[0], "activate.d") {
		t.Errorf("activate.d note: %v %q", err, f.Notes)
	}
}
