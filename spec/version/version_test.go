package version

import (
	"bufio"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testdata"
)

// conda's tests/models/test_version.py::test_version_order, transcribed:
// each version with conda's parse; the list is in conda's sorted order.
var condaVersionOrder = []struct{ in, parts string }{
	{"0.4", "[[0], [0], [4]]"},
	{"0.4.0", "[[0], [0], [4], [0]]"},
	{"0.4.1a.vc11", "[[0], [0], [4], [1, 'a'], [0, 'vc', 11]]"},
	{"0.4.1.rc", "[[0], [0], [4], [1], [0, 'rc']]"},
	{"0.4.1.vc11", "[[0], [0], [4], [1], [0, 'vc', 11]]"},
	{"0.4.1", "[[0], [0], [4], [1]]"},
	{"0.5*", "[[0], [0], [5, '*']]"},
	{"0.5a1", "[[0], [0], [5, 'a', 1]]"},
	{"0.5b3", "[[0], [0], [5, 'b', 3]]"},
	{"0.5C1", "[[0], [0], [5, 'c', 1]]"},
	{"0.5z", "[[0], [0], [5, 'z']]"},
	{"0.5za", "[[0], [0], [5, 'za']]"},
	{"0.5", "[[0], [0], [5]]"},
	{"0.5_5", "[[0], [0], [5], [5]]"},
	{"0.5-5", "[[0], [0], [5], [5]]"},
	{"0.9.6", "[[0], [0], [9], [6]]"},
	{"0.960923", "[[0], [0], [960923]]"},
	{"1.0", "[[0], [1], [0]]"},
	{"1.0.4a3", "[[0], [1], [0], [4, 'a', 3]]"},
	{"1.0.4b1", "[[0], [1], [0], [4, 'b', 1]]"},
	{"1.0.4", "[[0], [1], [0], [4]]"},
	{"1.1dev1", "[[0], [1], [1, 'DEV', 1]]"},
	{"1.1_", "[[0], [1], [1, '_']]"},
	{"1.1a1", "[[0], [1], [1, 'a', 1]]"},
	{"1.1.dev1", "[[0], [1], [1], [0, 'DEV', 1]]"},
	{"1.1.a1", "[[0], [1], [1], [0, 'a', 1]]"},
	{"1.1", "[[0], [1], [1]]"},
	{"1.1.post1", "[[0], [1], [1], [0, inf, 1]]"},
	{"1.1.1dev1", "[[0], [1], [1], [1, 'DEV', 1]]"},
	{"1.1.1rc1", "[[0], [1], [1], [1, 'rc', 1]]"},
	{"1.1.1", "[[0], [1], [1], [1]]"},
	{"1.1.1post1", "[[0], [1], [1], [1, inf, 1]]"},
	{"1.1post1", "[[0], [1], [1, inf, 1]]"},
	{"2g6", "[[0], [2, 'g', 6]]"},
	{"2.0b1pr0", "[[0], [2], [0, 'b', 1, 'pr', 0]]"},
	{"2.2be.ta29", "[[0], [2], [2, 'be'], [0, 'ta', 29]]"},
	{"2.2be5ta29", "[[0], [2], [2, 'be', 5, 'ta', 29]]"},
	{"2.2beta29", "[[0], [2], [2, 'beta', 29]]"},
	{"2.2.0.1", "[[0], [2], [2], [0], [1]]"},
	{"3.1.1.6", "[[0], [3], [1], [1], [6]]"},
	{"3.2.p.r0", "[[0], [3], [2], [0, 'p'], [0, 'r', 0]]"},
	{"3.2.pr0", "[[0], [3], [2], [0, 'pr', 0]]"},
	{"3.2.pr.1", "[[0], [3], [2], [0, 'pr'], [1]]"},
	{"5.5.kw", "[[0], [5], [5], [0, 'kw']]"},
	{"11g", "[[0], [11, 'g']]"},
	{"14.3.1", "[[0], [14], [3], [1]]"},
	{"14.3.1.post26.g9d75ca2", "[[0], [14], [3], [1], [0, inf, 26], [0, 'g', 9, 'd', 75, 'ca', 2]]"},
	{"1996.07.12", "[[0], [1996], [7], [12]]"},
	{"1!0.4.1", "[[1], [0], [4], [1]]"},
	{"1!3.1.1.6", "[[1], [3], [1], [1], [6]]"},
	{"2!0.4.1", "[[2], [0], [4], [1]]"},
}

func TestCondaVersionOrder(t *testing.T) {
	var vs []Version
	for _, tc := range condaVersionOrder {
		v, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if got := v.Components(); got != tc.parts {
			t.Errorf("Parse(%q).Components() = %s, want %s", tc.in, got, tc.parts)
		}
		if got, want := v.Normalized(), strings.ReplaceAll(strings.ToLower(tc.in), "-", "_"); got != want {
			t.Errorf("Parse(%q).Normalized() = %q, want %q", tc.in, got, want)
		}
		vs = append(vs, v)
	}
	assertSortsTo(t, vs)
}

// assertSortsTo shuffles want, sorts it and checks the original order
// comes back (up to equal versions).
func assertSortsTo(t *testing.T, want []Version) {
	t.Helper()
	for i := 1; i < len(want); i++ {
		if c := want[i-1].Compare(want[i]); c > 0 {
			t.Errorf("%q sorts after %q; conda sorts it before", want[i-1], want[i])
		}
		if c := want[i].Compare(want[i-1]); c < 0 {
			t.Errorf("%q sorts before %q; conda sorts it after", want[i], want[i-1])
		}
	}
	for seed := uint64(1); seed <= 3; seed++ {
		got := slices.Clone(want)
		r := rand.New(rand.NewPCG(seed, seed))
		r.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		slices.SortStableFunc(got, Version.Compare)
		for i := range got {
			if !got[i].Equal(want[i]) {
				t.Fatalf("seed %d: position %d is %q, want %q", seed, i, got[i], want[i])
			}
		}
	}
}

func TestCondaEquality(t *testing.T) {
	eq := [][2]string{
		{"0.4.1.rc", "  0.4.1.RC  "},
		{"  0.4.rc  ", "0.4.RC"},
		{"0.4", "0.4.0"},
		{"0.4.a1", "0.4.0a1"},
		{"1.2", "1.2.0.0.0.0"},
		{"1.0", "1"},
		{"1.0-1", "1.0_1"},
	}
	for _, p := range eq {
		if !MustParse(p[0]).Equal(MustParse(p[1])) {
			t.Errorf("%q != %q, want equal", p[0], p[1])
		}
	}
	ne := [][2]string{
		{"0.4", "0.4.1"},
		{"0.4.a1", "0.4.1a1"},
		{"1.2", "1.2.0.0.0.1"},
		{"1.2", "1.2.0.0.0.a"},
		{"1.0+1", "1.0"},
	}
	for _, p := range ne {
		if MustParse(p[0]).Equal(MustParse(p[1])) {
			t.Errorf("%q == %q, want different", p[0], p[1])
		}
	}
}

func TestOpenSSLConvention(t *testing.T) {
	var vs []Version
	for _, s := range []string{
		"1.0.1dev", "1.0.1_", "1.0.1a", "1.0.1b", "1.0.1c", "1.0.1d", "1.0.1r",
		"1.0.1rc", "1.0.1rc1", "1.0.1rc2", "1.0.1s", "1.0.1", "1.0.1post.a",
		"1.0.1post.b", "1.0.1post.z", "1.0.1post.za", "1.0.2",
	} {
		vs = append(vs, MustParse(s))
	}
	assertSortsTo(t, vs)
}

func TestPEP440Order(t *testing.T) {
	// conda's test_pep440: PEP 440 versions in conda's order.
	list := []string{
		"1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456",
		"1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0c1.dev456",
		"1.0c1", "1.0c3", "1.0rc2", "1.0.dev456", "1.0", "1.0.post456.dev34",
		"1.0.post456", "1.1.dev1", "1.2.r32+123456", "1.2.rev33+123456",
		"1.2+abc", "1.2+abc123def", "1.2+abc123", "1.2+123abc",
		"1.2+123abc456", "1.2+1234.abc", "1.2+123456",
	}
	var vs []Version
	for _, epoch := range []string{"", "1!"} {
		for _, s := range list {
			vs = append(vs, MustParse(epoch+s))
		}
	}
	vs = append(vs[:0:0], vs...)
	assertSortsTo(t, vs)
	assertSortsTo(t, []Version{MustParse("0.3.0.dev"), MustParse("0.3.3")}) // test_hexrd
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"", "empty version string"},
		{"  ", "empty version string"},
		{"3.5&1", `invalid version "3.5&1": invalid character '&' (at column 4)`},
		{"5.5++", "duplicated local version separator '+'"},
		{"5.5..mw", "empty version component"},
		{"!", "epoch must be an integer"},
		{"a!1.0", "epoch must be an integer"},
		{"a!b!1.0", "duplicated epoch separator '!'"},
		{"1.2+", "empty version component"},
		{"+1.2", "missing version before local version separator '+'"},
		{"1 2", "invalid character ' '"},
		{"1.0-1_2", "invalid character '-'"},
	} {
		_, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error containing %q", tc.in, tc.msg)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", tc.in, err, tc.msg)
		}
	}
}

func TestStartsWith(t *testing.T) {
	for _, tc := range []struct {
		v, prefix string
		want      bool
	}{
		{"0.4.1", "0", true},
		{"0.4.1", "0.4", true},
		{"0.4.1p1", "0.4", true},
		{"0.4.1p1", "0.4.1p", true},
		{"0.4.1p1", "0.4.1q1", false},
		{"0.4", "0.4.1", false},
		{"0.4.1+1.3", "0.4.1", true},
		{"0.4.1+1.3", "0.4.1+1", true},
		{"0.4.1", "0.4.1+1.3", false},
		{"0.4.1+1", "0.4.1+1.3", false},
		{"1.20", "1.2", false},
		{"1.2", "1.2", true},
		{"1.0", "1.0.0", true},
		{"2013ab", "2013a", true},
		{"2013a", "2013b", false},
	} {
		if got := MustParse(tc.v).StartsWith(MustParse(tc.prefix)); got != tc.want {
			t.Errorf("%q.StartsWith(%q) = %v, want %v", tc.v, tc.prefix, got, tc.want)
		}
	}
}

// TestConformance parses every version conda parsed in
// conformance/parsed_versions.txt and compares the components.
func TestConformance(t *testing.T) {
	path := testdata.SharedPath(t, "conformance/parsed_versions.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		// The version itself never holds '=', so the first one separates.
		in, want, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("malformed line %q", line)
		}
		n++
		v, err := Parse(in)
		if err != nil {
			bad++
			t.Errorf("Parse(%q): %v (conda parses it as %s)", in, err, want)
			continue
		}
		if got := v.Components(); got != want {
			bad++
			t.Errorf("Parse(%q) = %s, conda: %s", in, got, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 28000 {
		t.Fatalf("read only %d versions from %s", n, path)
	}
	t.Logf("%d versions parsed, %d differ from conda", n, bad)
}
