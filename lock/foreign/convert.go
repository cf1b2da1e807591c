package foreign

import (
	"fmt"
	"slices"
	"strings"

	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/virtual"
)

// Draft returns the env.cue for f, named name: f's channels and
// platforms, and as dependencies the root packages of each platform
// (those nothing else depends on, whole dependency cycles included)
// pinned to their locked versions ("==1.2.3"). A root with the same
// version on every platform is a plain dependency; the others go to the
// targets of their platforms. Root wheels present on every platform with
// one version become pypi pins. notes say what the draft cannot hold.
func (f *File) Draft(name string) (d *spec.Draft, notes []string) {
	d = &spec.Draft{Name: name}
	for _, c := range f.Channels {
		d.Channels = append(d.Channels, matchspec.CanonicalChannel(c))
	}
	d.Channels = slices.Compact(d.Channels)
	var all []string
	type pin struct{ version, channel string }
	perPlatform := map[string]map[string]pin{} // name → platform → pin
	var glibc string
	for _, p := range f.Platforms {
		all = append(all, p.Platform)
		deps := map[string][]string{}
		var names []string
		var recs []*repodata.Record
		for _, pk := range p.Packages {
			names = append(names, pk.Name)
			for _, dep := range pk.Depends {
				deps[pk.Name] = append(deps[pk.Name], specName(dep))
			}
			recs = append(recs, pk.Record())
		}
		for _, r := range roots(names, deps) {
			pk := p.packageNamed(r)
			if perPlatform[r] == nil {
				perPlatform[r] = map[string]pin{}
			}
			ch := ""
			if len(d.Channels) > 1 && matchspec.CanonicalChannel(pk.Channel) != d.Channels[0] {
				ch = matchspec.CanonicalChannel(pk.Channel)
			}
			perPlatform[r][p.Platform] = pin{pk.Version, ch}
		}
		if g := lockfile.GlibcFloor(recs); g != "" && (glibc == "" || versionLess(glibc, g)) {
			glibc = g
		}
	}
	d.Platforms = all
	d.Glibc = glibc
	targets := map[string][]spec.DraftDependency{}
	var rootNames []string
	for n := range perPlatform {
		rootNames = append(rootNames, n)
	}
	slices.Sort(rootNames)
	for _, n := range rootNames {
		pins := perPlatform[n]
		same := len(pins) == len(all)
		var first pin
		for _, p := range all {
			pp, ok := pins[p]
			if !ok {
				continue
			}
			if first == (pin{}) {
				first = pp
			} else if pp != first {
				same = false
			}
		}
		if same {
			d.Dependencies = append(d.Dependencies, spec.DraftDependency{Name: n, Version: "==" + first.version, Channel: first.channel})
			continue
		}
		for _, p := range all {
			if pp, ok := pins[p]; ok {
				targets[p] = append(targets[p], spec.DraftDependency{Name: n, Version: "==" + pp.version, Channel: pp.channel})
			}
		}
	}
	for _, p := range all {
		if len(targets[p]) > 0 {
			d.Targets = append(d.Targets, spec.DraftTarget{Platform: p, Dependencies: targets[p]})
		}
	}

	// PyPI: env.cue has no per-platform pypi in a draft, so only root
	// wheels every platform pins alike become requirements.
	wheelPins := map[string]map[string]string{} // normalized → platform → version
	display := map[string]string{}
	for _, p := range f.Platforms {
		var names []string
		for _, w := range p.Wheels {
			names = append(names, normalize(w.Name))
			display[normalize(w.Name)] = w.Name
		}
		for _, r := range roots(names, p.wheelDeps) {
			if wheelPins[r] == nil {
				wheelPins[r] = map[string]string{}
			}
			for _, w := range p.Wheels {
				if normalize(w.Name) == r {
					wheelPins[r][p.Platform] = w.Version
				}
			}
		}
	}
	var wheelNames []string
	for n := range wheelPins {
		wheelNames = append(wheelNames, n)
	}
	slices.Sort(wheelNames)
	for _, n := range wheelNames {
		vs := wheelPins[n]
		var v string
		same := len(vs) == len(all)
		for _, x := range vs {
			if v == "" {
				v = x
			} else if x != v {
				same = false
			}
		}
		if !same {
			notes = append(notes, fmt.Sprintf("PyPI package %s is not pinned alike on every platform; env.cue does not ask for it, env.lock still pins it", display[n]))
			continue
		}
		d.PyPI = append(d.PyPI, spec.DraftRequirement{Name: display[n], Spec: "==" + v})
	}
	from := fmt.Sprintf("%s (%s format %d, environment %q)", f.Name, f.Format, f.Version, f.Environment)
	if f.Format == Prefix {
		from = "the conda environment at " + f.Name
	}
	d.Header = []string{
		fmt.Sprintf("Imported from %s by \"envlock import\".", from),
		"The dependencies are the packages nothing else in that lock depends on,",
		"pinned to their locked versions; env.lock pins every package exactly as",
		"the source did, so \"envlock install\" moves none of them.",
	}
	return d, notes
}

// Lock returns the env.lock that pins f's packages for manifest m (loaded
// from the Draft's env.cue, with any site policy), with the channels
// resolved by the caller. It checks that each platform of m is in f and
// that every package m asks for is among the pinned ones, so the lock is
// fresh for m ("envlock lock --check").
func (f *File) Lock(m *spec.Manifest, channels []lockfile.Channel) (*lockfile.Lock, error) {
	l := lock.Header(m, channels)

	for _, p := range m.Platforms {
		fp := f.Platform(string(p))
		if fp == nil {
			return nil, fmt.Errorf("%s locks no packages for %s, which env.cue lists", f.Name, p)
		}
		var specs []*matchspec.MatchSpec
		for _, d := range m.DependenciesFor(p) {
			specs = append(specs, d.Spec)
		}
		var recs []*repodata.Record
		for _, pk := range fp.Packages {
			recs = append(recs, pk.Record())
		}
		pl := lockfile.NewPlatform(string(p), virtual.For(p, m.System), specs, recs)
		for _, ms := range specs {
			pk := pl.Package(ms.Name)
			if pk == nil || !ms.Match(pk.Record()) {
				return nil, fmt.Errorf("%s: env.cue asks for %s, which %s does not pin for this platform", p, ms, f.Name)
			}
		}
		reqs := m.PyPIFor(p)
		for _, w := range fp.Wheels {
			cp := *w
			for _, r := range reqs {
				if r.Key() == normalize(w.Name) {
					cp.Requested = r.String()
				}
			}
			pl.PyPI = append(pl.PyPI, &cp)
		}
		for _, r := range reqs {
			if !slices.ContainsFunc(pl.PyPI, func(w *lockfile.Wheel) bool { return normalize(w.Name) == r.Key() }) {
				return nil, fmt.Errorf("%s: env.cue asks for PyPI package %s, which %s does not pin for this platform", p, r, f.Name)
			}
		}
		l.Platforms = append(l.Platforms, pl)
	}
	for _, fp := range f.Platforms {
		if !slices.Contains(m.Platforms, platform.Platform(fp.Platform)) {
			return nil, fmt.Errorf("%s locks %s, which env.cue does not list: add it to platforms", f.Name, fp.Platform)
		}
	}
	l.Canonicalize()
	return l, nil
}

// specName returns the package name a depends entry is about.
func specName(dep string) string {
	n, _, _ := strings.Cut(strings.TrimSpace(dep), " ")
	if i := strings.IndexAny(n, "[=<>!~"); i >= 0 {
		n = n[:i]
	}
	if i := strings.LastIndex(n, "::"); i >= 0 {
		n = n[i+2:]
	}
	return n
}

func versionLess(a, b string) bool {
	ra := &repodata.Record{Version: a}
	rb := &repodata.Record{Version: b}
	return ra.ParsedVersion().Compare(rb.ParsedVersion()) < 0
}

// roots returns the names no other name depends on, taking each
// dependency cycle as one node (Tarjan's strongly connected components):
// every member of a cycle nothing outside it depends on is a root. Edges
// to names not in names are ignored. The result is sorted.
func roots(names []string, deps map[string][]string) []string {
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	comp := map[string]int{}
	var stack []string
	next, ncomp := 0, 0
	var strong func(v string)
	strong = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range deps[v] {
			if !known[w] {
				continue
			}
			if _, seen := index[w]; !seen {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = ncomp
				if w == v {
					break
				}
			}
			ncomp++
		}
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	for _, n := range sorted {
		if _, seen := index[n]; !seen {
			strong(n)
		}
	}
	depended := map[int]bool{}
	for _, v := range sorted {
		for _, w := range deps[v] {
			if known[w] && comp[w] != comp[v] {
				depended[comp[w]] = true
			}
		}
	}
	var out []string
	for _, n := range sorted {
		if !depended[comp[n]] {
			out = append(out, n)
		}
	}
	return slices.Compact(out)
}
