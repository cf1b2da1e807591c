package solve

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/version"
)

// An Index gives the solver the records of one package name, from every
// channel and subdir of the platform being solved.
type Index interface {
	Records(name string) []*repodata.Record
}

// A Loader is an Index that loads a name's records when the solver
// first asks for them (CEP-16 shards fetched, a repodata.json decoded
// name by name: fetch/channel.Index), so the solver reads only the names
// it reaches. When the Index of a Problem is a Loader the solver calls
// Load, and a failed load ends the solve with that error rather than
// reading as "no candidates".
type Loader interface {
	Index
	Load(ctx context.Context, name string) ([]*repodata.Record, error)
}

// MapIndex is an Index over records held in memory.
type MapIndex map[string][]*repodata.Record

// NewIndex indexes records by name.
func NewIndex(records []*repodata.Record) MapIndex {
	idx := MapIndex{}
	for _, r := range records {
		idx[r.Name] = append(idx[r.Name], r)
	}
	return idx
}

// Records returns the records named name.
func (m MapIndex) Records(name string) []*repodata.Record { return m[name] }

// A Problem is one solve: what is asked for and what is available.
type Problem struct {
	// Index holds the candidate records.
	Index Index
	// Specs are the requested packages, in the order the user gave them;
	// earlier specs get their preferred versions first.
	Specs []*matchspec.MatchSpec
	// Virtual are the virtual packages the target provides (__glibc,
	// __linux, __unix, __cuda, __archspec, __osx, __win). Only these
	// records can satisfy a dependency on a name starting with "__".
	Virtual []*repodata.Record
	// Channels are the channels' canonical names in priority order, the
	// first highest. Records from channels not listed rank last.
	Channels []string
	// Flexible turns strict channel priority off: a package may then come
	// from a lower-priority channel too (preferred less).
	Flexible bool
	// Locked records are preferred over every other candidate of their
	// name, so that a re-lock moves only what it must.
	Locked []*repodata.Record
}

// A Solution is the chosen set of records.
type Solution struct {
	// Records are the chosen records sorted by name, virtual packages
	// excluded.
	Records []*repodata.Record
	// Virtual are the virtual packages the solution depends on.
	Virtual []*repodata.Record
	// Stats describe the search, for benchmarks and debugging.
	Stats Stats
}

// Stats count the work a solve did.
type Stats struct {
	Candidates int // records considered
	Clauses    int // clauses made (requirements, learnt, binary)
	Decisions  int
	Conflicts  int
	// Propagations counts assignments, Visits clause visits in unit
	// propagation.
	Propagations int
	Visits       int
}

type cand struct {
	rec      *repodata.Record
	name     string
	ver      version.Version
	prio     int // channel priority index, 0 highest
	features int // track_features: fewer is preferred
	// legacy are the record's legacy "features" (conda's
	// PackageRecord.features): builds preferred when a package that
	// tracks them is installed.
	legacy  []string
	locked  bool
	virtual bool
}

type activeReq struct {
	clause int32
	level  int32
}

type constraint struct {
	spec *matchspec.MatchSpec
	dep  string
}

type solver struct {
	ctx context.Context
	p   *Problem

	cands    []cand             // index = var; cands[0] unused
	byName   map[string][]int32 // candidate vars by name, most preferred first
	masked   map[string][]*repodata.Record
	loaded   map[string]bool
	priority map[string]int
	locked   map[string]*repodata.Record // by name

	specs       map[string]*matchspec.MatchSpec // parsed dependency strings
	specErr     map[string]error
	matches     map[string][]int32 // dependency string → matching vars
	constraints [][]constraint     // per var, parsed constrains (filled on expand)
	requires    [][]int32          // per var, its requires clauses (filled on expand)
	expanded    []bool

	assigns  []assign
	vals     []int8 // assigns[v].val, kept apart for cache locality
	watches  [][]watcher
	trail    []lit
	qhead    int
	level    int32
	clauses  []clause
	pending  []int32
	binaries map[[2]int32]int32
	seen     []bool

	depIDs  map[string]int32 // interned dependency strings
	depStrs []string

	reqCands map[int32][]int32 // requirement clauses' candidates in preference order
	// active holds the requirement clauses that apply now: the request's,
	// and those of installed records, in the order they were met, each
	// with the level at which it became active.
	active      []activeReq
	activeLevel []int // len(active) when each decision level began

	stats Stats
	// loadErr is the first error of a Loader; it ends the search.
	loadErr error

	// matchesByPtr caches matches by parsed spec, prioByURL channel
	// priorities by the records' channel URLs.
	matchesByPtr map[*matchspec.MatchSpec][]int32
	prioByURL    map[string]int
}

// Solve solves p. It returns an *UnsatError when no set of records
// satisfies the request.
func Solve(ctx context.Context, p *Problem) (*Solution, error) {
	s := &solver{
		ctx:      ctx,
		p:        p,
		cands:    make([]cand, 1),
		byName:   map[string][]int32{},
		masked:   map[string][]*repodata.Record{},
		loaded:   map[string]bool{},
		priority: map[string]int{},
		locked:   map[string]*repodata.Record{},
		specs:    map[string]*matchspec.MatchSpec{},
		specErr:  map[string]error{},
		matches:  map[string][]int32{},
		binaries: map[[2]int32]int32{},
		reqCands: map[int32][]int32{},
		assigns:  make([]assign, 1),
		vals:     make([]int8, 1),
		watches:  make([][]watcher, 2),
		expanded: make([]bool, 1),
	}
	s.constraints = make([][]constraint, 1)
	s.requires = make([][]int32, 1)
	for i, ch := range p.Channels {
		if _, ok := s.priority[ch]; !ok {
			s.priority[matchspec.CanonicalChannel(ch)] = i
		}
	}
	for _, r := range p.Locked {
		s.locked[r.Name] = r
	}
	for i, ms := range p.Specs {
		vars := s.matching(ms)
		s.addRequirement(clause{kind: clauseRoot, spec: int32(i), parent: 0}, vars)
	}
	if err := s.search(); err != nil {
		if s.loadErr != nil {
			return nil, s.loadErr
		}
		return nil, err
	}
	if s.loadErr != nil {
		return nil, s.loadErr
	}
	sol := &Solution{Stats: s.stats}
	for v := int32(1); v < int32(len(s.cands)); v++ {
		if s.assigns[v].val == 1 {
			c := s.cands[v]
			if c.virtual {
				sol.Virtual = append(sol.Virtual, c.rec)
			} else {
				sol.Records = append(sol.Records, c.rec)
			}
		}
	}
	sort.Slice(sol.Records, func(i, j int) bool { return sol.Records[i].Name < sol.Records[j].Name })
	sort.Slice(sol.Virtual, func(i, j int) bool { return sol.Virtual[i].Name < sol.Virtual[j].Name })
	sol.Stats.Candidates = len(s.cands) - 1
	sol.Stats.Clauses = len(s.clauses)
	return sol, nil
}

// luby returns the i-th element (from 1) of the Luby sequence
// 1 1 2 1 1 2 4 1 1 2 …, the restart schedule MiniSat uses.
func luby(i int) int {
	for k := 1; ; k++ {
		if i == (1<<k)-1 {
			return 1 << (k - 1)
		}
		if i < (1<<k)-1 {
			return luby(i - (1 << (k - 1)) + 1)
		}
	}
}

func (s *solver) search() error {
	restarts, budget := 1, 100*luby(1)
	for {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		if s.loadErr != nil {
			return s.loadErr
		}
		confl := s.propagate()
		if confl >= 0 {
			s.stats.Conflicts++
			if s.level == 0 {
				return s.unsat(confl)
			}
			learnt, from, back := s.analyze(confl)
			// Restart on the Luby schedule: learnt clauses stay, the
			// decisions start over, which gets hard instances out of a
			// bad early choice.
			if budget--; budget <= 0 {
				restarts++
				budget = 100 * luby(restarts)
				back = 0
			}
			s.backtrack(back)
			s.addClause(clause{lits: learnt, kind: clauseLearnt, from: from})
			continue
		}
		v := s.decide()
		if v == 0 {
			return nil
		}
		if s.blocked(v) {
			continue // propagate ¬v, then decide again
		}
		s.stats.Decisions++
		s.level++
		s.enqueue(lit(v), reason{kind: reasonDecision})
	}
}

// decide picks the next record to install: among the active
// requirements not yet met, the one with the fewest possible candidates
// (the most constrained first, as resolvo does), ties going to the one met
// first, so the request's specs go in the order given; and for it, the
// most preferred candidate still possible. It returns 0 when every active
// requirement is met.
func (s *solver) decide() int32 {
	var best int32
	var bestCands []int32
	bestCount := -1
	for _, a := range s.active {
		cands := s.reqCands[a.clause]
		met := false
		var pick int32
		n := 0
		for _, v := range cands {
			switch s.vals[v] {
			case 1:
				met = true
			case 0:
				if pick == 0 {
					pick = v
				}
				n++
			}
			if met {
				break
			}
		}
		if met || pick == 0 {
			continue
		}
		// The request's own specs are decided first, in the order given
		// (as rattler and conda honour it: "sqlite zlib" gets the newest
		// sqlite, "zlib sqlite" the newest zlib); the fewest-candidates
		// rule orders the rest.
		if s.clauses[a.clause].kind == clauseRoot {
			best, bestCands = pick, cands
			break
		}
		if bestCount < 0 || n < bestCount {
			best, bestCount, bestCands = pick, n, cands
		}
	}
	if best != 0 && s.anyLegacy(bestCands) {
		best = s.featured(best, bestCands)
	}
	return best
}

func (s *solver) anyLegacy(cands []int32) bool {
	for _, v := range cands {
		if len(s.cands[v].legacy) > 0 {
			return true
		}
	}
	return false
}

// featured applies conda's legacy features to a decision (conda's
// resolve.py: a record with features X needs a package that tracks X,
// and while one is installed the builds with X are preferred, "numpy=1.6
// python=2.7.3 accelerate" picking the _p builds). Among the still
// possible candidates of pick's version, it prefers those whose features
// are all tracked, then those with the most tracked features, in
// preference order otherwise. Tracked are the features of the installed
// records and of the records the other open requirements would take
// next, so a request's tracker counts before it is decided.
func (s *solver) featured(pick int32, cands []int32) int32 {
	tracked := map[string]bool{}
	for _, l := range s.trail {
		if l > 0 {
			for _, f := range s.cands[l].rec.TrackFeatures {
				tracked[f] = true
			}
		}
	}
	for _, a := range s.active {
		for _, v := range s.reqCands[a.clause] {
			if s.vals[v] == 1 {
				break
			}
			if s.vals[v] == 0 {
				for _, f := range s.cands[v].rec.TrackFeatures {
					tracked[f] = true
				}
				break
			}
		}
	}
	score := func(v int32) (untracked, have int) {
		for _, f := range s.cands[v].legacy {
			if tracked[f] {
				have++
			} else {
				untracked++
			}
		}
		return
	}
	best := pick
	bu, bh := score(pick)
	ver := s.cands[pick].ver
	for _, v := range cands {
		if s.vals[v] != 0 || v == pick || s.cands[v].ver.Compare(ver) != 0 {
			continue
		}
		u, h := score(v)
		if u < bu || u == bu && h > bh {
			best, bu, bh = v, u, h
		}
	}
	return best
}

// addRequirement adds a root or requires clause over vars (in preference
// order) and remembers it for decisions.
func (s *solver) addRequirement(c clause, vars []int32) {
	lits := make([]lit, 0, len(vars)+1)
	if c.kind == clauseRequires {
		lits = append(lits, lit(-c.parent))
	}
	for _, v := range vars {
		lits = append(lits, lit(v))
	}
	c.lits = lits
	idx := s.addClause(c)
	s.reqCands[idx] = vars
	s.active = append(s.active, activeReq{clause: idx, level: s.level})
}

// onInstalled runs when var v becomes true: it rules out the other
// records of v's name and what v's constrains exclude, and, the first
// time, adds v's dependencies as clauses.
func (s *solver) onInstalled(v int32) int32 {
	c := &s.cands[v]
	for _, w := range s.byName[c.name] {
		if w == v {
			continue
		}
		switch s.assigns[w].val {
		case 1:
			return s.binaryClause(v, w, whySameName)
		case 0:
			s.enqueue(lit(-w), reason{kind: reasonSameName, ref: v})
		}
	}
	s.expand(v)
	for _, idx := range s.requires[v] {
		s.active = append(s.active, activeReq{clause: idx, level: s.level})
	}
	for _, con := range s.constraints[v] {
		for _, w := range s.candidates(con.spec.Name) {
			if con.spec.Match(s.cands[w].rec) {
				continue
			}
			switch s.assigns[w].val {
			case 1:
				return s.binaryClause(v, w, whyConstrains)
			case 0:
				s.enqueue(lit(-w), reason{kind: reasonConstrains, ref: v})
			}
		}
	}
	return -1
}

// expand adds, the first time, v's dependencies as clauses (v → one of
// the records matching the dependency) and reads its constrains. The
// clauses hold whether or not v is installed; they become active
// requirements when it is (onInstalled).
func (s *solver) expand(v int32) {
	if s.expanded[v] {
		return
	}
	s.expanded[v] = true
	c := &s.cands[v]
	for _, dep := range c.rec.Depends {
		ms, err := s.parseDep(dep)
		var vars []int32
		if err == nil {
			vars = s.matching(ms)
		}
		cl := clause{kind: clauseRequires, parent: v, spec: s.depIndex(dep)}
		lits := make([]lit, 0, len(vars)+1)
		lits = append(lits, lit(-v))
		for _, w := range vars {
			lits = append(lits, lit(w))
		}
		cl.lits = lits
		idx := s.addClause(cl)
		s.reqCands[idx] = vars
		s.requires[v] = append(s.requires[v], idx)
	}
	for _, con := range c.rec.Constrains {
		ms, err := s.parseDep(con)
		if err != nil {
			continue // a constraint we cannot read restricts nothing we can check
		}
		s.constraints[v] = append(s.constraints[v], constraint{spec: ms, dep: con})
	}
}

// blocked expands v and reports whether one of its dependencies has no
// candidate left: installing v would only lead to a conflict, so the
// clause just added propagates ¬v instead. Without this look-ahead every
// such candidate costs a conflict and a backjump (thousands of them when
// a pinned python rules out most builds of every package).
func (s *solver) blocked(v int32) bool {
	pending := len(s.pending)
	s.expand(v)
	return len(s.pending) > pending
}

// depIndex interns a dependency string so clauses can name it cheaply.
func (s *solver) depIndex(dep string) int32 {
	if s.depIDs == nil {
		s.depIDs = map[string]int32{}
	}
	if id, ok := s.depIDs[dep]; ok {
		return id
	}
	id := int32(len(s.depStrs))
	s.depStrs = append(s.depStrs, dep)
	s.depIDs[dep] = id
	return id
}

func (s *solver) parseDep(dep string) (*matchspec.MatchSpec, error) {
	if ms, ok := s.specs[dep]; ok {
		return ms, nil
	}
	if err, ok := s.specErr[dep]; ok {
		return nil, err
	}
	ms, err := matchspec.Parse(dep)
	if err != nil {
		s.specErr[dep] = err
		return nil, err
	}
	s.specs[dep] = ms
	return ms, nil
}

// matching returns the candidate vars that ms matches, most preferred
// first.
func (s *solver) matching(ms *matchspec.MatchSpec) []int32 {
	// Parsed specs are shared (parseDep), so the pointer finds them
	// without formatting the spec: the comparator that orders candidates
	// asks this for every comparison.
	if vars, ok := s.matchesByPtr[ms]; ok {
		return vars
	}
	key := ms.String()
	vars, ok := s.matches[key]
	if !ok {
		for _, v := range s.candidates(ms.Name) {
			if ms.Match(s.cands[v].rec) {
				vars = append(vars, v)
			}
		}
		if _, done := s.byName[ms.Name]; !done && s.loaded[ms.Name] {
			// The name's candidates are still being loaded: their sort
			// compares dependencies, which can lead back here through a
			// cycle (b depends on d, d on b). Caching this empty answer
			// would make a later requirement on the name unsatisfiable.
			return vars
		}
		s.matches[key] = vars
	}
	if s.matchesByPtr == nil {
		s.matchesByPtr = map[*matchspec.MatchSpec][]int32{}
	}
	s.matchesByPtr[ms] = vars
	return vars
}

// candidates loads the records of name as vars (once), applying strict
// channel priority, and returns them most preferred first.
func (s *solver) candidates(name string) []int32 {
	if s.loaded[name] {
		return s.byName[name]
	}
	s.loaded[name] = true
	var recs []*repodata.Record
	virtual := strings.HasPrefix(name, "__")
	if virtual {
		for _, r := range s.p.Virtual {
			if r.Name == name {
				recs = append(recs, r)
			}
		}
	} else if l, ok := s.p.Index.(Loader); ok {
		var err error
		if recs, err = l.Load(s.ctx, name); err != nil {
			if s.loadErr == nil {
				s.loadErr = fmt.Errorf("loading the records of %s: %w", name, err)
			}
			return nil
		}
	} else {
		recs = s.p.Index.Records(name)
	}
	if len(recs) == 0 {
		return nil
	}
	prio := func(r *repodata.Record) int {
		if p, ok := s.prioByURL[r.Channel]; ok {
			return p
		}
		p, ok := s.priority[matchspec.CanonicalChannel(r.Channel)]
		if !ok {
			p = len(s.p.Channels)
		}
		if s.prioByURL == nil {
			s.prioByURL = map[string]int{}
		}
		s.prioByURL[r.Channel] = p
		return p
	}
	if !s.p.Flexible && !virtual {
		best := -1
		for _, r := range recs {
			if p := prio(r); best < 0 || p < best {
				best = p
			}
		}
		var kept []*repodata.Record
		for _, r := range recs {
			if prio(r) == best {
				kept = append(kept, r)
			} else {
				s.masked[name] = append(s.masked[name], r)
			}
		}
		recs = kept
	}
	locked := s.locked[name]
	vars := make([]int32, 0, len(recs))
	for _, r := range recs {
		c := cand{
			rec:      r,
			name:     name,
			ver:      r.ParsedVersion(),
			prio:     prio(r),
			features: len(r.TrackFeatures),
			legacy:   strings.Fields(strings.ReplaceAll(r.Features, ",", " ")),
			locked:   locked != nil && sameRecord(locked, r),
			virtual:  virtual,
		}
		vars = append(vars, s.newVar(c))
	}
	sort.SliceStable(vars, func(i, j int) bool { return s.prefer(vars[i], vars[j]) })
	s.byName[name] = vars
	return vars
}

func sameRecord(a, b *repodata.Record) bool {
	return a.Name == b.Name && a.Version == b.Version && a.Build == b.Build &&
		(a.SHA256 == "" || b.SHA256 == "" || a.SHA256 == b.SHA256)
}

// prefer reports whether candidate a is preferred to b.
func (s *solver) prefer(a, b int32) bool {
	x, y := &s.cands[a], &s.cands[b]
	if x.locked != y.locked {
		return x.locked
	}
	if x.features != y.features {
		return x.features < y.features
	}
	if s.p.Flexible && x.prio != y.prio {
		return x.prio < y.prio
	}
	if c := x.ver.Compare(y.ver); c != 0 {
		return c > 0
	}
	if c := s.compareDeps(x.rec, y.rec); c != 0 {
		return c > 0
	}
	if x.rec.BuildNumber != y.rec.BuildNumber {
		return x.rec.BuildNumber > y.rec.BuildNumber
	}
	if x.rec.Timestamp != y.rec.Timestamp {
		return x.rec.Timestamp > y.rec.Timestamp
	}
	if x.prio != y.prio {
		return x.prio < y.prio
	}
	if x.rec.Subdir != y.rec.Subdir {
		// The platform's own build before noarch.
		return y.rec.Subdir == "noarch"
	}
	return x.rec.Fn < y.rec.Fn
}

// compareDeps compares two builds of one version by what their
// dependencies allow: for each package both depend on, the build whose
// spec admits the higher newest version wins that package (numpy built
// for python 3.12 over the same numpy built for 3.9). It returns +1 when a
// wins more packages, -1 when b does.
func (s *solver) compareDeps(a, b *repodata.Record) int {
	if len(a.Depends) == 0 || len(b.Depends) == 0 {
		return 0
	}
	bySpec := func(deps []string) map[string]*matchspec.MatchSpec {
		m := make(map[string]*matchspec.MatchSpec, len(deps))
		for _, d := range deps {
			if ms, err := s.parseDep(d); err == nil && !strings.HasPrefix(ms.Name, "__") {
				m[ms.Name] = ms
			}
		}
		return m
	}
	ma, mb := bySpec(a.Depends), bySpec(b.Depends)
	names := make([]string, 0, len(ma))
	for name := range ma {
		names = append(names, name)
	}
	sort.Strings(names) // candidates load in a fixed order, so var ids do too
	score := 0
	for _, name := range names {
		sa := ma[name]
		sb, ok := mb[name]
		if !ok || sa == sb || sa.String() == sb.String() {
			continue
		}
		va, oka := s.newestMatching(sa)
		vb, okb := s.newestMatching(sb)
		switch {
		case oka && !okb:
			score++
		case okb && !oka:
			score--
		case oka && okb:
			if c := va.Compare(vb); c > 0 {
				score++
			} else if c < 0 {
				score--
			}
		}
	}
	switch {
	case score > 0:
		return 1
	case score < 0:
		return -1
	}
	return 0
}

// newestMatching returns the highest version a spec admits among the
// candidates of its package.
func (s *solver) newestMatching(ms *matchspec.MatchSpec) (version.Version, bool) {
	for _, v := range s.matching(ms) {
		return s.cands[v].ver, true
	}
	return version.Version{}, false
}

func (s *solver) newVar(c cand) int32 {
	v := int32(len(s.cands))
	s.cands = append(s.cands, c)
	s.assigns = append(s.assigns, assign{})
	s.vals = append(s.vals, 0)
	s.expanded = append(s.expanded, false)
	s.constraints = append(s.constraints, nil)
	s.requires = append(s.requires, nil)
	s.watches = append(s.watches, nil, nil)
	return v
}

func (s *solver) describe(v int32) string {
	c := s.cands[v]
	return fmt.Sprintf("%s %s %s", c.name, c.rec.Version, c.rec.Build)
}
