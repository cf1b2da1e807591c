package solve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/repodata"
)

// rec makes a record from "name version build" plus depends.
func rec(channel, nvb string, depends ...string) *repodata.Record {
	f := strings.Fields(nvb)
	r := &repodata.Record{Name: f[0], Version: f[1], Build: "0", Channel: channel, Subdir: "linux-64"}
	if len(f) > 2 {
		r.Build = f[2]
	}
	r.Fn = fmt.Sprintf("%s-%s-%s.conda", r.Name, r.Version, r.Build)
	r.Prepare()
	for _, d := range depends {
		if c, ok := strings.CutPrefix(d, "constrains:"); ok {
			r.Constrains = append(r.Constrains, c)
		} else {
			r.Depends = append(r.Depends, d)
		}
	}
	return r
}

func specs(t testing.TB, ss ...string) []*matchspec.MatchSpec {
	t.Helper()
	var out []*matchspec.MatchSpec
	for _, s := range ss {
		ms, err := matchspec.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ms)
	}
	return out
}

func names(sol *Solution) string {
	var b []string
	for _, r := range sol.Records {
		b = append(b, r.Name+"="+r.Version)
	}
	return strings.Join(b, " ")
}

// check is an independent checker: one record per name, every depends met
// within the solution (or by a virtual package), every constrains of an
// installed record respected, every requested spec met.
func check(t testing.TB, p *Problem, sol *Solution) {
	t.Helper()
	byName := map[string]*repodata.Record{}
	for _, r := range append(append([]*repodata.Record(nil), sol.Records...), sol.Virtual...) {
		if o, dup := byName[r.Name]; dup {
			t.Fatalf("two records of %s: %s and %s", r.Name, o.Fn, r.Fn)
		}
		byName[r.Name] = r
	}
	for _, v := range p.Virtual {
		if _, ok := byName[v.Name]; !ok {
			byName[v.Name] = v
		}
	}
	satisfied := func(spec string) bool {
		ms, err := matchspec.Parse(spec)
		if err != nil {
			t.Fatalf("bad spec %q: %v", spec, err)
		}
		r := byName[ms.Name]
		return r != nil && ms.Match(r)
	}
	for _, ms := range p.Specs {
		if !satisfied(ms.String()) {
			t.Errorf("requested %s is not met", ms)
		}
	}
	for _, r := range sol.Records {
		for _, d := range r.Depends {
			if !satisfied(d) {
				t.Errorf("%s %s %s: dependency %q is not met", r.Name, r.Version, r.Build, d)
			}
		}
		for _, c := range r.Constrains {
			ms := matchspec.MustParse(c)
			if o := byName[ms.Name]; o != nil && !ms.Match(o) {
				t.Errorf("%s %s constrains %q but %s %s is installed", r.Name, r.Version, c, o.Name, o.Version)
			}
		}
	}
}

func solve(t testing.TB, p *Problem) *Solution {
	t.Helper()
	sol, err := Solve(context.Background(), p)
	if err != nil {
		t.Fatalf("Solve: %v", err)
	}
	check(t, p, sol)
	return sol
}

func TestSmall(t *testing.T) {
	idx := NewIndex([]*repodata.Record{
		rec("c", "python 3.9.18", "libffi >=3.4"),
		rec("c", "python 3.10.13", "libffi >=3.4"),
		rec("c", "python 3.11.7", "libffi >=3.4,<3.5"),
		rec("c", "libffi 3.4.2"),
		rec("c", "libffi 3.5.0"),
		rec("c", "numpy 1.26.4 py39_0", "python >=3.9,<3.10"),
		rec("c", "numpy 1.26.4 py311_0", "python >=3.11,<3.12"),
		rec("c", "numpy 2.0.1 py311_0", "python >=3.11,<3.12"),
	})
	for _, tc := range []struct {
		specs []string
		want  string
	}{
		{[]string{"python"}, "libffi=3.4.2 python=3.11.7"},
		{[]string{"python 3.10.*"}, "libffi=3.5.0 python=3.10.13"},
		{[]string{"numpy"}, "libffi=3.4.2 numpy=2.0.1 python=3.11.7"},
		{[]string{"python 3.9.*", "numpy"}, "libffi=3.5.0 numpy=1.26.4 python=3.9.18"},
		{[]string{"numpy", "python 3.9.*"}, "libffi=3.5.0 numpy=1.26.4 python=3.9.18"},
		{[]string{"numpy <2", "python"}, "libffi=3.4.2 numpy=1.26.4 python=3.11.7"},
	} {
		p := &Problem{Index: idx, Specs: specs(t, tc.specs...), Channels: []string{"c"}}
		if got := names(solve(t, p)); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.specs, got, tc.want)
		}
	}
}

func TestConstrains(t *testing.T) {
	idx := NewIndex([]*repodata.Record{
		rec("c", "a 1.0", "constrains:b <2"),
		rec("c", "a 2.0", "constrains:b <2"),
		rec("c", "b 1.0"),
		rec("c", "b 2.0"),
	})
	p := &Problem{Index: idx, Specs: specs(t, "a", "b"), Channels: []string{"c"}}
	if got := names(solve(t, p)); got != "a=2.0 b=1.0" {
		t.Errorf("got %s", got)
	}
	// constrains only restrict: b alone is not pulled in by a.
	p = &Problem{Index: idx, Specs: specs(t, "a"), Channels: []string{"c"}}
	if got := names(solve(t, p)); got != "a=2.0" {
		t.Errorf("got %s", got)
	}
}

func TestBacktracking(t *testing.T) {
	// The newest a needs c 2, which conflicts with what b needs; the solver
	// must fall back to a 1 rather than fail.
	idx := NewIndex([]*repodata.Record{
		rec("c", "a 2.0", "c 2.*"),
		rec("c", "a 1.0", "c 1.*"),
		rec("c", "b 1.0", "c 1.*"),
		rec("c", "c 1.0"),
		rec("c", "c 2.0"),
	})
	p := &Problem{Index: idx, Specs: specs(t, "a", "b"), Channels: []string{"c"}}
	if got := names(solve(t, p)); got != "a=1.0 b=1.0 c=1.0" {
		t.Errorf("got %s", got)
	}
}

func TestPreferences(t *testing.T) {
	withTS := func(r *repodata.Record, bn, ts int64, tf ...string) *repodata.Record {
		r.BuildNumber, r.Timestamp, r.TrackFeatures = bn, ts, tf
		return r
	}
	idx := NewIndex([]*repodata.Record{
		withTS(rec("c", "x 1.0 b1"), 1, 100),
		withTS(rec("c", "x 1.0 b2"), 2, 50),
		withTS(rec("c", "x 1.0 b3"), 2, 60),
		withTS(rec("c", "y 2.0 mkl"), 0, 0, "mkl"),
		withTS(rec("c", "y 1.0 plain"), 0, 0),
	})
	p := &Problem{Index: idx, Specs: specs(t, "x", "y"), Channels: []string{"c"}}
	sol := solve(t, p)
	if sol.Records[0].Build != "b3" {
		t.Errorf("x: got build %s, want b3 (higher build number, then newer timestamp)", sol.Records[0].Build)
	}
	if sol.Records[1].Build != "plain" {
		t.Errorf("y: got %s, want the build without track_features", sol.Records[1].Build)
	}
}

func TestChannelPriority(t *testing.T) {
	idx := NewIndex([]*repodata.Record{
		rec("first", "foo 1.0"),
		rec("second", "foo 2.0"),
		rec("second", "bar 1.0"),
	})
	p := &Problem{Index: idx, Specs: specs(t, "foo", "bar"), Channels: []string{"first", "second"}}
	if got := solve(t, p); got.Records[1].Channel != "first" || got.Records[1].Version != "1.0" {
		t.Errorf("strict: got foo %s from %s, want 1.0 from first", got.Records[1].Version, got.Records[1].Channel)
	}
	p.Flexible = true
	if got := solve(t, p); got.Records[1].Channel != "first" {
		t.Errorf("flexible without need: got foo from %s, want first", got.Records[1].Channel)
	}
	p.Specs = specs(t, "foo >=2")
	if got := solve(t, p); got.Records[0].Channel != "second" {
		t.Errorf("flexible foo >=2: got %s", got.Records[0].Channel)
	}
}

func TestVirtual(t *testing.T) {
	idx := NewIndex([]*repodata.Record{
		rec("c", "tool 2.0", "__glibc >=2.28"),
		rec("c", "tool 1.0", "__glibc >=2.17"),
	})
	glibc := func(v string) []*repodata.Record {
		return []*repodata.Record{{Name: "__glibc", Version: v, Build: "0"}}
	}
	p := &Problem{Index: idx, Specs: specs(t, "tool"), Channels: []string{"c"}, Virtual: glibc("2.28")}
	if got := names(solve(t, p)); got != "tool=2.0" {
		t.Errorf("glibc 2.28: got %s", got)
	}
	p.Virtual = glibc("2.17")
	if got := names(solve(t, p)); got != "tool=1.0" {
		t.Errorf("glibc 2.17: got %s", got)
	}
}

func unsat(t *testing.T, p *Problem) []string {
	t.Helper()
	_, err := Solve(context.Background(), p)
	var ue *UnsatError
	if !errors.As(err, &ue) {
		t.Fatalf("Solve: got %v, want an *UnsatError", err)
	}
	return ue.Lines
}

func assertLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("explanation:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestUnsatMissing(t *testing.T) {
	idx := NewIndex([]*repodata.Record{rec("c", "numpy 1.26.4"), rec("c", "numpy 2.0.1")})
	assertLines(t, unsat(t, &Problem{Index: idx, Specs: specs(t, "nosuchpkg"), Channels: []string{"c"}}),
		"└─ nosuchpkg (requested) cannot be installed:",
		"   └─ no package named nosuchpkg was found in the channels")
	assertLines(t, unsat(t, &Problem{Index: idx, Specs: specs(t, "numpy >=3"), Channels: []string{"c"}}),
		"└─ numpy[version='>=3'] (requested) cannot be installed:",
		"   └─ no candidate matches numpy[version='>=3']; numpy is available as 2.0.1 | 1.26.4")
}

func TestUnsatVersionConflict(t *testing.T) {
	idx := NewIndex([]*repodata.Record{
		rec("c", "python 3.9.18"),
		rec("c", "python 3.10.13"),
		rec("c", "python 3.11.7"),
		rec("c", "numpy 2.0.1 py310_0", "python >=3.10,<3.11"),
		rec("c", "numpy 2.0.1 py311_0", "python >=3.11,<3.12"),
	})
	lines := unsat(t, &Problem{Index: idx, Specs: specs(t, "python 3.9.*", "numpy >=2"), Channels: []string{"c"}})
	assertLines(t, lines,
		"└─ numpy[version='>=2'] (requested) cannot be installed because no candidate works:",
		"   ├─ numpy 2.0.1 requires python >=3.11,<3.12, which cannot be installed:",
		"   │  └─ python 3.11.7 conflicts with python 3.9.18 0, which is requested as python=3.9",
		"   └─ numpy 2.0.1 requires python >=3.10,<3.11, which cannot be installed:",
		"      └─ python 3.10.13 conflicts with python 3.9.18 0, which is requested as python=3.9")
}

func TestUnsatConstrains(t *testing.T) {
	idx := NewIndex([]*repodata.Record{
		rec("c", "a 1.0", "constrains:b <2"),
		rec("c", "b 2.0"),
	})
	assertLines(t, unsat(t, &Problem{Index: idx, Specs: specs(t, "a", "b >=2"), Channels: []string{"c"}}),
		"└─ b[version='>=2'] (requested) cannot be installed because no candidate works:",
		"   └─ b 2.0 is ruled out by a 1.0 0, which constrains 'b <2' (requested as a)")
}

func TestUnsatGlibc(t *testing.T) {
	idx := NewIndex([]*repodata.Record{rec("c", "tool 1.0", "__glibc >=2.17")})
	p := &Problem{Index: idx, Specs: specs(t, "tool"), Channels: []string{"c"},
		Virtual: []*repodata.Record{{Name: "__glibc", Version: "2.12", Build: "0"}}}
	assertLines(t, unsat(t, p),
		"└─ tool (requested) cannot be installed because no candidate works:",
		"   └─ tool 1.0 requires __glibc >=2.17, which cannot be installed:",
		"      └─ the target provides __glibc 2.12, which does not match __glibc >=2.17 (raise the system floor, e.g. system.glibc, or use --virtual)")
}

func TestUnsatChannelPriority(t *testing.T) {
	idx := NewIndex([]*repodata.Record{rec("first", "foo 1.0"), rec("second", "foo 2.0")})
	assertLines(t, unsat(t, &Problem{Index: idx, Specs: specs(t, "foo >=2"), Channels: []string{"first", "second"}}),
		"└─ foo[version='>=2'] (requested) cannot be installed:",
		"   ├─ no candidate matches foo[version='>=2']; foo is available as 1.0",
		"   └─ strict channel priority hides foo 2.0 in second: first comes first and has foo (use channel_priority flexible, or ask for the channel with channel::foo)")
}

// loadRepodata reads a repodata.json for tests of the solver alone.
func loadRepodata(t testing.TB, path, channel string) []*repodata.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rd struct {
		Info struct {
			Subdir string `json:"subdir"`
		} `json:"info"`
		Packages      map[string]json.RawMessage `json:"packages"`
		PackagesConda map[string]json.RawMessage `json:"packages.conda"`
	}
	if err := json.Unmarshal(data, &rd); err != nil {
		t.Fatal(err)
	}
	var out []*repodata.Record
	seen := map[string]bool{}
	add := func(fn string, raw json.RawMessage) {
		var r struct {
			repodata.Record
			TrackFeatures any `json:"track_features"`
			Noarch        any `json:"noarch"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s: %s: %v", path, fn, err)
		}
		rc := &r.Record
		if s, ok := r.TrackFeatures.(string); ok {
			rc.TrackFeatures = strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
		}
		rc.Fn, rc.Channel = fn, channel
		if rc.Subdir == "" {
			rc.Subdir = rd.Info.Subdir
		}
		rc.Prepare()
		out = append(out, rc)
	}
	for fn, raw := range rd.PackagesConda {
		seen[strings.TrimSuffix(fn, ".conda")] = true
		add(fn, raw)
	}
	for fn, raw := range rd.Packages {
		if !seen[strings.TrimSuffix(fn, ".tar.bz2")] {
			add(fn, raw)
		}
	}
	return out
}

func linuxVirtual(glibc string) []*repodata.Record {
	return []*repodata.Record{
		{Name: "__glibc", Version: glibc, Build: "0"},
		{Name: "__linux", Version: "5.10", Build: "0"},
		{Name: "__unix", Version: "0", Build: "0"},
		{Name: "__archspec", Version: "1", Build: "x86_64"},
	}
}

func subsetIndex(t testing.TB, subdir string) MapIndex {
	dir := testdata.SharedPath(t, "repodata/conda-forge-py39-subset")
	recs := loadRepodata(t, filepath.Join(dir, subdir, "repodata.json"), "conda-forge")
	recs = append(recs, loadRepodata(t, filepath.Join(dir, "noarch", "repodata.json"), "conda-forge")...)
	return NewIndex(recs)
}

func TestRealSubset(t *testing.T) {
	for _, tc := range []struct {
		subdir  string
		virtual []*repodata.Record
		specs   []string
		want    map[string]string // name → version prefix expected
	}{
		{"linux-64", linuxVirtual("2.17"), []string{"python 3.9.*"}, map[string]string{"python": "3.9."}},
		{"linux-64", linuxVirtual("2.17"), []string{"python 3.9.*", "pip", "setuptools"}, map[string]string{"python": "3.9.", "pip": ""}},
		{"osx-arm64", []*repodata.Record{{Name: "__osx", Version: "12.0", Build: "0"}, {Name: "__unix", Version: "0", Build: "0"}, {Name: "__archspec", Version: "1", Build: "m1"}}, []string{"python 3.9.*", "pip"}, map[string]string{"python": "3.9."}},
		{"win-64", []*repodata.Record{{Name: "__win", Version: "0", Build: "0"}, {Name: "__archspec", Version: "1", Build: "x86_64"}}, []string{"python 3.9.*", "pip"}, map[string]string{"python": "3.9."}},
	} {
		t.Run(tc.subdir+"/"+strings.Join(tc.specs, ","), func(t *testing.T) {
			p := &Problem{Index: subsetIndex(t, tc.subdir), Specs: specs(t, tc.specs...), Virtual: tc.virtual, Channels: []string{"conda-forge"}}
			sol := solve(t, p)
			got := map[string]string{}
			for _, r := range sol.Records {
				got[r.Name] = r.Version
			}
			for n, prefix := range tc.want {
				if v, ok := got[n]; !ok || !strings.HasPrefix(v, prefix) {
					t.Errorf("%s = %q, want prefix %q (solution: %s)", n, v, prefix, names(sol))
				}
			}
			t.Logf("%d records: %s (stats %+v)", len(sol.Records), names(sol), sol.Stats)
		})
	}
}

// TestRealNumpy solves "numpy" on mamba's real conda-forge closure and
// requires the one right answer, worked out from the file by hand (a
// breadth-first walk of depends from numpy; every name but libffi has a
// single record there, and libffi's two are the same build as .conda
// and .tar.bz2): numpy 1.26.4 for python 3.12.1 and exactly their
// closure, 30 records; pip, setuptools and wheel are in the file but
// nothing requires them (envlock does not add pip to python, as conda's
// add_pip_as_python_dependency would); libffi from the .conda file,
// which conda prefers.
func TestRealNumpy(t *testing.T) {
	path := testdata.SharedPath(t, "repodata/conda-forge-numpy-linux-64.json")
	p := &Problem{Index: NewIndex(loadRepodata(t, path, "conda-forge")), Specs: specs(t, "numpy"),
		Virtual: linuxVirtual("2.17"), Channels: []string{"conda-forge"}}
	sol := solve(t, p)
	want := []string{
		"_libgcc_mutex 0.1 conda_forge",
		"_openmp_mutex 4.5 2_gnu",
		"bzip2 1.0.8 hd590300_5",
		"ca-certificates 2024.2.2 hbcca054_0",
		"ld_impl_linux-64 2.40 h41732ed_0",
		"libblas 3.9.0 21_linux64_openblas",
		"libcblas 3.9.0 21_linux64_openblas",
		"libexpat 2.5.0 hcb278e6_1",
		"libffi 3.4.2 h7f98852_5",
		"libgcc-ng 13.2.0 h807b86a_5",
		"libgfortran-ng 13.2.0 h69a702a_5",
		"libgfortran5 13.2.0 ha4646dd_5",
		"libgomp 13.2.0 h807b86a_5",
		"liblapack 3.9.0 21_linux64_openblas",
		"libnsl 2.0.1 hd590300_0",
		"libopenblas 0.3.26 pthreads_h413a1c8_0",
		"libsqlite 3.44.2 h2797004_0",
		"libstdcxx-ng 13.2.0 h7e041cc_5",
		"libuuid 2.38.1 h0b41bf4_0",
		"libxcrypt 4.4.36 hd590300_1",
		"libzlib 1.2.13 hd590300_5",
		"ncurses 6.4 h59595ed_2",
		"numpy 1.26.4 py312head63a1_0",
		"openssl 3.2.1 hd590300_0",
		"python 3.12.1 hab00c5b_1_cpython",
		"python_abi 3.12 4_cp312",
		"readline 8.2 h8228510_1",
		"tk 8.6.13 noxft_h4845f30_101",
		"tzdata 2024a h0c530f3_0",
		"xz 5.2.6 h166bdaf_0",
	}
	var got []string
	for _, r := range sol.Records {
		got = append(got, r.Name+" "+r.Version+" "+r.Build)
		if r.Name == "libffi" && !strings.HasSuffix(r.Fn, ".conda") {
			t.Errorf("libffi from %s; want the .conda of the same build", r.Fn)
		}
	}
	sort.Strings(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("solution (-want +got):\n%s", d)
	}
}

// TestSudoku solves mamba's sudoku channel, where every cell is a package
// and every rule a dependency. Its boxes are encoded asymmetrically (e.g.
// sudoku_7_1 excludes sudoku_6_6), which makes the full grid impossible:
// pycosat, conda's former SAT solver, also answers UNSAT on the same
// clauses. The solver must prove that, and quickly; TestSudokuGrid solves
// a correctly encoded grid.
func TestSudoku(t *testing.T) {
	path := testdata.SharedPath(t, "repodata/sudoku.json")
	idx := NewIndex(loadRepodata(t, path, "sudoku"))
	var ss []string
	for name := range idx {
		ss = append(ss, name)
	}
	sort.Strings(ss)
	if len(ss) != 81 {
		t.Fatalf("sudoku.json has %d cells, want 81", len(ss))
	}
	sol, err := Solve(context.Background(), &Problem{Index: idx, Specs: specs(t, ss...), Channels: []string{"sudoku"}})
	_ = sol
	var ue *UnsatError
	if !errors.As(err, &ue) {
		t.Fatalf("Solve: %v, want unsatisfiable", err)
	}
}

// TestSudokuGrid builds a correct sudoku channel (rows, columns, 3×3
// boxes) with a few givens and checks the solution is a valid grid.
func TestSudokuGrid(t *testing.T) {
	var recs []*repodata.Record
	cell := func(r, c int) string { return fmt.Sprintf("cell_%d_%d", r, c) }
	for r := 0; r < 9; r++ {
		for c := 0; c < 9; c++ {
			for v := 1; v <= 9; v++ {
				x := rec("s", fmt.Sprintf("%s %d", cell(r, c), v))
				for r2 := 0; r2 < 9; r2++ {
					for c2 := 0; c2 < 9; c2++ {
						same := r2 == r || c2 == c || (r2/3 == r/3 && c2/3 == c/3)
						if same && !(r2 == r && c2 == c) {
							x.Depends = append(x.Depends, fmt.Sprintf("%s !=%d", cell(r2, c2), v))
						}
					}
				}
				recs = append(recs, x)
			}
		}
	}
	// A puzzle's givens (the first row of a known grid).
	req := []string{"cell_0_0 ==5", "cell_0_1 ==3", "cell_0_4 ==7", "cell_1_0 ==6", "cell_1_3 ==1", "cell_1_4 ==9", "cell_1_5 ==5"}
	for r := 0; r < 9; r++ {
		for c := 0; c < 9; c++ {
			req = append(req, cell(r, c))
		}
	}
	sol := solve(t, &Problem{Index: NewIndex(recs), Specs: specs(t, req...), Channels: []string{"s"}})
	if len(sol.Records) != 81 {
		t.Fatalf("%d cells filled, want 81", len(sol.Records))
	}
	t.Logf("stats %+v", sol.Stats)
}

func defaultsIndex(t testing.TB, file string) MapIndex {
	path := testdata.SharedPath(t, "repodata/anaconda-defaults-old/"+file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := repodata.ParseIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Channel = "defaults"
	}
	return NewIndex(recs)
}

// TestDefaultsOld solves conda's own old solver fixtures, which use
// legacy features and track_features.
func TestDefaultsOld(t *testing.T) {
	idx := defaultsIndex(t, "index.json")
	for _, tc := range []struct {
		specs []string
		want  map[string]string // name → version prefix
	}{
		// conda's test_resolve: numpy-1.7.1-py33_0 with python-3.3.2-0.
		{[]string{"numpy"}, map[string]string{"numpy": "1.7.1", "python": "3.3.2"}},
		{[]string{"scipy"}, map[string]string{"scipy": "0.12.0", "numpy": "1.7.1", "python": "3.3.2"}},
		{[]string{"python 2*", "numpy"}, map[string]string{"python": "2.7.5", "numpy": "1.7.1"}},
		{[]string{"numpy", "mkl"}, map[string]string{"mkl": ""}},
	} {
		p := &Problem{Index: idx, Specs: specs(t, tc.specs...), Channels: []string{"defaults"}, Virtual: linuxVirtual("2.17")}
		sol := solve(t, p)
		got := map[string]*repodata.Record{}
		for _, r := range sol.Records {
			got[r.Name] = r
		}
		for n, prefix := range tc.want {
			if r := got[n]; r == nil || !strings.HasPrefix(r.Version, prefix) {
				t.Errorf("%v: %s = %v, want version prefix %q (%s)", tc.specs, n, r, prefix, names(sol))
			}
		}
		if n := got["numpy"]; n != nil && tc.specs[len(tc.specs)-1] == "numpy" && n.Features != "" {
			t.Errorf("%v: numpy %s %s carries features %q; the featureless build is preferred", tc.specs, n.Version, n.Build, n.Features)
		}
		t.Logf("%v: %s", tc.specs, names(sol))
	}
}

// TestDeterministic solves the same request on the records in shuffled
// orders: the answer must not depend on the order of a channel's records.
func TestDeterministic(t *testing.T) {
	dir := testdata.SharedPath(t, "repodata/conda-forge-py39-subset")
	recs := loadRepodata(t, filepath.Join(dir, "osx-arm64", "repodata.json"), "conda-forge")
	recs = append(recs, loadRepodata(t, filepath.Join(dir, "noarch", "repodata.json"), "conda-forge")...)
	virt := []*repodata.Record{{Name: "__osx", Version: "11.0", Build: "0"}, {Name: "__unix", Version: "0", Build: "0"}, {Name: "__archspec", Version: "1", Build: "arm64"}}
	var first string
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 8; i++ {
		r.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
		p := &Problem{Index: NewIndex(recs), Specs: specs(t, "python 3.9.*", "pip", "curl"), Virtual: virt, Channels: []string{"conda-forge"}}
		sol := solve(t, p)
		var got []string
		for _, x := range sol.Records {
			got = append(got, x.Fn)
		}
		s := strings.Join(got, " ")
		if i == 0 {
			first = s
		} else if s != first {
			t.Fatalf("order %d gave a different answer:\n%s\nvs\n%s", i, s, first)
		}
	}
}

// assertFirstOptimal checks the first requested package got the highest
// version any solution allows: asking for a strictly higher one on top of
// the same request must be unsatisfiable.
func assertFirstOptimal(t *testing.T, p *Problem, sol *Solution) {
	t.Helper()
	name := p.Specs[0].Name
	var got *repodata.Record
	for _, r := range sol.Records {
		if r.Name == name {
			got = r
		}
	}
	if got == nil {
		t.Fatalf("%s not in the solution", name)
	}
	q := *p
	q.Specs = append(append([]*matchspec.MatchSpec(nil), p.Specs...), matchspec.MustParse(name+" >"+got.Version))
	if better, err := Solve(context.Background(), &q); err == nil {
		for _, r := range better.Records {
			if r.Name == name {
				t.Errorf("%s %s was chosen but %s %s is installable with the same request", name, got.Version, name, r.Version)
			}
		}
	}
}

func TestOptimalFirst(t *testing.T) {
	idx := subsetIndex(t, "linux-64")
	for _, ss := range [][]string{{"python"}, {"pip", "python 3.9.*"}, {"setuptools", "python 3.9.1"}, {"curl"}, {"certifi"}} {
		p := &Problem{Index: idx, Specs: specs(t, ss...), Virtual: linuxVirtual("2.17"), Channels: []string{"conda-forge"}}
		assertFirstOptimal(t, p, solve(t, p))
	}
	old := defaultsIndex(t, "index.json")
	for _, ss := range [][]string{{"numpy"}, {"scipy"}, {"numpy", "python 2*"}} {
		p := &Problem{Index: old, Specs: specs(t, ss...), Virtual: linuxVirtual("2.17"), Channels: []string{"defaults"}}
		assertFirstOptimal(t, p, solve(t, p))
	}
}
