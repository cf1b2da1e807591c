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

// refAtom is one element of conda's printed VersionOrder.version list.
type refAtom struct {
	kind atomKind
	text string // digits without leading zeros, or the string
}

// parseRef reads conda's printed parse, e.g. "[[0], [1, 'a', 2], [0, inf]]".
func parseRef(t *testing.T, s string) [][]refAtom {
	t.Helper()
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[[") || !strings.HasSuffix(s, "]]") {
		t.Fatalf("malformed parse %q", s)
	}
	var out [][]refAtom
	for _, comp := range strings.Split(s[2:len(s)-2], "], [") {
		var c []refAtom
		for _, a := range strings.Split(comp, ", ") {
			switch {
			case a == "inf":
				c = append(c, refAtom{kind: kindPost})
			case strings.HasPrefix(a, "'"):
				c = append(c, refAtom{kind: kindString, text: strings.Trim(a, "'")})
			default:
				c = append(c, refAtom{kind: kindNumber, text: strings.TrimLeft(a, "0")})
			}
		}
		out = append(out, c)
	}
	return out
}

// refCompare is conda's VersionOrder.__lt__ written out on conda's own
// parse (no local parts in the data set): zip_longest over components
// with [] as fill, then over atoms with 0 as fill; strings before numbers,
// numbers by value, +inf last.
func refCompare(x, y [][]refAtom) int {
	for i := 0; i < max(len(x), len(y)); i++ {
		var cx, cy []refAtom
		if i < len(x) {
			cx = x[i]
		}
		if i < len(y) {
			cy = y[i]
		}
		for j := 0; j < max(len(cx), len(cy)); j++ {
			ax, ay := refAtom{kind: kindNumber}, refAtom{kind: kindNumber}
			if j < len(cx) {
				ax = cx[j]
			}
			if j < len(cy) {
				ay = cy[j]
			}
			if ax == ay {
				continue
			}
			if ax.kind != ay.kind {
				if ax.kind < ay.kind {
					return -1
				}
				return 1
			}
			if ax.kind == kindNumber && len(ax.text) != len(ay.text) {
				if len(ax.text) < len(ay.text) {
					return -1
				}
				return 1
			}
			return strings.Compare(ax.text, ay.text)
		}
	}
	return 0
}

// TestSortedConformance sorts the ~28,000 real versions of
// conformance/versions_sorted.txt after a shuffle and checks that every
// neighbour pair is in conda's order, judged by conda's comparison applied
// to conda's own parse of each version (parsed_versions.txt).
//
// The file itself is not in conda's order (it is sorted as strings, so
// "0.0.0.0.12" stands before "0.0.0.0.8"); the test reports how many of its
// neighbour pairs conda would swap, and asserts our order instead.
func TestSortedConformance(t *testing.T) {
	sortedPath := testdata.SharedPath(t, "conformance/versions_sorted.txt")
	parsedPath := testdata.SharedPath(t, "conformance/parsed_versions.txt")

	ref := map[string][][]refAtom{}
	pf, err := os.Open(parsedPath)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	sc := bufio.NewScanner(pf)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		in, parse, _ := strings.Cut(line, "=")
		ref[in] = parseRef(t, parse)
	}

	data, err := os.ReadFile(sortedPath)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 28000 {
		t.Fatalf("only %d versions in %s", len(lines), sortedPath)
	}
	fileInversions := 0
	for i := 1; i < len(lines); i++ {
		a, b := ref[lines[i-1]], ref[lines[i]]
		if a == nil || b == nil {
			t.Fatalf("%q or %q has no conda parse in parsed_versions.txt", lines[i-1], lines[i])
		}
		if refCompare(a, b) > 0 {
			fileInversions++
		}
	}
	t.Logf("versions_sorted.txt: %d of %d neighbour pairs are not in conda's order", fileInversions, len(lines)-1)

	vs := make([]Version, len(lines))
	for i, l := range lines {
		v, err := Parse(l)
		if err != nil {
			t.Fatalf("Parse(%q): %v", l, err)
		}
		vs[i] = v
	}
	r := rand.New(rand.NewPCG(7, 11))
	r.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
	slices.SortFunc(vs, Version.Compare)
	for i := 1; i < len(vs); i++ {
		a, b := vs[i-1], vs[i]
		if c := refCompare(ref[a.String()], ref[b.String()]); c > 0 {
			t.Errorf("sorted %q before %q; conda orders them the other way", a, b)
		}
		// Equal neighbours must be equal for conda too, and vice versa
		// (conda's printed parse leaves out local parts, "+abc").
		if !a.HasLocal() && !b.HasLocal() && (a.Compare(b) == 0) != (refCompare(ref[a.String()], ref[b.String()]) == 0) {
			t.Errorf("%q vs %q: equality differs from conda", a, b)
		}
	}
}
