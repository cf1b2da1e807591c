package solve

import (
	"fmt"
	"sort"
	"strings"

	"github.com/envlock/envlock/spec/version"
)

// An UnsatError reports that no set of records satisfies a request, with
// an explanation tree in terms of the request.
type UnsatError struct {
	// Lines are the explanation, one line each, without the heading.
	Lines []string
}

func (e *UnsatError) Error() string {
	return "cannot solve the request:\n" + strings.Join(e.Lines, "\n")
}

// Explain returns the explanation tree.
func (e *UnsatError) Explain() string { return strings.Join(e.Lines, "\n") }

type failure struct {
	requires int32 // requires clause whose candidates all failed, or -1
	other    int32 // the other var of a binary clause, or 0
	why      binaryWhy
	first    bool // in a constrains clause, this var is the constraining one
}

type explainer struct {
	s         *solver
	involved  map[int32]bool
	fails     map[int32][]failure
	seenReq   map[int32]bool
	mentioned map[int32]bool // root clauses named as the other side of a conflict
	lines     []string
}

// unsat builds the explanation for a conflict at level 0.
func (s *solver) unsat(confl int32) error {
	e := &explainer{s: s, involved: map[int32]bool{}, fails: map[int32][]failure{}, seenReq: map[int32]bool{}, mentioned: map[int32]bool{}}
	e.collect(confl)
	for idx := range e.involved {
		c := &s.clauses[idx]
		switch c.kind {
		case clauseRequires:
			e.fails[c.parent] = append(e.fails[c.parent], failure{requires: idx})
		case clauseBinary:
			a, b := c.lits[0].v(), c.lits[1].v()
			e.fails[a] = append(e.fails[a], failure{requires: -1, other: b, why: c.binWhy, first: true})
			e.fails[b] = append(e.fails[b], failure{requires: -1, other: a, why: c.binWhy})
		}
	}
	for v := range e.fails {
		sort.Slice(e.fails[v], func(i, j int) bool {
			a, b := e.fails[v][i], e.fails[v][j]
			if (a.requires >= 0) != (b.requires >= 0) {
				return a.requires >= 0
			}
			if a.requires != b.requires {
				return a.requires < b.requires
			}
			return a.other < b.other
		})
	}
	var roots []int32
	for idx := range e.involved {
		if s.clauses[idx].kind == clauseRoot {
			roots = append(roots, idx)
		}
	}
	// The last requested spec is usually the one the others leave no room
	// for (decisions follow the request's order), so start there; a root
	// that a line already names as the other side of a conflict is not
	// explained again. A first pass finds which roots get a tree, the
	// second draws them knowing which one is last.
	sort.Slice(roots, func(i, j int) bool { return s.clauses[roots[i]].spec > s.clauses[roots[j]].spec })
	var shown []int32
	for _, idx := range roots {
		if !e.mentioned[idx] {
			shown = append(shown, idx)
			e.requirement(idx, "", false)
		}
	}
	e.lines, e.seenReq, e.mentioned = nil, map[int32]bool{}, map[int32]bool{}
	for i, idx := range shown {
		e.requirement(idx, "", i == len(shown)-1)
	}
	if len(e.lines) == 0 {
		e.lines = append(e.lines, "└─ the requested packages conflict with each other")
	}
	return &UnsatError{Lines: e.lines}
}

// collect gathers the original clauses that the refutation rests on.
func (e *explainer) collect(idx int32) {
	stack := []int32{idx}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i < 0 || e.involved[i] {
			continue
		}
		c := &e.s.clauses[i]
		if c.kind == clauseLearnt {
			e.involved[i] = true // visited; dropped from rendering below
			stack = append(stack, c.from...)
		} else {
			e.involved[i] = true
		}
		for _, l := range c.lits {
			if e.s.assigns[l.v()].val != 0 {
				if _, ri := e.s.reasonClause(l.v()); ri >= 0 && ri != i {
					stack = append(stack, ri)
				}
			}
		}
	}
	for i := range e.involved {
		if e.s.clauses[i].kind == clauseLearnt {
			delete(e.involved, i)
		}
	}
}

func (e *explainer) add(prefix string, last bool, format string, args ...any) string {
	branch := "├─ "
	next := prefix + "│  "
	if last {
		branch = "└─ "
		next = prefix + "   "
	}
	e.lines = append(e.lines, prefix+branch+fmt.Sprintf(format, args...))
	return next
}

// specText is how a requirement reads: the requested spec, or the
// dependency string of the record that needs it.
func (e *explainer) specText(idx int32) string {
	c := &e.s.clauses[idx]
	if c.kind == clauseRoot {
		return e.s.p.Specs[c.spec].String()
	}
	return e.s.depStrs[c.spec]
}

func (e *explainer) requirement(idx int32, prefix string, last bool) {
	s := e.s
	c := &s.clauses[idx]
	text := e.specText(idx)
	cands := s.reqCands[idx]
	who := "requested"
	if c.kind == clauseRequires {
		who = "required by " + s.describe(c.parent)
	}
	if e.seenReq[idx] {
		e.add(prefix, last, "%s (%s) cannot be installed, as shown above", text, who)
		return
	}
	e.seenReq[idx] = true
	if len(cands) == 0 {
		e.missing(idx, text, who, prefix, last)
		return
	}
	next := e.add(prefix, last, "%s (%s) cannot be installed because no candidate works:", text, who)
	groups := e.group(cands)
	for gi, g := range groups {
		e.candidateGroup(g, next, gi == len(groups)-1)
	}
}

type candGroup struct {
	name     string
	versions []version.Version
	builds   int
	vars     []int32
	fail     failure
	has      bool
}

// group collects candidates of one name that fail for the same reason, so
// 300 builds of python read as one line.
func (e *explainer) group(cands []int32) []*candGroup {
	var out []*candGroup
	byKey := map[string]*candGroup{}
	for _, v := range cands {
		f, ok := e.primary(v)
		key := e.s.cands[v].name + "\x00" + e.failKey(f, ok)
		g := byKey[key]
		if g == nil {
			g = &candGroup{name: e.s.cands[v].name, fail: f, has: ok}
			byKey[key] = g
			out = append(out, g)
		}
		g.vars = append(g.vars, v)
		g.builds++
		ver := e.s.cands[v].ver
		if len(g.versions) == 0 || !g.versions[len(g.versions)-1].Equal(ver) {
			dup := false
			for _, x := range g.versions {
				if x.Equal(ver) {
					dup = true
				}
			}
			if !dup {
				g.versions = append(g.versions, ver)
			}
		}
	}
	return out
}

func (e *explainer) primary(v int32) (failure, bool) {
	fs := e.fails[v]
	if len(fs) == 0 {
		return failure{}, false
	}
	return fs[0], true
}

func (e *explainer) failKey(f failure, ok bool) string {
	if !ok {
		return "?"
	}
	if f.requires >= 0 {
		return "r" + e.specText(f.requires)
	}
	o := e.s.cands[f.other]
	return fmt.Sprintf("b%d%v%s", f.why, f.first, o.name)
}

func versionList(vs []version.Version) string {
	sorted := append([]version.Version(nil), vs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Compare(sorted[j]) > 0 })
	strs := make([]string, len(sorted))
	for i, v := range sorted {
		strs[i] = v.String()
	}
	if len(strs) > 4 {
		return fmt.Sprintf("%s | %s | … | %s (%d versions)", strs[0], strs[1], strs[len(strs)-1], len(strs))
	}
	return strings.Join(strs, " | ")
}

func (e *explainer) candidateGroup(g *candGroup, prefix string, last bool) {
	s := e.s
	label := g.name + " " + versionList(g.versions)
	if g.builds > len(g.versions) {
		label += fmt.Sprintf(" (%d builds)", g.builds)
	}
	if !g.has {
		e.add(prefix, last, "%s is ruled out by the other requirements", label)
		return
	}
	f := g.fail
	if f.requires >= 0 {
		next := e.add(prefix, last, "%s requires %s, which cannot be installed:", label, e.specText(f.requires))
		e.requirementBody(f.requires, next)
		return
	}
	other := s.cands[f.other]
	switch {
	case f.why == whySameName:
		e.add(prefix, last, "%s conflicts with %s %s %s, which is %s", label, other.name, other.rec.Version, other.rec.Build, e.origin(f.other))
	case f.first:
		e.add(prefix, last, "%s constrains %s, which rules out %s %s %s (%s)", label, e.constraintOn(g.vars[0], f.other), other.name, other.rec.Version, other.rec.Build, e.origin(f.other))
	default:
		e.add(prefix, last, "%s is ruled out by %s %s %s, which constrains %s (%s)", label, other.name, other.rec.Version, other.rec.Build, e.constraintOn(f.other, g.vars[0]), e.origin(f.other))
	}
}

// requirementBody explains a requirement's candidates under a line that
// already named it.
func (e *explainer) requirementBody(idx int32, prefix string) {
	if e.seenReq[idx] {
		e.add(prefix, true, "(explained above)")
		return
	}
	e.seenReq[idx] = true
	cands := e.s.reqCands[idx]
	if len(cands) == 0 {
		text := e.specText(idx)
		e.missingBody(idx, text, prefix)
		return
	}
	groups := e.group(cands)
	for gi, g := range groups {
		e.candidateGroup(g, prefix, gi == len(groups)-1)
	}
}

// origin says why a record had to be installed: the requirements it
// satisfies among those in the explanation.
func (e *explainer) origin(v int32) string {
	var why []string
	for idx := range e.involved {
		c := &e.s.clauses[idx]
		if c.kind != clauseRoot && c.kind != clauseRequires {
			continue
		}
		for _, w := range e.s.reqCands[idx] {
			if w == v {
				if c.kind == clauseRoot {
					e.mentioned[idx] = true
					why = append(why, "requested as "+e.specText(idx))
				} else {
					why = append(why, "required by "+e.s.describe(c.parent)+" as "+e.specText(idx))
				}
				break
			}
		}
	}
	sort.Strings(why)
	if len(why) == 0 {
		return "needed by the other requirements"
	}
	return strings.Join(why, "; ")
}

func (e *explainer) constraintOn(constrainer, excluded int32) string {
	name := e.s.cands[excluded].name
	for _, c := range e.s.constraints[constrainer] {
		if c.spec.Name == name && !c.spec.Match(e.s.cands[excluded].rec) {
			return "'" + c.dep + "'"
		}
	}
	return name
}

func (e *explainer) missing(idx int32, text, who, prefix string, last bool) {
	next := e.add(prefix, last, "%s (%s) cannot be installed:", text, who)
	e.missingBody(idx, text, next)
}

// missingBody says why a spec has no candidates at all.
func (e *explainer) missingBody(idx int32, text, prefix string) {
	s := e.s
	c := &s.clauses[idx]
	var name string
	if c.kind == clauseRoot {
		name = s.p.Specs[c.spec].Name
	} else if ms, err := s.parseDep(text); err == nil {
		name = ms.Name
	} else {
		e.add(prefix, true, "the dependency %q is not a valid MatchSpec: %v", text, err)
		return
	}
	if strings.HasPrefix(name, "__") {
		var have []string
		for _, r := range s.p.Virtual {
			if r.Name == name {
				have = append(have, r.Name+" "+r.Version)
			}
		}
		if len(have) == 0 {
			e.add(prefix, true, "the target provides no %s virtual package", name)
		} else {
			e.add(prefix, true, "the target provides %s, which does not match %s (raise the system floor, e.g. system.glibc, or use --virtual)", strings.Join(have, ", "), text)
		}
		return
	}
	all := s.candidates(name)
	masked := s.masked[name]
	if len(all) == 0 && len(masked) == 0 {
		e.add(prefix, true, "no package named %s was found in the channels", name)
		return
	}
	if len(all) > 0 {
		var vs []version.Version
		seen := map[string]bool{}
		for _, v := range all {
			if k := s.cands[v].ver.Normalized(); !seen[k] {
				seen[k] = true
				vs = append(vs, s.cands[v].ver)
			}
		}
		last := len(masked) == 0
		e.add(prefix, last, "no candidate matches %s; %s is available as %s", text, name, versionList(vs))
	}
	if len(masked) > 0 {
		var hidden []string
		seen := map[string]bool{}
		for _, r := range masked {
			k := r.Version + " in " + r.Channel
			if !seen[k] {
				seen[k] = true
				hidden = append(hidden, k)
			}
		}
		sort.Strings(hidden)
		if len(hidden) > 4 {
			hidden = append(hidden[:4], fmt.Sprintf("… (%d more)", len(hidden)-4))
		}
		top := ""
		if len(all) > 0 {
			top = s.cands[all[0]].rec.Channel
		}
		e.add(prefix, true, "strict channel priority hides %s %s: %s comes first and has %s (use channel_priority flexible, or ask for the channel with channel::%s)",
			name, strings.Join(hidden, ", "), top, name, name)
	}
}
