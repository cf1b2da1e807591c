package foreign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec"
	"github.com/google/go-cmp/cmp"
)

// importFile runs the whole import on a lock file: draft, env.cue loaded
// back, lock; and checks that the lock is a valid env.lock, fresh for the
// manifest, pinning exactly what the file pinned.
func importFile(t *testing.T, path, environment string) (*File, *spec.Manifest, *lockfile.Lock) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(filepath.Base(path), data, environment)
	if err != nil {
		t.Fatal(err)
	}
	d, notes := f.Draft("imported")
	for _, n := range notes {
		t.Logf("note: %s", n)
	}
	src, err := d.Format()
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.Load(t.TempDir(), &spec.LoadOptions{Overlay: map[string][]byte{spec.ManifestFile: src}})
	if err != nil {
		t.Fatalf("env.cue does not load: %v\n%s", err, src)
	}
	var chans []lockfile.Channel
	for i, c := range m.Channels {
		chans = append(chans, lockfile.Channel{Name: c, URL: c, Priority: i})
	}
	l, err := f.Lock(m, chans)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	if err := lock.Check(m, l); err != nil {
		t.Errorf("the imported lock is not fresh for its env.cue: %v\n%s", err, src)
	}
	enc, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := lockfile.Parse(enc)
	if err != nil {
		t.Fatalf("not a valid env.lock: %v", err)
	}
	for _, fp := range f.Platforms {
		p := back.Platform(fp.Platform)
		if p == nil || len(p.Packages) != len(fp.Packages) || len(p.PyPI) != len(fp.Wheels) {
			t.Fatalf("%s: lock has %+v", fp.Platform, p)
		}
		for i, pk := range fp.Packages {
			got := p.Packages[i]
			if got.URL != pk.URL || got.SHA256 != pk.SHA256 || got.MD5 != pk.MD5 || got.Subdir != pk.Subdir || got.Channel != pk.Channel || !cmp.Equal(got.Depends, pk.Depends) {
				t.Errorf("%s: %s pinned as %+v, file has %+v", fp.Platform, pk.Name, got, pk)
			}
		}
	}
	t.Logf("env.cue:\n%s", src)
	return f, m, back
}

func TestImportShared(t *testing.T) {
	dir := testdata.SharedPath(t, "envfiles/conda-lock")
	for _, tc := range []struct {
		file string
		deps string // the manifest's dependencies, as "name spec" joined by "; "
	}{
		// python depends on pip and pip on python: the cycle is the root.
		{"v0-python-conda-lock.yml", "pip 23.0.1; python 3.11.0; setuptools 67.4.0; wheel 0.38.4"},
		{"v4-python-lock.yml", "pip 23.0.1; python 3.11.0; setuptools 67.4.0; wheel 0.38.4"},
		{"v6-python-from-conda-only-lock.yml", "python 3.13.0"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, m, _ := importFile(t, filepath.Join(dir, tc.file), "")
			var deps []string
			for _, d := range m.Dependencies {
				deps = append(deps, d.Name+" "+d.Spec.Version.String())
			}
			if got := strings.Join(deps, "; "); got != tc.deps {
				t.Errorf("dependencies: %s\nwant %s", got, tc.deps)
			}
		})
	}
}

// TestImportPixi reads hand-written pixi.lock files of versions 5 and 6
// (rattler_lock's models) with conda and PyPI packages.
func TestImportPixi(t *testing.T) {
	for _, file := range []string{"pixi-v5.lock", "pixi-v6.lock", "pixi-v7.lock"} {
		t.Run(file, func(t *testing.T) {
			f, m, l := importFile(t, filepath.Join("testdata", file), "")
			if f.Channels[0] != "https://conda.anaconda.org/conda-forge" || m.Channels[0] != "conda-forge" {
				t.Errorf("channels %v → %v", f.Channels, m.Channels)
			}
			p := l.Platform("linux-64")
			z := p.Package("libzlib")
			if z.BuildNumber != 2 || z.Timestamp != 1727963148474 || z.Size != 60963 || len(z.Constrains) != 1 || z.Requested != "libzlib==1.3.1" {
				t.Errorf("libzlib = %+v", z)
			}
			if tz := p.Package("tzdata"); tz.Noarch != "generic" || tz.Subdir != "noarch" {
				t.Errorf("tzdata = %+v", tz)
			}
			if len(p.PyPI) != 1 || p.PyPI[0].Name != "six" || p.PyPI[0].Requested != "six==1.16.0" {
				t.Errorf("wheels = %+v", p.PyPI[0])
			}
			if p.GlibcFloor != "2.17" || m.System.Glibc != "2.17" {
				t.Errorf("glibc floor %q, system %q", p.GlibcFloor, m.System.Glibc)
			}
		})
	}
	// Another environment of the same file.
	f, _, l := importFile(t, filepath.Join("testdata", "pixi-v6.lock"), "lint")
	if f.Environment != "lint" || len(l.Platforms) != 1 || len(l.Platforms[0].Packages) != 1 {
		t.Errorf("lint: %+v", l.Platforms[0])
	}
}

// TestParseErrors: what cannot be imported gets an error naming the
// problem and where.
func TestParseErrors(t *testing.T) {
	v6, err := os.ReadFile(filepath.Join("testdata", "pixi-v6.lock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data, env, want string
	}{
		{"v8", "version: 8\nenvironments: {}\npackages: []\n", "", "x.lock:1: lock file version 8: unsupported lock file version; envlock reads conda-lock.yml versions 1–3 and pixi.lock versions 4–7"},
		{"v7 without platforms", "version: 7\nenvironments: {default: {channels: [], packages: {}}}\npackages: []\n", "", `x.lock:1: version 7 file without a "platforms" list: not a pixi.lock`},
		{"v7 unknown platform", "version: 7\nplatforms: [{name: linux-64}]\nenvironments: {default: {channels: [], packages: {gpu: []}}}\npackages: []\n", "", `x.lock:3: environment "default": platform "gpu" is not in the file's platforms list`},
		{"v7 same subdir twice", "version: 7\nplatforms: [{name: linux-64}, {name: cuda, subdir: linux-64}]\nenvironments: {default: {channels: [], packages: {}}}\npackages: []\n", "", `x.lock:2: platforms "linux-64" and "cuda" are both linux-64`},
		{"v0", "version: 0\nmetadata: {}\npackage: []\n", "", "x.lock:1: lock file version 0: unsupported"},
		{"no version", "metadata: {}\npackage: []\n", "", `x.lock:1: no "version" field`},
		{"bad version", "version: six\n", "", `x.lock:1: version "six" is not a number`},
		{"not yaml", "version: [1\n", "", "x.lock: not valid YAML"},
		{"no env", string(v6), "gpu", `no environment "gpu"; the file has default, lint (choose one with --environment)`},
		{"conda-lock env", "version: 1\nmetadata: {platforms: [linux-64]}\npackage: []\n", "dev", `no environment "dev": a conda-lock.yml holds one environment`},
		{"no sha256", "version: 1\nmetadata: {platforms: [linux-64], channels: [{url: conda-forge}]}\npackage:\n- name: zlib\n  version: '1.2'\n  manager: conda\n  platform: linux-64\n  url: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.2-h0_0.tar.bz2\n  hash: {md5: d7c89558ba9fa0495403155b64376d81}\n",
			"", `x.lock:4: zlib 1.2 h0_0 has no valid sha256 (""): envlock checks every download by sha256`},
		{"source package", "version: 6\nenvironments:\n  default:\n    channels: [{url: conda-forge}]\n    packages:\n      linux-64:\n      - conda: ./recipes/mypkg\npackages:\n- conda: ./recipes/mypkg\n  name: mypkg\n",
			"", "x.lock:9: ./recipes/mypkg is not a conda package archive"},
		{"dangling", "version: 6\nenvironments:\n  default:\n    channels: [{url: conda-forge}]\n    packages:\n      linux-64:\n      - conda: https://x/conda-forge/linux-64/a-1-0.conda\npackages: []\n",
			"", "x.lock:7: linux-64 refers to https://x/conda-forge/linux-64/a-1-0.conda, which the packages list does not hold"},
		{"bad platform", "version: 1\nmetadata: {platforms: [linux-128]}\npackage: []\n", "", "x.lock:2: metadata.platforms:"},
		{"mismatch", "version: 6\nenvironments:\n  default:\n    packages:\n      linux-64:\n      - conda: https://x/c/linux-64/a-1-0.conda\npackages:\n- conda: https://x/c/linux-64/a-1-0.conda\n  name: b\n  sha256: d4bfe88d7cb447768e31650f06257995601f89076080e76df55e3112d4e47dc4\n",
			"", "x.lock:8: record says b 1 0 but its URL is https://x/c/linux-64/a-1-0.conda"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.lock", []byte(tc.data), tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRoots(t *testing.T) {
	for _, tc := range []struct {
		names []string
		deps  map[string][]string
		want  []string
	}{
		{[]string{"a", "b", "c"}, map[string][]string{"a": {"b"}, "b": {"c"}}, []string{"a"}},
		{[]string{"a", "b", "c", "d"}, map[string][]string{"a": {"b", "__glibc"}, "c": {"b"}}, []string{"a", "c", "d"}},
		// python ⇄ pip, and setuptools/wheel need python: the cycle is the root.
		{[]string{"pip", "python", "setuptools", "wheel", "zlib"}, map[string][]string{"python": {"pip", "zlib"}, "pip": {"python", "setuptools", "wheel"}, "setuptools": {"python"}, "wheel": {"python"}}, []string{"pip", "python", "setuptools", "wheel"}},
		// A cycle something else depends on is not a root.
		{[]string{"app", "x", "y"}, map[string][]string{"app": {"x"}, "x": {"y"}, "y": {"x"}}, []string{"app"}},
		{nil, nil, nil},
	} {
		if got := roots(tc.names, tc.deps); !cmp.Equal(got, tc.want) {
			t.Errorf("roots(%v, %v) = %v, want %v", tc.names, tc.deps, got, tc.want)
		}
	}
}

func TestBuildNumber(t *testing.T) {
	for build, want := range map[string]int64{"h7f98852_4": 4, "he550d4f_1_cpython": 1, "2_gnu": 2, "conda_forge": 0, "pyhd8ed1ab_0": 0, "hbbac1ca_101_cp313": 101, "noxft_h4845f30_101": 101, "": 0} {
		if got := buildNumber(build); got != want {
			t.Errorf("buildNumber(%q) = %d, want %d", build, got, want)
		}
	}
}

// FuzzParse: no input makes Parse panic, and what it accepts has
// complete records.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/pixi-v5.lock", "testdata/pixi-v6.lock"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data, "")
		}
	}
	f.Add([]byte("version: 1\nmetadata: {platforms: [linux-64]}\npackage: [{name: a, manager: pip, platform: linux-64}]\n"), "")
	f.Add([]byte("version: 6\nenvironments: {default: {packages: {linux-64: [{conda: x}]}}}\npackages: [{conda: x}]\n"), "default")
	f.Fuzz(func(t *testing.T, data []byte, env string) {
		file, err := Parse("fuzz.lock", data, env)
		if err != nil {
			return
		}
		for _, p := range file.Platforms {
			for _, pk := range p.Packages {
				if pk.Name == "" || pk.URL == "" || len(pk.SHA256) != 64 || pk.Subdir == "" {
					t.Fatalf("incomplete record accepted: %+v", pk)
				}
			}
		}
		file.Draft("fuzz")
	})
}

// BenchmarkParse reads the real 6-platform conda-lock.yml (or, without
// ../shared, the hand-written pixi.lock) and reports packages read per
// second.
func BenchmarkParse(b *testing.B) {
	path := filepath.Join("testdata", "pixi-v6.lock")
	if dir, err := testdata.ModuleRoot(); err == nil {
		if p := filepath.Join(filepath.Dir(dir), "shared", "data", "envfiles", "conda-lock", "v0-python-conda-lock.yml"); fileExists(p) {
			path = p
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := Parse(filepath.Base(path), data, "")
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range f.Platforms {
			n += len(p.Packages) + len(p.Wheels)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packages/s")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
