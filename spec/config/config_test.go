package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, src string
		want      Config
		set       []string
		err       string // substring of the error; "" for none
	}{
		{name: "empty", src: "", want: Config{}},
		{name: "comments only", src: "// pkgs_dirs: [\"x\"]\n", want: Config{}},
		{name: "paths", src: `pkgs_dirs: ["rel", "/abs", "~/h"]
policy: "p.cue"`,
			want: Config{PkgsDirs: []string{"/etc/envlock/rel", "/abs", "/home/u/h"}, Policy: "/etc/envlock/p.cue"},
			set:  []string{"pkgs_dirs", "policy"}},
		{name: "mirrors", src: `mirrors: "https://a/cf": ["https://m/cf"]`,
			want: Config{Mirrors: map[string][]string{"https://a/cf": {"https://m/cf"}}}, set: []string{"mirrors"}},
		{name: "link mode", src: `link_mode: "reflink"`, want: Config{LinkMode: "reflink"}, set: []string{"link_mode"}},
		{name: "bad link mode", src: `link_mode: "symlink"`, err: "link_mode"},
		{name: "sync off", src: `sync: false`, want: Config{Sync: new(false)}, set: []string{"sync"}},
		{name: "sync on", src: `sync: true`, want: Config{Sync: new(true)}, set: []string{"sync"}},
		{name: "sync not a bool", src: `sync: "no"`, err: "is not a valid envlock configuration"},
		{name: "unknown key", src: `pkg_dirs: ["x"]`, err: `unknown key "pkg_dirs"; known keys: pkgs_dirs`},
		{name: "wrong type", src: `pkgs_dirs: "x"`, err: "is not a valid envlock configuration"},
		{name: "empty path", src: `envs_dirs: [""]`, err: "is not a valid envlock configuration"},
		{name: "alias scheme", src: `channel_alias: "conda.example"`, err: "channel_alias"},
		{name: "syntax", src: `pkgs_dirs: [`, err: "/etc/envlock/config.cue"},
		{name: "not a struct", src: `"x"`, err: "must be a CUE struct"},
	}
	getenv := func(k string) string { return map[string]string{"HOME": "/home/u"}[k] }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, set, err := Parse("/etc/envlock/config.cue", []byte(tt.src), getenv)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*c, tt.want) {
				t.Errorf("config = %+v, want %+v", *c, tt.want)
			}
			for _, k := range tt.set {
				if !set[k] {
					t.Errorf("key %s not reported as set", k)
				}
			}
			if len(set) != len(tt.set) {
				t.Errorf("set = %v, want %v", set, tt.set)
			}
		})
	}
}

// TestLoadLayers checks that each layer overrides the one before, key by
// key, and that the sources say which layer won.
func TestLoadLayers(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sys := filepath.Join(dir, "etc", "config.cue")
	user := filepath.Join(dir, "xdg", "envlock", "config.cue")
	proj := filepath.Join(dir, "proj", ProjectFile)
	write(sys, `pkgs_dirs: ["/s"], envs_dirs: ["/s"], channel_alias: "https://s", link_mode: "copy", channels: ["s"], sync: false`)
	write(user, `pkgs_dirs: ["/u"], envs_dirs: ["/u"], channel_alias: "https://u", link_mode: "reflink"`)
	write(proj, `pkgs_dirs: ["/p"], envs_dirs: ["/p"], channel_alias: "https://p"`)
	env := map[string]string{
		"ENVLOCK_SYSTEM_CONFIG": sys,
		"XDG_CONFIG_HOME":       filepath.Join(dir, "xdg"),
		"ENVLOCK_PKGS_DIRS":     "/e1:/e2",
		"ENVLOCK_ENVS_DIRS":     "/e",
	}
	l, err := Load(func(k string) string { return env[k] }, filepath.Join(dir, "proj"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Set("pkgs_dirs", "/f", "flag --pkgs-dir"); err != nil {
		t.Fatal(err)
	}
	want := Config{PkgsDirs: []string{"/f"}, EnvsDirs: []string{"/e"}, ChannelAlias: "https://p", LinkMode: "reflink", Channels: []string{"s"}, Sync: new(false)}
	if !reflect.DeepEqual(l.Config, want) {
		t.Errorf("config = %+v, want %+v", l.Config, want)
	}
	wantSrc := map[string]string{"pkgs_dirs": "flag --pkgs-dir", "envs_dirs": "env ENVLOCK_ENVS_DIRS", "channel_alias": proj, "link_mode": user, "channels": sys, "sync": sys}
	if !reflect.DeepEqual(l.Sources, wantSrc) {
		t.Errorf("sources = %v, want %v", l.Sources, wantSrc)
	}
	if len(l.Files) != 3 || l.Files[0].Layer != "system" || l.Files[2].Path != proj {
		t.Errorf("files = %v", l.Files)
	}
}

// TestSetSync: $ENVLOCK_SYNC and flags give sync as a word; a word that
// is not a boolean is refused, naming the key and the value.
func TestSetSync(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
		err  string
	}{
		{in: "false", want: false}, {in: "0", want: false}, {in: "Off", want: false}, {in: "no", want: false},
		{in: "true", want: true}, {in: "1", want: true}, {in: "ON", want: true}, {in: " yes ", want: true},
		{in: "maybe", err: `sync "maybe" is not true or false`},
		{in: "2", err: `sync "2" is not true or false`},
	} {
		l := &Loaded{Sources: map[string]string{}}
		err := l.Set("sync", tt.in, "env ENVLOCK_SYNC")
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Set(sync, %q) = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || l.Config.Sync == nil || *l.Config.Sync != tt.want || l.Sources["sync"] != "env ENVLOCK_SYNC" {
			t.Errorf("Set(sync, %q): %v, sync %v, sources %v; want %v", tt.in, err, l.Config.Sync, l.Sources, tt.want)
		}
		if got := l.Show(false); got != fmt.Sprintf("sync: %v\n", tt.want) {
			t.Errorf("Show = %q", got)
		}
	}
}

func TestMirrorsEnvRoundTrip(t *testing.T) {
	m := map[string][]string{"https://b/x": {"https://m1", "https://m2"}, "https://a/y": {"https://m3"}}
	s := MirrorsEnv(m)
	if s != "https://a/y=https://m3;https://b/x=https://m1,https://m2" {
		t.Errorf("MirrorsEnv = %q", s)
	}
	back, err := parseMirrors(s)
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Errorf("parseMirrors(%q) = %v, %v", s, back, err)
	}
}

// FuzzParse feeds arbitrary files to Parse: it must return a config or an
// error, never panic, and a config's paths are absolute.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`pkgs_dirs: ["/blue/mygroup/envlock/pkgs"]`))
	f.Add([]byte(`mirrors: "https://a": ["https://b"]`))
	f.Add([]byte(`link_mode: "copy"` + "\n" + `envs_dirs: ["~/e", "rel"]`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Parse("/x/config.cue", data, func(string) string { return "/home/u" })
		if err != nil {
			return
		}
		for _, p := range append(append(c.PkgsDirs, c.EnvsDirs...), c.TrustedKeys...) {
			if !filepath.IsAbs(p) {
				t.Fatalf("path %q is not absolute", p)
			}
		}
	})
}
