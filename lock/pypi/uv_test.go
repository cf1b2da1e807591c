package pypi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pelletier/go-toml/v2"

	"github.com/envlock/envlock/fetch/channel"
	fetchpypi "github.com/envlock/envlock/fetch/pypi"
	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/internal/wheelpkg"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/pypi"
	"github.com/envlock/envlock/spec/wheeltag"
)

// uvWheels is the index of TestUVAgrees: several versions per project,
// version ranges, extras (one that asks for the project's own extras),
// markers on python_version, sys_platform and platform_machine,
// Requires-Python, a pre-release, an sdist-only version, abi3, wheels
// for manylinux_2_17 and manylinux_2_28, and two conflicts that only
// backtracking gets past.
func uvWheels() ([]*wheelpkg.Wheel, wheelpkg.IndexOptions) {
	linux217 := "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
	linux228 := "cp311-cp311-manylinux_2_28_x86_64"
	withPy := func(w *wheelpkg.Wheel, spec string) *wheelpkg.Wheel { w.RequiresPython = spec; return w }
	withExtras := func(w *wheelpkg.Wheel, extras ...string) *wheelpkg.Wheel { w.Extras = extras; return w }
	yank := func(w *wheelpkg.Wheel, reason string) *wheelpkg.Wheel {
		w.Yanked, w.YankedReason = true, reason
		return w
	}
	ws := []*wheelpkg.Wheel{
		// fastcore 1.0 has a wheel for each glibc floor, 1.1 only for
		// 2.28, 1.2 only for CPython 3.12.
		native("fastcore", "1.0", linux217), native("fastcore", "1.0", linux228),
		native("fastcore", "1.0", "cp311-cp311-win_amd64"),
		native("fastcore", "1.1", linux228),
		native("fastcore", "1.2", "cp312-cp312-manylinux_2_17_x86_64"),
		native("speedy", "1.0", "cp38-abi3-manylinux_2_17_x86_64"),
		native("speedy", "1.1", "cp38-abi3-musllinux_1_2_x86_64"),

		withExtras(pure("webapp", "2.0",
			"httpish>=1.2,<3",
			"speedy>=1; platform_machine == 'x86_64'",
			"winonly; sys_platform == 'win32'",
			"oldpy; python_version < '3.10'",
			"typing-shim>=1; python_version >= '3.11'",
			"aioextra[fast]>=1; extra == 'async'",
		), "async"),
		pure("webapp", "1.0", "httpish<1.2"),
		pure("httpish", "1.0"), pure("httpish", "1.2"), pure("httpish", "1.5"),
		withPy(pure("httpish", "2.0"), ">=3.12"), pure("httpish", "3.0"),
		pure("winonly", "1.0"), pure("oldpy", "1.0"), pure("typing-shim", "1.3"),
		withExtras(pure("aioextra", "1.0", "fastcore>=1.0; extra == 'fast'"), "fast"),

		// kit[all] asks for kit[a,b].
		withExtras(pure("kit", "1.0", "kit[a,b]; extra == 'all'", "alib; extra == 'a'", "blib>=2; extra == 'b'"), "a", "b", "all"),
		pure("alib", "0.5"), pure("blib", "1.0"), pure("blib", "2.0"), pure("blib", "2.1"),

		// top 2.0 needs a low that does not exist: top 1.0 it is.
		pure("top", "1.0", "low>=1"), pure("top", "2.0", "low<1"), pure("low", "1.0"), pure("low", "1.5"),

		// app's newest needs lib>=2, util's newest lib<1.8: one of them
		// has to give way.
		pure("app", "2.0", "lib>=1.5,<2"), pure("app", "3.0", "lib>=2"),
		pure("util", "1.0", "lib>=1"), pure("util", "2.0", "lib<1.8"),
		pure("lib", "1.0"), pure("lib", "1.6"), pure("lib", "2.0"), pure("lib", "2.1"),

		// alpha's newest needs dep<2, zeta's dep>=2.
		pure("alpha", "1.0"), pure("alpha", "2.0", "dep<2"), pure("zeta", "1.0"), pure("zeta", "2.0", "dep>=2"),
		pure("dep", "1.0"), pure("dep", "2.0"),

		pure("colorlib", "1.9"), pure("colorlib", "2.1"), pure("colorlib", "3.0b1"),
		withExtras(pure("tinyfmt", "1.2", "colorlib>=2; extra == 'color'"), "color"),
		pure("tinyfmt", "1.0"),

		pure("srconly", "1.5"),
		pure("Foo_Bar", "0.9"), pure("foo.bar", "1.0"),
		pure("mathx", "1.0"), pure("mathx", "1.0.post1"), pure("mathx", "1.0.1"), pure("mathx", "1.1"),

		pure("a", "1.0", "shared==1.0"), pure("b", "1.0", "shared==2.0"), pure("shared", "1.0"), pure("shared", "2.0"),

		// PEP 592: relx 1.1 is yanked with a reason, 1.2 without one;
		// gone has nothing but a yanked file; pinyank's dependency pins
		// the yanked relx 1.1.
		pure("relx", "1.0"), yank(pure("relx", "1.1"), "broken build"), yank(pure("relx", "1.2"), ""),
		yank(pure("gone", "2.0"), "withdrawn"),
		pure("pinyank", "1.0", "relx==1.1"),
	}
	return ws, wheelpkg.IndexOptions{Extras: []wheelpkg.Extra{{Project: "srconly", Filename: "srconly-2.0.tar.gz", Data: []byte("not built")}}}
}

// uvPath finds uv: on PATH, or the binary of the uv package of the
// python3 on PATH (pip may put its scripts where PATH does not look).
// uvVersion is the uv .ci/run installs.
const uvVersion = "0.13.8"

func uvPath() string {
	if p, err := exec.LookPath("uv"); err == nil {
		return p
	}
	if out, err := exec.Command("python3", "-c", "import uv; print(uv.find_uv_bin())").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return ""
}

// uvTarget are the flags that make uv resolve for what envlock's
// wheeltag.Target{Platform: "linux-64", Python: "3.11", Glibc: glibc}
// means: CPython 3.11 on x86_64 glibc Linux no older than the floor,
// wheels only (envlock never builds an sdist), and no uv.toml or
// pyproject.toml of the machine's.
func uvTarget(index, glibc, cache string) []string {
	return []string{
		"--index-url", index,
		"--python-version", "3.11",
		"--python-platform", "x86_64-manylinux_" + strings.ReplaceAll(glibc, ".", "_"),
		"--only-binary", ":all:",
		"--no-config", "--no-progress", "--color", "never",
		"--cache-dir", cache,
	}
}

// A uvPackage is one package of uv's pylock.toml: the wheels it lists
// are every file of that version that is compatible with the target.
type uvPackage struct {
	Name    string    `toml:"name"`
	Version string    `toml:"version"`
	Wheels  []uvWheel `toml:"wheels"`
}

type uvWheel struct {
	URL    string            `toml:"url"`
	Hashes map[string]string `toml:"hashes"`
}

// uvCompile resolves reqs with "uv pip compile" and returns uv's
// packages by normalized name, or uv's stderr when it finds no solution.
// extra are further uv flags.
func uvCompile(t *testing.T, uv, index, glibc string, reqs []string, extra ...string) (map[string]uvPackage, error) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "requirements.in")
	if err := os.WriteFile(in, []byte(strings.Join(reqs, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"pip", "compile", in, "--format", "pylock.toml", "--no-header", "--no-annotate"}, uvTarget(index, glibc, filepath.Join(dir, "cache"))...)
	args = append(args, extra...)
	cmd := exec.Command(uv, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running uv: %v", err)
		}
		return nil, fmt.Errorf("uv pip compile: %v\n%s", err, stderr.String())
	}
	var lock struct {
		Packages []uvPackage `toml:"packages"`
	}
	if err := toml.Unmarshal(stdout.Bytes(), &lock); err != nil {
		t.Fatalf("uv's pylock.toml: %v\n%s", err, stdout.String())
	}
	out := map[string]uvPackage{}
	for _, p := range lock.Packages {
		out[wheelpkg.Normalize(p.Name)] = p
	}
	return out, nil
}

// uvInstalledTags installs reqs with "uv pip install --target" for the
// target and returns the Tag lines of each installed wheel's WHEEL file,
// by normalized name: which file uv's installer picks among those the
// lock would allow.
func uvInstalledTags(t *testing.T, uv, index, glibc string, reqs []string) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	args := append([]string{"pip", "install", "--target", target, "--no-deps"}, uvTarget(index, glibc, filepath.Join(dir, "cache"))...)
	cmd := exec.Command(uv, append(args, reqs...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("uv pip install: %v\n%s", err, out)
	}
	wheels, err := filepath.Glob(filepath.Join(target, "*.dist-info", "WHEEL"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, w := range wheels {
		data, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		name, _, _ := strings.Cut(filepath.Base(filepath.Dir(w)), "-")
		var tags []string
		for _, line := range strings.Split(string(data), "\n") {
			if tag, ok := strings.CutPrefix(line, "Tag: "); ok {
				tags = append(tags, strings.TrimSpace(tag))
			}
		}
		slices.Sort(tags)
		out[wheelpkg.Normalize(name)] = tags
	}
	return out
}

func pins(vs map[string]string) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(vs)) {
		out = append(out, name+"=="+vs[name])
	}
	return out
}

// TestUVAgrees resolves requirement sets with envlock's resolver and with
// uv's (uv pip compile, for the same Python, platform and glibc floor,
// wheels only) against one loopback index of real wheels, and requires
// the same name==version set; every file envlock locks must be one uv
// lists for that version, and where a glibc floor decides between
// manylinux wheels of one version, uv's installer must pick the file
// envlock locks.
func TestUVAgrees(t *testing.T) {
	uv := uvPath()
	if uv == "" {
		testenv.Missing(t, "uv", "python3 -m pip install uv=="+uvVersion+", as .ci/run does: this differential test runs uv pip compile against the loopback index")
	}
	out, err := exec.Command(uv, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", uv, err, out)
	}
	testenv.Version(t, "uv", string(out), uvVersion)
	ws, o := uvWheels()
	dir := t.TempDir()
	if err := wheelpkg.WriteIndex(dir, ws, o); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wheelpkg.Handler(dir, nil))
	t.Cleanup(srv.Close)
	index := srv.URL + "/simple"
	hc := channel.NewClient(t.TempDir(), func(string) string { return "" })
	hc.Retries = 0
	idx := &fetchpypi.Client{HTTP: hc, Indexes: []string{index}, CacheDir: t.TempDir()}
	resolve := func(glibc string, rs []string) (map[string]string, map[string]*lockfile.Wheel, error) {
		got, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{
			Requirements: reqs(t, rs...),
			Target:       wheeltag.Target{Platform: "linux-64", Python: "3.11", Glibc: glibc},
		})
		if err != nil {
			return nil, nil, err
		}
		vs, files := map[string]string{}, map[string]*lockfile.Wheel{}
		for _, w := range got {
			vs[wheelpkg.Normalize(w.Name)] = w.Version
			files[wheelpkg.Normalize(w.Name)] = w
		}
		return vs, files, nil
	}

	for _, tt := range []struct {
		name  string
		glibc string
		reqs  []string
		want  []string // what both must choose; nil: no solution for either
		// differs says why the two may legitimately choose differently;
		// then each tool must accept the other's choice as a solution.
		differs string
		// wheelOf names a project whose wheel file uv's installer must
		// pick as envlock does.
		wheelOf string
	}{
		{name: "glibc 2.17 keeps the 2_17 wheel", glibc: "2.17", reqs: []string{"fastcore"},
			want: []string{"fastcore==1.0"}, wheelOf: "fastcore"},
		{name: "glibc 2.28 allows the 2_28-only version", glibc: "2.28", reqs: []string{"fastcore"},
			want: []string{"fastcore==1.1"}, wheelOf: "fastcore"},
		{name: "glibc 2.28 picks the 2_28 file of a version with both", glibc: "2.28", reqs: []string{"fastcore==1.0"},
			want: []string{"fastcore==1.0"}, wheelOf: "fastcore"},
		{name: "no wheel for 2.17 past 1.0", glibc: "2.17", reqs: []string{"fastcore>1.0"}},
		{name: "abi3, musllinux skipped", glibc: "2.17", reqs: []string{"speedy"},
			want: []string{"speedy==1.0"}, wheelOf: "speedy"},
		{name: "markers, extras, Requires-Python", glibc: "2.17", reqs: []string{"webapp[async]"},
			want: []string{"aioextra==1.0", "fastcore==1.0", "httpish==1.5", "speedy==1.0", "typing-shim==1.3", "webapp==2.0"}},
		{name: "extra not asked for", glibc: "2.17", reqs: []string{"webapp"},
			want: []string{"httpish==1.5", "speedy==1.0", "typing-shim==1.3", "webapp==2.0"}},
		{name: "marker on a top-level requirement", glibc: "2.17", reqs: []string{"winonly; sys_platform == 'win32'", "tinyfmt"},
			want: []string{"tinyfmt==1.2"}},
		{name: "an extra asking for the project's own extras", glibc: "2.17", reqs: []string{"kit[all]"},
			want: []string{"alib==0.5", "blib==2.1", "kit==1.0"}},
		{name: "backtrack past a missing dependency", glibc: "2.17", reqs: []string{"top"},
			want: []string{"low==1.5", "top==1.0"}},
		{name: "backtrack on a shared dependency", glibc: "2.17", reqs: []string{"app", "util"},
			want: []string{"app==3.0", "lib==2.1", "util==1.0"}},
		{name: "backtrack, requirements the other way round", glibc: "2.17", reqs: []string{"util", "app"},
			want: []string{"app==3.0", "lib==2.1", "util==1.0"},
			// app 2.0 + util 2.0 is as good a solution: uv keeps util,
			// written first, at its newest; envlock's answer does not
			// depend on the order (see the row above and the next).
			differs: "the order in which projects are decided"},
		{name: "a pin moves the other project", glibc: "2.17", reqs: []string{"app", "util>=2"},
			want: []string{"app==2.0", "lib==1.6", "util==2.0"}},
		{name: "conflict", glibc: "2.17", reqs: []string{"a", "b"}},
		{name: "conflict through an old version", glibc: "2.17", reqs: []string{"webapp<2", "httpish>=1.2"}},
		{name: "pre-release only when nothing else fits", glibc: "2.17", reqs: []string{"colorlib>2.5"},
			want: []string{"colorlib==3.0b1"}},
		{name: "no pre-release by default", glibc: "2.17", reqs: []string{"tinyfmt[color]"},
			want: []string{"colorlib==2.1", "tinyfmt==1.2"}},
		{name: "pre-release asked for", glibc: "2.17", reqs: []string{"colorlib>=3.0a1"},
			want: []string{"colorlib==3.0b1"}},
		{name: "sdist-only version skipped", glibc: "2.17", reqs: []string{"srconly"},
			want: []string{"srconly==1.5"}},
		{name: "names normalized", glibc: "2.17", reqs: []string{"FOO.bar<1"},
			want: []string{"foo-bar==0.9"}},
		{name: "post-release below a bound", glibc: "2.17", reqs: []string{"mathx<1.0.1"},
			want: []string{"mathx==1.0.post1"}},
		{name: "== excludes post-releases", glibc: "2.17", reqs: []string{"mathx==1.0"},
			want: []string{"mathx==1.0"}},
		{name: "> excludes post-releases of its version", glibc: "2.17", reqs: []string{"mathx>1.0,<1.1"},
			want: []string{"mathx==1.0.1"}},
		{name: "compatible release", glibc: "2.17", reqs: []string{"mathx~=1.0.0"},
			want: []string{"mathx==1.0.1"}},
		{name: "alpha and zeta pull dep apart", glibc: "2.17", reqs: []string{"zeta", "alpha"},
			want: []string{"alpha==2.0", "dep==1.0", "zeta==1.0"},
			// Both alpha 2.0 + zeta 1.0 and alpha 1.0 + zeta 2.0 are
			// solutions and neither is better: one project has to give
			// way. envlock decides projects in name order (a lock must
			// not depend on how env.cue's keys are ordered); uv decides
			// them in the order the requirements are written, so it
			// keeps zeta, written first, at its newest.
			differs: "the order in which projects are decided"},
		{name: "yanked versions skipped", glibc: "2.17", reqs: []string{"relx"},
			want: []string{"relx==1.0"}},
		{name: "a yanked version pinned with ==", glibc: "2.17", reqs: []string{"relx==1.1"},
			want: []string{"relx==1.1"}},
		{name: "a yanked version pinned with == and trailing zeros", glibc: "2.17", reqs: []string{"relx==1.1.0"},
			want: []string{"relx==1.1"}},
		{name: "a yanked version pinned with ===", glibc: "2.17", reqs: []string{"relx===1.2"},
			want: []string{"relx==1.2"}},
		{name: "a range never takes a yanked version", glibc: "2.17", reqs: []string{"relx>=1.1"}},
		{name: "== with another clause is not a pin", glibc: "2.17", reqs: []string{"relx==1.1,>=1"}},
		{name: "nothing but yanked files", glibc: "2.17", reqs: []string{"gone"}},
		{name: "a dependency's == does not take a yanked version", glibc: "2.17", reqs: []string{"pinyank"}},
		{name: "everything at once", glibc: "2.28", reqs: []string{"webapp[async]", "kit[all]", "app", "util", "top", "tinyfmt[color]", "srconly", "foo-bar", "mathx<1.0.1", "speedy"},
			want: []string{"aioextra==1.0", "alib==0.5", "app==3.0", "blib==2.1", "colorlib==2.1", "fastcore==1.1", "foo-bar==1.0", "httpish==1.5", "kit==1.0",
				"lib==2.1", "low==1.5", "mathx==1.0.post1", "speedy==1.0", "srconly==1.5", "tinyfmt==1.2", "top==1.0", "typing-shim==1.3", "util==1.0", "webapp==2.0"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vs, files, err := resolve(tt.glibc, tt.reqs)
			uvPkgs, uerr := uvCompile(t, uv, index, tt.glibc, tt.reqs)
			if tt.want == nil {
				var ce *pypi.ConflictError
				if !errors.As(err, &ce) {
					t.Errorf("envlock: %v, want a ConflictError", err)
				}
				if uerr == nil || !strings.Contains(uerr.Error(), "No solution found") {
					t.Errorf("uv: %v, want no solution", uerr)
				}
				return
			}
			if err != nil {
				t.Fatalf("envlock: %v", err)
			}
			if uerr != nil {
				t.Fatal(uerr)
			}
			uvVs := map[string]string{}
			for name, p := range uvPkgs {
				uvVs[name] = p.Version
			}
			if d := cmp.Diff(tt.want, pins(vs)); d != "" {
				t.Errorf("envlock (-want +got):\n%s", d)
			}
			if tt.differs == "" {
				if d := cmp.Diff(pins(vs), pins(uvVs)); d != "" {
					t.Errorf("uv disagrees (-envlock +uv):\n%s", d)
				}
			} else {
				t.Logf("envlock %v, uv %v (%s)", pins(vs), pins(uvVs), tt.differs)
				if d := cmp.Diff(slices.Sorted(maps.Keys(vs)), slices.Sorted(maps.Keys(uvVs))); d != "" {
					t.Errorf("different projects (-envlock +uv):\n%s", d)
				}
				// uv's choice pinned is a solution for envlock, and
				// envlock's for uv: each differs only by preference.
				back, _, err := resolve(tt.glibc, append(slices.Clone(tt.reqs), pins(uvVs)...))
				if err != nil {
					t.Errorf("envlock refuses uv's solution: %v", err)
				} else if d := cmp.Diff(pins(uvVs), pins(back)); d != "" {
					t.Errorf("envlock with uv's pins (-uv +envlock):\n%s", d)
				}
				forth, err := uvCompile(t, uv, index, tt.glibc, append(slices.Clone(tt.reqs), pins(vs)...))
				if err != nil {
					t.Errorf("uv refuses envlock's solution: %v", err)
				} else {
					got := map[string]string{}
					for name, p := range forth {
						got[name] = p.Version
					}
					if d := cmp.Diff(pins(vs), pins(got)); d != "" {
						t.Errorf("uv with envlock's pins (-envlock +uv):\n%s", d)
					}
				}
			}
			// The file envlock locks is one uv finds compatible with the
			// target (same version, same sha256).
			for name, w := range files {
				p, ok := uvPkgs[name]
				if !ok || p.Version != w.Version {
					continue // reported above
				}
				if !slices.ContainsFunc(p.Wheels, func(f uvWheel) bool { return f.Hashes["sha256"] == w.SHA256 }) {
					t.Errorf("envlock locks %s for %s, which is not among uv's compatible files %+v", w.FileName(), name, p.Wheels)
				}
			}
			if tt.wheelOf != "" {
				w := files[tt.wheelOf]
				want := slices.Sorted(slices.Values(w.Tags))
				got := uvInstalledTags(t, uv, index, tt.glibc, []string{tt.wheelOf + "==" + w.Version})[tt.wheelOf]
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("glibc %s: uv installs another file of %s %s (-envlock +uv tags):\n%s", tt.glibc, tt.wheelOf, w.Version, d)
				}
			}
		})
	}
}

// TestUVIndexStrategy: with a private index as extra index and a public
// one as the index, both offering "labtools" (the public one a higher
// version: dependency confusion), envlock's Client and uv pick from the
// same index: by default the first that has the project (uv's
// first-index, extra indexes first), with BestMatch the merge (uv's
// --index-strategy unsafe-best-match). A project only the public index
// has is found there either way.
func TestUVIndexStrategy(t *testing.T) {
	uv := uvPath()
	if uv == "" {
		testenv.Missing(t, "uv", "python3 -m pip install uv=="+uvVersion+", as .ci/run does: this differential test runs uv pip compile against loopback indexes")
	}
	serve := func(ws ...*wheelpkg.Wheel) string {
		dir := t.TempDir()
		if err := wheelpkg.WriteIndex(dir, ws, wheelpkg.IndexOptions{}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(wheelpkg.Handler(dir, nil))
		t.Cleanup(srv.Close)
		return srv.URL + "/simple"
	}
	private := serve(pure("labtools", "1.0"))
	public := serve(pure("labtools", "99.0"), pure("tinyfmt", "1.2"))
	want := []string{"labtools", "tinyfmt"}
	for _, tt := range []struct {
		bestMatch bool
		uvFlags   []string
		want      []string
	}{
		{false, nil, []string{"labtools==1.0", "tinyfmt==1.2"}},
		{true, []string{"--index-strategy", "unsafe-best-match"}, []string{"labtools==99.0", "tinyfmt==1.2"}},
	} {
		hc := channel.NewClient(t.TempDir(), func(string) string { return "" })
		hc.Retries = 0
		idx := &fetchpypi.Client{HTTP: hc, Indexes: []string{private, public}, BestMatch: tt.bestMatch, CacheDir: t.TempDir()}
		ws, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{Requirements: reqs(t, want...), Target: wheeltag.Target{Platform: "linux-64", Python: "3.11", Glibc: "2.17"}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, w := range ws {
			got[w.Name] = w.Version
		}
		uvPkgs, err := uvCompile(t, uv, public, "2.17", want, append([]string{"--extra-index-url", private}, tt.uvFlags...)...)
		if err != nil {
			t.Fatal(err)
		}
		uvVs := map[string]string{}
		for name, p := range uvPkgs {
			uvVs[name] = p.Version
		}
		if d := cmp.Diff(tt.want, pins(got)); d != "" {
			t.Errorf("best match %v: envlock (-want +got):\n%s", tt.bestMatch, d)
		}
		if d := cmp.Diff(pins(got), pins(uvVs)); d != "" {
			t.Errorf("best match %v: uv disagrees (-envlock +uv):\n%s", tt.bestMatch, d)
		}
	}
}
