package solve

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/version"
)

// A wideCase is a random problem over the whole record and spec
// language the solver meets in real channels: several builds of a
// version with build numbers and timestamps, two channels, track_features,
// virtual packages, constrains, and specs with globs, "|", "," and build
// strings.
type wideCase struct {
	recs     []*repodata.Record
	virtual  []*repodata.Record
	req      []string
	channels []string
	flexible bool
}

var (
	wideVersions = []string{"1.0", "1.2", "1.10", "2.0a1", "2.0", "2.0.1", "3.1"}
	// wideSpecs are version specs, from exact to loose; %s is a version
	// of the pool, %[2]s another.
	// ">=" and "*" twice: most real specs are lower bounds or bare names.
	wideSpecs = []string{"==%s", ">=%s", ">=%s", "<%s", "!=%s", "%s.*", ">=%s,<%s", "%s|%s", "%s", "*", "*"}
)

func randomWide(r *rand.Rand) wideCase {
	c := wideCase{channels: []string{"c1", "c2"}, flexible: r.IntN(2) == 0}
	names := []string{"a", "b", "c", "d", "e"}[:3+r.IntN(3)]
	has := map[string][]string{} // versions each name has
	pick := func() string { return wideVersions[r.IntN(len(wideVersions))] }
	// pickOf is mostly a version n has, so that most specs can be met.
	pickOf := func(n string) string {
		if vs := has[n]; len(vs) > 0 && r.IntN(4) != 0 {
			return vs[r.IntN(len(vs))]
		}
		return pick()
	}
	spec := func(n string) string {
		f := wideSpecs[r.IntN(len(wideSpecs))]
		lo, hi := pickOf(n), pickOf(n)
		if version.MustParse(hi).Compare(version.MustParse(lo)) < 0 {
			lo, hi = hi, lo
		}
		s := n
		switch {
		case f == "*":
			s += " *"
		case f == "<%s":
			s += " <" + hi // an upper bound above the lowest version
		case strings.Count(f, "%s") == 2 && lo != hi:
			s += " " + fmt.Sprintf(f, lo, hi)
		case strings.Count(f, "%s") == 2:
			s += " >=" + lo // the range would be empty
		default:
			s += " " + fmt.Sprintf(f, lo)
		}
		// Sometimes a build glob: builds are "h<k>_<number>".
		if r.IntN(7) == 0 {
			s += fmt.Sprintf(" h%d_*", r.IntN(2))
		}
		return s
	}
	for _, n := range names {
		for range 1 + r.IntN(3) {
			v := pick()
			has[n] = append(has[n], v)
			for range 1 + r.IntN(2) { // builds of one version
				bn := r.IntN(3)
				rc := &repodata.Record{
					Name: n, Version: v, Build: fmt.Sprintf("h%d_%d", r.IntN(2), bn), BuildNumber: int64(bn),
					Timestamp: 1700000000000 + int64(r.IntN(3))*1000,
					Channel:   c.channels[r.IntN(2)], Subdir: "linux-64",
				}
				rc.Fn = fmt.Sprintf("%s-%s-%s.conda", rc.Name, rc.Version, rc.Build)
				if r.IntN(8) == 0 {
					rc.TrackFeatures = []string{"debug"}
				}
				// The same name, version and build twice in one channel is
				// not something a channel has; in two channels they are
				// two records.
				if !slices.ContainsFunc(c.recs, func(o *repodata.Record) bool {
					return o.Name == rc.Name && o.Version == rc.Version && o.Build == rc.Build && o.Channel == rc.Channel
				}) {
					c.recs = append(c.recs, rc)
				}
			}
		}
	}
	for _, rc := range c.recs {
		for _, m := range names {
			if m == rc.Name || r.IntN(5) > 1 {
				continue
			}
			if r.IntN(4) == 0 {
				rc.Constrains = append(rc.Constrains, spec(m))
			} else {
				rc.Depends = append(rc.Depends, spec(m))
			}
		}
		if r.IntN(4) == 0 {
			rc.Depends = append(rc.Depends, "__glibc >="+[]string{"2.17", "2.28", "2.34"}[r.IntN(3)])
		}
	}
	c.virtual = []*repodata.Record{{Name: "__glibc", Version: []string{"2.28", "2.34"}[r.IntN(2)], Build: "0", Subdir: "linux-64"}}
	for _, n := range names {
		if r.IntN(3) == 0 {
			c.req = append(c.req, spec(n))
		}
	}
	if len(c.req) == 0 {
		c.req = []string{names[0]}
	}
	return c
}

func (c wideCase) problem(t testing.TB) *Problem {
	return &Problem{Index: NewIndex(c.recs), Specs: specs(t, c.req...), Virtual: c.virtual, Channels: c.channels, Flexible: c.flexible}
}

func (c wideCase) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "request %q, channels %v flexible=%v, virtual __glibc %s\n", c.req, c.channels, c.flexible, c.virtual[0].Version)
	for _, r := range c.recs {
		fmt.Fprintf(&b, "  %s %s %s bn=%d ts=%d %s tf=%v dep%q con%q\n", r.Name, r.Version, r.Build, r.BuildNumber, r.Timestamp%10000, r.Channel, r.TrackFeatures, r.Depends, r.Constrains)
	}
	return b.String()
}

// wideOracle is the test's own reading of the rules, independent of the
// solver's code: which records are candidates, which sets are solutions,
// and which of two candidates the documented preference order ranks
// first.
type wideOracle struct {
	c      wideCase
	parsed map[string]*matchspec.MatchSpec
	cands  map[string][]*repodata.Record // per name, after strict priority
	names  []string
}

func newWideOracle(c wideCase) *wideOracle {
	o := &wideOracle{c: c, parsed: map[string]*matchspec.MatchSpec{}, cands: map[string][]*repodata.Record{}}
	byName := map[string][]*repodata.Record{}
	for _, r := range c.recs {
		if byName[r.Name] == nil {
			o.names = append(o.names, r.Name)
		}
		byName[r.Name] = append(byName[r.Name], r)
	}
	for n, rs := range byName {
		if c.flexible {
			o.cands[n] = rs
			continue
		}
		// Strict channel priority: only the highest-priority channel that
		// has the name at all offers candidates.
		best := len(c.channels)
		for _, r := range rs {
			best = min(best, o.prio(r))
		}
		for _, r := range rs {
			if o.prio(r) == best {
				o.cands[n] = append(o.cands[n], r)
			}
		}
	}
	return o
}

func (o *wideOracle) prio(r *repodata.Record) int {
	if i := slices.Index(o.c.channels, r.Channel); i >= 0 {
		return i
	}
	return len(o.c.channels)
}

func (o *wideOracle) spec(s string) *matchspec.MatchSpec {
	if ms, ok := o.parsed[s]; ok {
		return ms
	}
	ms := matchspec.MustParse(s)
	o.parsed[s] = ms
	return ms
}

// valid reports whether chosen (name → record; virtual packages added
// here) meets the request, every depends and every constrains.
func (o *wideOracle) valid(chosen map[string]*repodata.Record) bool {
	met := func(s string) bool {
		ms := o.spec(s)
		if strings.HasPrefix(ms.Name, "__") {
			for _, v := range o.c.virtual {
				if v.Name == ms.Name && ms.Match(v) {
					return true
				}
			}
			return false
		}
		r := chosen[ms.Name]
		return r != nil && ms.Match(r)
	}
	for _, s := range o.c.req {
		if !met(s) {
			return false
		}
	}
	for _, r := range chosen {
		for _, d := range r.Depends {
			if !met(d) {
				return false
			}
		}
		for _, s := range r.Constrains {
			ms := o.spec(s)
			if x := chosen[ms.Name]; x != nil && !ms.Match(x) {
				return false
			}
		}
	}
	return true
}

// solutions enumerates every valid set of candidates (at most one per
// name), calling yield with each.
func (o *wideOracle) solutions(yield func(map[string]*repodata.Record)) {
	chosen := map[string]*repodata.Record{}
	var try func(i int)
	try = func(i int) {
		if i == len(o.names) {
			if o.valid(chosen) {
				yield(chosen)
			}
			return
		}
		n := o.names[i]
		try(i + 1)
		for _, r := range o.cands[n] {
			chosen[n] = r
			try(i + 1)
		}
		delete(chosen, n)
	}
	try(0)
}

// better reports whether a ranks strictly before b, two candidates of one
// name, under the order the package documentation gives: fewer
// track_features, then (flexible priority only) the higher-priority
// channel, higher version, higher build number, newer timestamp. ok is
// false where the documented order leaves the two to the solver's
// tie-breaks: the same version with different dependencies (ranked by
// what the dependencies allow), or nothing above telling them apart.
func (o *wideOracle) better(a, b *repodata.Record) (better, ok bool) {
	if fa, fb := len(a.TrackFeatures), len(b.TrackFeatures); fa != fb {
		return fa < fb, true
	}
	if o.c.flexible && o.prio(a) != o.prio(b) {
		return o.prio(a) < o.prio(b), true
	}
	if c := version.MustParse(a.Version).Compare(version.MustParse(b.Version)); c != 0 {
		return c > 0, true
	}
	if !slices.Equal(a.Depends, b.Depends) {
		return false, false
	}
	if a.BuildNumber != b.BuildNumber {
		return a.BuildNumber > b.BuildNumber, true
	}
	if a.Timestamp != b.Timestamp {
		return a.Timestamp > b.Timestamp, true
	}
	return false, false
}

// TestRandomWide checks the solver against brute force on small random
// problems over builds, build numbers, globs, "|" and "," specs, virtual
// packages, two channels (strict and flexible priority), constrains and
// track_features:
//   - sound and complete: it finds a solution exactly when one exists;
//   - every record it returns is a record of the index (the very record,
//     not a copy), from the channel strict priority allows;
//   - every record it returns is needed: reachable from the request
//     through depends inside the solution;
//   - preferred, as the package documentation promises ("every record in
//     the result is the most preferred one its requirement could take
//     given the decisions before it"): no other solution differs from it
//     in one record only, with that record ranked strictly higher;
//   - where every name's most preferred candidate together forms a
//     solution, that is the answer.
func TestRandomWide(t *testing.T) {
	const n = 2000
	r := rand.New(rand.NewPCG(23, 42))
	var solvable, unsat, ideal, swapsChecked int
	var sizes int
	for i := range n {
		c := randomWide(r)
		p := c.problem(t)
		o := newWideOracle(c)
		var all []map[string]*repodata.Record
		o.solutions(func(s map[string]*repodata.Record) {
			all = append(all, maps(s))
		})
		sol, err := Solve(context.Background(), p)
		var ue *UnsatError
		switch {
		case err == nil:
			solvable++
			sizes += len(sol.Records)
			check(t, p, sol)
			if len(all) == 0 {
				t.Fatalf("case %d: solver found %s but brute force finds none\n%s", i, names(sol), c)
			}
			got := map[string]*repodata.Record{}
			for _, rec := range sol.Records {
				got[rec.Name] = rec
				if !slices.Contains(o.cands[rec.Name], rec) {
					t.Fatalf("case %d: %s %s %s (%s) is not a candidate of the index under %s priority\n%s", i, rec.Name, rec.Version, rec.Build, rec.Channel, map[bool]string{true: "flexible", false: "strict"}[c.flexible], c)
				}
			}
			if !o.valid(got) {
				t.Fatalf("case %d: the oracle rejects the solver's answer %s\n%s", i, names(sol), c)
			}
			reachable(t, i, c, o, got)
			swapsChecked += preferred(t, i, c, o, got, all)
			if best, ok := idealSolution(o, all); ok {
				ideal++
				if !sameSet(best, got) {
					t.Fatalf("case %d: every name's most preferred candidate forms a solution %s, solver chose %s\n%s", i, describe(best), describe(got), c)
				}
			}
		case errors.As(err, &ue):
			unsat++
			if len(all) > 0 {
				t.Fatalf("case %d: solver says unsat, brute force finds %d solutions, e.g. %s\n%s\n%v", i, len(all), describe(all[0]), c, err)
			}
		default:
			t.Fatalf("case %d: %v\n%s", i, err, c)
		}
	}
	t.Logf("%d problems: %d solvable (%.0f%%, %.1f records on average), %d unsatisfiable; %d answers were the all-preferred set; %d one-record swaps checked",
		n, solvable, 100*float64(solvable)/n, float64(sizes)/float64(max(solvable, 1)), unsat, ideal, swapsChecked)
	if solvable*100 < 40*n {
		t.Errorf("only %d of %d problems are solvable; the generator should make at least 40%% solvable so that preference is tested", solvable, n)
	}
}

func maps(s map[string]*repodata.Record) map[string]*repodata.Record {
	out := make(map[string]*repodata.Record, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

func sameSet(a, b map[string]*repodata.Record) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func describe(s map[string]*repodata.Record) string {
	var out []string
	for _, r := range s {
		out = append(out, fmt.Sprintf("%s=%s=%s(%s)", r.Name, r.Version, r.Build, r.Channel))
	}
	slices.Sort(out)
	return "[" + strings.Join(out, " ") + "]"
}

// reachable fails unless every record of got is required: named by the
// request or by a dependency of a record reachable so.
func reachable(t *testing.T, i int, c wideCase, o *wideOracle, got map[string]*repodata.Record) {
	t.Helper()
	seen := map[string]bool{}
	var walk func(s string)
	walk = func(s string) {
		n := o.spec(s).Name
		r, ok := got[n]
		if !ok || seen[n] {
			return
		}
		seen[n] = true
		for _, d := range r.Depends {
			walk(d)
		}
	}
	for _, s := range c.req {
		walk(s)
	}
	for n := range got {
		if !seen[n] {
			t.Fatalf("case %d: %s is in the answer %s but nothing requires it\n%s", i, n, describe(got), c)
		}
	}
}

// preferred fails when a solution differs from got in one record only,
// ranked strictly higher by the documented order; it returns how many
// such neighbours it compared.
func preferred(t *testing.T, i int, c wideCase, o *wideOracle, got map[string]*repodata.Record, all []map[string]*repodata.Record) int {
	t.Helper()
	n := 0
	for _, s := range all {
		if len(s) != len(got) {
			continue
		}
		var diff string
		same := true
		for k, v := range s {
			w, ok := got[k]
			if !ok {
				same = false
				break
			}
			if w != v {
				if diff != "" {
					same = false
					break
				}
				diff = k
			}
		}
		if !same || diff == "" {
			continue
		}
		n++
		if b, ok := o.better(s[diff], got[diff]); ok && b {
			t.Fatalf("case %d: the solver chose %s=%s=%s (%s) but %s=%s=%s (%s) ranks higher and also solves: %s\n%s", i,
				diff, got[diff].Version, got[diff].Build, got[diff].Channel, diff, s[diff].Version, s[diff].Build, s[diff].Channel, describe(s), c)
		}
	}
	return n
}

// idealSolution returns the solution, if there is one, in which every
// name present takes its most preferred candidate, where the documented
// order ranks that candidate strictly above all others.
func idealSolution(o *wideOracle, all []map[string]*repodata.Record) (map[string]*repodata.Record, bool) {
	top := func(n string) *repodata.Record {
		var best *repodata.Record
		for _, r := range o.cands[n] {
			if best == nil {
				best = r
				continue
			}
			b, ok := o.better(r, best)
			if !ok {
				return nil
			}
			if b {
				best = r
			}
		}
		for _, r := range o.cands[n] {
			if r == best {
				continue
			}
			if b, ok := o.better(best, r); !ok || !b {
				return nil
			}
		}
		return best
	}
	// Among solutions made only of top candidates, the smallest (the
	// solver adds nothing unrequired); there may be one per set of names.
	var found map[string]*repodata.Record
	for _, s := range all {
		ok := true
		for n, r := range s {
			if top(n) != r {
				ok = false
				break
			}
		}
		if ok {
			if found != nil && len(found) != len(s) {
				return nil, false // different names: not for this check
			}
			if found == nil {
				found = s
			}
		}
	}
	return found, found != nil
}

// TestCycleWhileLoading is the case TestRandomWide found: b and d depend
// on each other, and loading b's candidates compares the dependencies of
// its two builds, which loads d's, whose builds' comparison asks which b
// matches "b *" while b is still loading. That answer (none) was cached,
// and the request became unsatisfiable.
func TestCycleWhileLoading(t *testing.T) {
	mk := func(n, v, b string, bn int64, deps ...string) *repodata.Record {
		return &repodata.Record{Name: n, Version: v, Build: b, BuildNumber: bn, Channel: "c", Subdir: "linux-64", Depends: deps, Fn: n + "-" + v + "-" + b + ".conda"}
	}
	recs := []*repodata.Record{
		mk("b", "2.0.1", "h1_1", 1, "a <1.0", "d >=1.0 h0_*"),
		mk("b", "2.0.1", "h1_0", 0, "d ==1.0 h1_*"),
		mk("d", "1.0", "h1_1", 1, "b *"),
		mk("d", "1.0", "h1_0", 0, "b 1.10.* h0_*"),
	}
	p := &Problem{Index: NewIndex(recs), Specs: specs(t, "b 2.0.1 h1_0"), Channels: []string{"c"}}
	sol := solve(t, p)
	if got := describe(map[string]*repodata.Record{"b": sol.Records[0], "d": sol.Records[1]}); got != "[b=2.0.1=h1_0(c) d=1.0=h1_1(c)]" {
		t.Errorf("solution %s", got)
	}
}
