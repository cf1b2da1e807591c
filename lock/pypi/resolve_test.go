package pypi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/fetch/channel"
	fetchpypi "github.com/envlock/envlock/fetch/pypi"
	"github.com/envlock/envlock/internal/wheelpkg"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/pypi"
	"github.com/envlock/envlock/spec/pep508"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/wheeltag"
)

func pure(name, version string, requires ...string) *wheelpkg.Wheel {
	mod := strings.ReplaceAll(wheelpkg.Normalize(name), "-", "_")
	return &wheelpkg.Wheel{Name: name, Version: version, Requires: requires,
		Files: []wheelpkg.File{{Path: mod + "/__init__.py", Data: []byte("VERSION = " + fmt.Sprintf("%q", version) + "\n")}}}
}

func native(name, version, tag string) *wheelpkg.Wheel {
	w := pure(name, version)
	w.Tag = tag
	return w
}

// testWheels is the loopback index of these tests.
func testWheels() ([]*wheelpkg.Wheel, wheelpkg.IndexOptions) {
	color := pure("tinyfmt", "1.2", "colorlib>=2; extra == 'color'")
	color.Extras = []string{"color"}
	ws := []*wheelpkg.Wheel{
		native("fastcore", "1.0", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"),
		native("fastcore", "1.0", "cp311-cp311-manylinux_2_28_x86_64"),
		native("fastcore", "1.0", "cp311-cp311-manylinux_2_28_aarch64"),
		native("fastcore", "1.0", "cp311-cp311-win_amd64"),
		pure("tinyfmt", "1.0"),
		color,
		pure("colorlib", "1.9"),
		pure("colorlib", "2.1"),
		pure("colorlib", "3.0b1"),
		pure("app", "1.0",
			"tinyfmt[color]>=1.1",
			"winonly; sys_platform == 'win32'",
			"oldpy; python_version < '3.10'",
			"armonly; platform_machine == 'aarch64'",
			"numpy>=1.20",
		),
		pure("winonly", "1.0"), pure("oldpy", "1.0"), pure("armonly", "1.0"),
		pure("numpy", "2.0.0"),
		// A conflict two choices deep: deep-app 2.0 leads to deep-lib
		// 2.0, which deep-util 2.0 refuses; deep-app 1.0 it is.
		pure("deep-app", "1.0", "deep-lib<2"), pure("deep-app", "2.0", "deep-lib>=2"),
		pure("deep-lib", "1.0"), pure("deep-lib", "2.0"), pure("deep-util", "2.0", "deep-lib<2"),
		// Backtracking: top 2.0 needs low<1, which has no such version;
		// top 1.0 works.
		pure("top", "1.0", "low>=1"), pure("top", "2.0", "low<1"), pure("low", "1.5"),
		pure("srconly", "1.5"),
		pure("newpy", "1.0"),
		pure("a", "1.0", "shared==1.0"), pure("b", "1.0", "shared==2.0"), pure("shared", "1.0"), pure("shared", "2.0"),
	}
	ws[len(ws)-5].RequiresPython = ">=3.13" // newpy
	// PEP 592: relx 1.1 and 1.2 are yanked, one saying why.
	relx11, relx12 := pure("relx", "1.1"), pure("relx", "1.2")
	relx11.Yanked, relx11.YankedReason = true, "broken build"
	relx12.Yanked = true
	ws = append(ws, pure("relx", "1.0"), relx11, relx12)
	return ws, wheelpkg.IndexOptions{Extras: []wheelpkg.Extra{{Project: "srconly", Filename: "srconly-2.0.tar.gz", Data: []byte("not built")}}}
}

func newIndex(t testing.TB) *fetchpypi.Client {
	t.Helper()
	ws, o := testWheels()
	dir := t.TempDir()
	if err := wheelpkg.WriteIndex(dir, ws, o); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wheelpkg.Handler(dir, nil))
	t.Cleanup(srv.Close)
	hc := channel.NewClient(t.TempDir(), func(string) string { return "" })
	hc.Retries = 0
	return &fetchpypi.Client{HTTP: hc, Indexes: []string{srv.URL + "/simple"}, CacheDir: t.TempDir()}
}

func reqs(t testing.TB, ss ...string) []pypi.Requested {
	var out []pypi.Requested
	for _, s := range ss {
		r, err := pep508.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pypi.Requested{Req: r, Text: s})
	}
	return out
}

func summary(ws []*lockfile.Wheel) []string {
	var out []string
	for _, w := range ws {
		s := w.Name + "==" + w.Version
		if len(w.Tags) > 0 && !strings.HasSuffix(w.Tags[0], "-any") {
			s += " " + strings.Join(w.Tags, ".")
		}
		out = append(out, s)
	}
	return out
}

func TestGlibcFloor(t *testing.T) {
	idx := newIndex(t)
	for _, tt := range []struct {
		glibc string
		want  string
	}{
		{"2.17", "fastcore==1.0 cp311-cp311-manylinux_2_17_x86_64.cp311-cp311-manylinux2014_x86_64"},
		{"2.28", "fastcore==1.0 cp311-cp311-manylinux_2_28_x86_64"},
		{"2.34", "fastcore==1.0 cp311-cp311-manylinux_2_28_x86_64"},
	} {
		ws, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{
			Requirements: reqs(t, "fastcore"),
			Target:       wheeltag.Target{Platform: "linux-64", Python: "3.11.7", Glibc: tt.glibc},
		})
		if err != nil {
			t.Fatalf("glibc %s: %v", tt.glibc, err)
		}
		if d := cmp.Diff([]string{tt.want}, summary(ws)); d != "" {
			t.Errorf("glibc %s (-want +got):\n%s", tt.glibc, d)
		}
		if ws[0].SHA256 == "" || ws[0].Size == 0 || ws[0].Requested != "fastcore" || !strings.HasPrefix(ws[0].URL, "http://127.0.0.1") {
			t.Errorf("glibc %s: incomplete record %+v", tt.glibc, ws[0])
		}
	}
	_, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{
		Requirements: reqs(t, "fastcore"),
		Target:       wheeltag.Target{Platform: "linux-64", Python: "3.11.7", Glibc: "2.12"},
	})
	var ce *pypi.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("glibc 2.12: err = %v, want a ConflictError", err)
	}
	for _, want := range []string{"no version of fastcore fits linux-64 (python 3.11.7, glibc 2.12)", "manylinux_2_17_x86_64", "the oldest manylinux wheel needs glibc 2.17", "raise system.glibc"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("glibc 2.12 error lacks %q:\n%v", want, err)
		}
	}
	t.Logf("glibc 2.12:\n%v", err)
}

// TestMarkers resolves one project whose dependencies carry markers on
// several targets.
func TestMarkers(t *testing.T) {
	idx := newIndex(t)
	for _, tt := range []struct {
		plat   platform.Platform
		python string
		want   []string
	}{
		{"linux-64", "3.11", []string{"app==1.0", "colorlib==2.1", "numpy==2.0.0", "tinyfmt==1.2"}},
		{"linux-aarch64", "3.11", []string{"app==1.0", "armonly==1.0", "colorlib==2.1", "numpy==2.0.0", "tinyfmt==1.2"}},
		{"win-64", "3.11", []string{"app==1.0", "colorlib==2.1", "numpy==2.0.0", "tinyfmt==1.2", "winonly==1.0"}},
		{"osx-arm64", "3.9.18", []string{"app==1.0", "colorlib==2.1", "numpy==2.0.0", "oldpy==1.0", "tinyfmt==1.2"}},
	} {
		ws, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{
			Requirements: reqs(t, "app"),
			Target:       wheeltag.Target{Platform: tt.plat, Python: tt.python},
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.plat, err)
		}
		if d := cmp.Diff(tt.want, summary(ws)); d != "" {
			t.Errorf("%s python %s (-want +got):\n%s", tt.plat, tt.python, d)
		}
	}
	// Without the extra, colorlib is not pulled in; a marker on the
	// manifest's own requirement applies too.
	ws, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{
		Requirements: reqs(t, "tinyfmt", "winonly; sys_platform == 'win32'"),
		Target:       wheeltag.Target{Platform: "linux-64", Python: "3.11"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"tinyfmt==1.2"}, summary(ws)); d != "" {
		t.Error(d)
	}
}

// TestCondaProvides: a requirement a conda package of the solution
// satisfies is not locked as a wheel; one it does not satisfy is an
// error naming the conda package.
func TestCondaProvides(t *testing.T) {
	idx := newIndex(t)
	conda := map[string]pypi.Provided{"numpy": {Conda: "numpy", Version: "1.26.4"}}
	ws, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{
		Requirements: reqs(t, "app", "numpy>=1.20"),
		Target:       wheeltag.Target{Platform: "linux-64", Python: "3.11"},
		Conda:        conda,
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"app==1.0", "colorlib==2.1", "tinyfmt==1.2"}, summary(ws)); d != "" {
		t.Errorf("numpy should come from conda (-want +got):\n%s", d)
	}
	_, err = pypi.Resolve(context.Background(), idx, &pypi.Problem{
		Requirements: reqs(t, "numpy>=2"),
		Target:       wheeltag.Target{Platform: "linux-64", Python: "3.11"},
		Conda:        conda,
	})
	if err == nil || !strings.Contains(err.Error(), "the conda package numpy 1.26.4 provides the PyPI project numpy, but env.cue needs numpy>=2") {
		t.Errorf("err = %v", err)
	}
}

func TestBacktrackAndConflicts(t *testing.T) {
	idx := newIndex(t)
	target := wheeltag.Target{Platform: "linux-64", Python: "3.11"}
	ws, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{Requirements: reqs(t, "top"), Target: target})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"low==1.5", "top==1.0"}, summary(ws)); d != "" {
		t.Errorf("backtracking (-want +got):\n%s", d)
	}
	// The conflict shows only when deep-util is decided, after deep-app
	// and deep-lib: both choices are undone.
	ws, err = pypi.Resolve(context.Background(), idx, &pypi.Problem{Requirements: reqs(t, "deep-app", "deep-util"), Target: target})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"deep-app==1.0", "deep-lib==1.0", "deep-util==2.0"}, summary(ws)); d != "" {
		t.Errorf("deep backtracking (-want +got):\n%s", d)
	}
	for _, tt := range []struct {
		reqs []string
		want []string
	}{
		{[]string{"a", "b"}, []string{"no version of shared fits", "==1.0 from a 1.0; ==2.0 from b 1.0"}},
		{[]string{"shared==1.0", "b"}, []string{"no version of shared fits", "==1.0 from env.cue; ==2.0 from b 1.0"}},
		{[]string{"srconly>=2"}, []string{"no version of srconly fits", ">=2 from env.cue", "only source distributions (sdists), which envlock does not build: 2.0", "the nearest version with a wheel is 1.5"}},
		{[]string{"newpy"}, []string{"1.0 needs python >=3.13"}},
		{[]string{"colorlib>=2,<2.1"}, []string{"versions with a wheel for this target: 3.0b1, 2.1, 1.9"}},
		{[]string{"tinyfmt<1", "top"}, []string{"no version of tinyfmt"}},
	} {
		_, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{Requirements: reqs(t, tt.reqs...), Target: target})
		if err == nil {
			t.Errorf("%v: no error", tt.reqs)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error lacks %q:\n%v", tt.reqs, w, err)
			}
		}
	}
}

func TestPrereleasesAndPreferred(t *testing.T) {
	idx := newIndex(t)
	target := wheeltag.Target{Platform: "linux-64", Python: "3.11"}
	for _, tt := range []struct {
		req       string
		preferred map[string]string
		want      string
	}{
		{"colorlib", nil, "colorlib==2.1"},
		{"colorlib>=3.0a1", nil, "colorlib==3.0b1"},
		{"colorlib>2.5", nil, "colorlib==3.0b1"}, // only a pre-release fits
		{"colorlib", map[string]string{"colorlib": "1.9"}, "colorlib==1.9"},
	} {
		ws, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{Requirements: reqs(t, tt.req), Target: target, Preferred: tt.preferred})
		if err != nil {
			t.Fatalf("%s: %v", tt.req, err)
		}
		if d := cmp.Diff([]string{tt.want}, summary(ws)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.req, d)
		}
	}
}

// TestYanked: yanked files (PEP 592) are passed over unless env.cue
// pins their version exactly; then the lock takes one and Note says so,
// and an explanation lists them with their reasons.
func TestYanked(t *testing.T) {
	idx := newIndex(t)
	target := wheeltag.Target{Platform: "linux-64", Python: "3.11"}
	for _, tt := range []struct {
		req   string
		want  string // "" for no solution
		notes []string
		err   string
	}{
		{req: "relx", want: "relx==1.0"},
		{req: "relx==1.1", want: "relx==1.1", notes: []string{`relx 1.1 is yanked from the index ("broken build"); it is locked because env.cue pins it with "relx==1.1"`}},
		{req: "relx===1.2", want: "relx==1.2", notes: []string{`relx 1.2 is yanked from the index; it is locked because env.cue pins it with "relx===1.2"`}},
		{req: "relx>1.0", err: "no version of relx fits linux-64 (python 3.11, glibc 2.17) and >1.0 from env.cue\n" +
			"  versions with a wheel for this target: 1.0\n" +
			`  yanked from the index, used only when env.cue pins the version with ==: 1.2, 1.1 ("broken build")`},
	} {
		var notes []string
		ws, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{Requirements: reqs(t, tt.req), Target: target,
			Note: func(s string) { notes = append(notes, s) }})
		if tt.err != "" {
			var ce *pypi.ConflictError
			if !errors.As(err, &ce) || err.Error() != tt.err {
				t.Errorf("%s: %v, want a ConflictError:\n%s", tt.req, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.req, err)
		}
		if d := cmp.Diff([]string{tt.want}, summary(ws)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.req, d)
		}
		if d := cmp.Diff(tt.notes, notes); d != "" {
			t.Errorf("%s: notes (-want +got):\n%s", tt.req, d)
		}
	}
}

// BenchmarkResolve30 resolves 30 requirements, each with a dependency
// and several versions, against the loopback index, with a new resolver
// each time, as a new "envlock lock" would. cold starts from an empty
// HTTP cache every iteration (pages and metadata fetched); warm reuses
// one cache filled before the timer starts. They are reported apart:
// one cold run among warm ones measures neither. requests/resolve says
// how many HTTP requests reached the index.
func BenchmarkResolve30(b *testing.B) {
	var ws []*wheelpkg.Wheel
	var rs []string
	for i := range 30 {
		for v := range 5 {
			ws = append(ws, pure(fmt.Sprintf("proj%02d", i), fmt.Sprintf("1.%d", v), fmt.Sprintf("dep%02d>=1.%d", i, v/2)))
			ws = append(ws, pure(fmt.Sprintf("dep%02d", i), fmt.Sprintf("1.%d", v)))
		}
		rs = append(rs, fmt.Sprintf("proj%02d>=1.1", i))
	}
	dir := b.TempDir()
	if err := wheelpkg.WriteIndex(dir, ws, wheelpkg.IndexOptions{}); err != nil {
		b.Fatal(err)
	}
	var requests atomic.Int64
	h := wheelpkg.Handler(dir, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	requested := reqs(b, rs...)
	resolve := func(b *testing.B, cache string) {
		hc := channel.NewClient(cache, func(string) string { return "" })
		idx := &fetchpypi.Client{HTTP: hc, Indexes: []string{srv.URL + "/simple"}, CacheDir: cache}
		out, err := pypi.Resolve(context.Background(), idx, &pypi.Problem{Requirements: requested, Target: wheeltag.Target{Platform: "linux-64", Python: "3.11"}})
		if err != nil || len(out) != 60 {
			b.Fatalf("%d wheels, %v", len(out), err)
		}
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/resolve")
		b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/resolve")
	}
	b.Run("cold", func(b *testing.B) {
		root := b.TempDir()
		requests.Store(0)
		n := 0
		for b.Loop() {
			b.StopTimer()
			n++
			cache := filepath.Join(root, strconv.Itoa(n))
			b.StartTimer()
			resolve(b, cache)
		}
		report(b)
	})
	b.Run("warm", func(b *testing.B) {
		cache := b.TempDir()
		resolve(b, cache)
		requests.Store(0)
		for b.Loop() {
			resolve(b, cache)
		}
		report(b)
	})
}

// TestDirectURL: "name @ URL" requirements (PEP 508 direct references)
// lock the wheel at that URL, with the fragment's sha256 or, without
// one, the file's, and resolve its dependencies from the index; what
// cannot be locked is refused, saying why.
func TestDirectURL(t *testing.T) {
	idx := newIndex(t)
	plug := pure("plugin", "0.5.dev1", "colorlib>=2")
	arm := native("armplugin", "1.0", "cp311-cp311-manylinux_2_17_aarch64")
	files := t.TempDir()
	sums := map[string]string{}
	for _, w := range []*wheelpkg.Wheel{plug, arm} {
		data, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(files, w.Filename()), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		sums[w.Filename()] = hex.EncodeToString(s[:])
	}
	if err := os.WriteFile(filepath.Join(files, "plugin-0.5.tar.gz"), []byte("an sdist"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(files)))
	t.Cleanup(srv.Close)
	pfn := plug.Filename()
	purl := srv.URL + "/" + pfn
	target := wheeltag.Target{Platform: "linux-64", Python: "3.11"}
	resolve := func(rs ...string) ([]*lockfile.Wheel, error) {
		return pypi.Resolve(context.Background(), idx, &pypi.Problem{Requirements: reqs(t, rs...), Target: target})
	}

	for _, tt := range []struct {
		name string
		reqs []string
		want []string
	}{
		{"with #sha256=", []string{"plugin @ " + purl + "#sha256=" + sums[pfn]}, []string{"colorlib==2.1", "plugin==0.5.dev1"}},
		{"hashed when the URL has none", []string{"plugin @ " + purl}, []string{"colorlib==2.1", "plugin==0.5.dev1"}},
		{"a file:// URL", []string{"plugin @ file://" + filepath.ToSlash(filepath.Join(files, pfn))}, []string{"colorlib==2.1", "plugin==0.5.dev1"}},
		{"with another requirement on its dependency", []string{"plugin @ " + purl, "colorlib<3"}, []string{"colorlib==2.1", "plugin==0.5.dev1"}},
	} {
		ws, err := resolve(tt.reqs...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if d := cmp.Diff(tt.want, summary(ws)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
		for _, w := range ws {
			if w.Name != "plugin" {
				continue
			}
			wantURL := purl
			if strings.HasPrefix(tt.reqs[0], "plugin @ file://") {
				wantURL = "file://" + filepath.ToSlash(filepath.Join(files, pfn))
			}
			if w.URL != wantURL || w.SHA256 != sums[pfn] || w.Requested != tt.reqs[0] {
				t.Errorf("%s: locked %s %s requested %q; want %s %s %q", tt.name, w.URL, w.SHA256, w.Requested, wantURL, sums[pfn], tt.reqs[0])
			}
		}
	}

	u, _ := url.Parse(srv.URL)
	for _, tt := range []struct {
		name, req, err string
	}{
		{"an sdist", "plugin @ " + srv.URL + "/plugin-0.5.tar.gz", "plugin @ " + srv.URL + "/plugin-0.5.tar.gz: plugin-0.5.tar.gz is not a wheel; envlock installs wheels only and does not build source distributions"},
		{"a git URL", "plugin @ git+https://example.org/plugin.git@main", "plugin @ git+https://example.org/plugin.git@main: envlock reads wheels from https://, http:// and file:// URLs (PEP 508 direct references); VCS and other URLs are not supported"},
		{"another project's wheel", "other @ " + purl, "other @ " + purl + ": the wheel " + pfn + " is of the project plugin, not other"},
		{"another platform's wheel", "armplugin @ " + srv.URL + "/" + arm.Filename(), "armplugin @ " + srv.URL + "/" + arm.Filename() + ": the wheel " + arm.Filename() + " is built for cp311-cp311-manylinux_2_17_aarch64, which linux-64 with python 3.11 cannot use"},
		{"credentials in the URL", "plugin @ http://me:secret@" + u.Host + "/" + pfn, "plugin @ http://***@" + u.Host + "/" + pfn + ": the URL holds credentials, which would be written into env.lock; give them with ENVLOCK_TOKENS or ~/.netrc instead"},
		{"a bad fragment", "plugin @ " + purl + "#sha256=abc", "plugin @ " + purl + "#sha256=abc: the #sha256= fragment is not 64 hex digits"},
		{"a missing file", "plugin @ " + srv.URL + "/plugin-9.0-py3-none-any.whl", "plugin @ " + srv.URL + "/plugin-9.0-py3-none-any.whl: "},
		{"a separator hidden in an escape", "plugin @ " + srv.URL + "/x/..%2F" + pfn, "plugin @ " + srv.URL + "/x/..%2F" + pfn + ": the URL's file name \"../" + pfn + "\" is not a plain file name"},
	} {
		_, err := resolve(tt.req)
		if err == nil || !strings.HasPrefix(err.Error(), tt.err) || tt.name != "a missing file" && err.Error() != tt.err {
			t.Errorf("%s: %v\nwant %s", tt.name, err, tt.err)
		}
	}
	// A local version, escaped in the URL as download pages do
	// ("torch-2.3.1%2Bcu121-…"): the lock names the file unescaped and
	// reads back.
	loc := native("localv", "1.0+cu121", "cp311-cp311-manylinux_2_17_x86_64")
	data, err := loc.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(files, loc.Filename()), data, 0o644); err != nil {
		t.Fatal(err)
	}
	escaped := srv.URL + "/" + strings.ReplaceAll(loc.Filename(), "+", "%2B")
	ws, err := resolve("localv @ " + escaped)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Version != "1.0+cu121" || ws[0].URL != escaped || ws[0].FileName() != "localv-1.0+cu121-cp311-cp311-manylinux_2_17_x86_64.whl" {
		t.Fatalf("local version: %+v", ws)
	}
	l := &lockfile.Lock{Name: "t", Manifest: lockfile.Manifest{SHA256: strings.Repeat("0", 64)}, ChannelPriority: "strict",
		Platforms: []*lockfile.Platform{{Platform: "linux-64", Packages: []*lockfile.Package{}, PyPI: ws}}}
	enc, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockfile.Parse(enc); err != nil {
		t.Errorf("a lock with a local-version wheel by URL does not read back: %v", err)
	}

	// A dependent that wants another version than the URL's wheel.
	_, err = resolve("plugin @ "+purl, "plugin>=1")
	var ce *pypi.ConflictError
	if !errors.As(err, &ce) || err.Error() != "env.cue names the wheel "+pfn+" of plugin 0.5.dev1, but env.cue needs plugin>=1" {
		t.Errorf("conflict: %v", err)
	}
}
