package solve

// This file holds the CDCL core: variables are candidate records (1-based
// ids), literals are +v (installed) and -v (not installed). Clauses are
// watched by two literals. Two constraint families are propagated
// natively instead of as clauses, because writing them out would cost
// O(n²) clauses for a package with n builds: at most one record per name,
// and "constrains" (a record, once installed, rules out the records of
// another name that its constraint excludes). Their reasons are binary
// clauses (¬a ∨ ¬b) made up on demand in conflict analysis.

type lit int32

func (l lit) v() int32 {
	if l < 0 {
		return int32(-l)
	}
	return int32(l)
}
func (l lit) neg() lit { return -l }

type clauseKind uint8

const (
	clauseRoot     clauseKind = iota // one of the candidates of a requested spec
	clauseRequires                   // ¬parent ∨ candidates of one dependency
	clauseLearnt                     // derived by conflict analysis
	clauseBinary                     // ¬a ∨ ¬b from at-most-one or constrains, made on demand
	clauseLocked                     // a fixed record (virtual packages), unit
)

type clause struct {
	lits []lit
	kind clauseKind
	// For clauseRoot and clauseRequires: the spec index it came from and,
	// for requires, the parent record.
	spec   int32
	parent int32
	// For clauseBinary: why the pair excludes each other.
	binWhy binaryWhy
	// For learnt clauses: the clauses resolved to derive it.
	from []int32
}

type binaryWhy uint8

const (
	whySameName   binaryWhy = iota // two records of one package
	whyConstrains                  // the first record's constrains excludes the second
)

type reasonKind uint8

const (
	reasonDecision   reasonKind = iota
	reasonClause                // ref is a clause index
	reasonSameName              // ref is the var of the same name that is installed
	reasonConstrains            // ref is the var whose constrains excludes this one
)

type reason struct {
	kind reasonKind
	ref  int32
}

type assign struct {
	val    int8 // 0 unassigned, 1 true, -1 false
	level  int32
	reason reason
}

// value returns the truth value of l: 1, -1 or 0.
func (s *solver) value(l lit) int8 {
	if l < 0 {
		return -s.vals[-l]
	}
	return s.vals[l]
}

// enqueue makes l true with the given reason. It returns false if l is
// already false (a conflict the caller handles).
func (s *solver) enqueue(l lit, r reason) bool {
	switch s.value(l) {
	case 1:
		return true
	case -1:
		return false
	}
	v := l.v()
	a := &s.assigns[v]
	a.val = 1
	if l < 0 {
		a.val = -1
	}
	s.vals[v] = a.val
	a.level = s.level
	a.reason = r
	s.trail = append(s.trail, l)
	s.stats.Propagations++
	return true
}

// addClause stores a clause and watches it. It returns the clause index.
// The caller must propagate afterwards; a clause that is unit or false
// under the current assignment is put on the pending list.
func (s *solver) addClause(c clause) int32 {
	idx := int32(len(s.clauses))
	s.clauses = append(s.clauses, c)
	cl := &s.clauses[idx]
	if len(cl.lits) == 0 {
		s.pending = append(s.pending, idx)
		return idx
	}
	if len(cl.lits) == 1 {
		s.watch(cl.lits[0], idx, cl.lits[0])
		s.pending = append(s.pending, idx)
		return idx
	}
	// Watch the two best literals: true or unassigned first, then false
	// ones assigned latest.
	s.orderForWatch(cl.lits)
	s.watch(cl.lits[0], idx, cl.lits[1])
	s.watch(cl.lits[1], idx, cl.lits[0])
	if s.value(cl.lits[1]) == -1 {
		s.pending = append(s.pending, idx)
	}
	return idx
}

// orderForWatch moves the two literals best suited as watches to the
// front: non-false literals first, then false ones with the highest level.
func (s *solver) orderForWatch(lits []lit) {
	better := func(a, b lit) bool {
		va, vb := s.value(a), s.value(b)
		if (va != -1) != (vb != -1) {
			return va != -1
		}
		if va == -1 {
			return s.assigns[a.v()].level > s.assigns[b.v()].level
		}
		return false
	}
	for k := 0; k < 2 && k < len(lits); k++ {
		best := k
		for i := k + 1; i < len(lits); i++ {
			if better(lits[i], lits[best]) {
				best = i
			}
		}
		lits[k], lits[best] = lits[best], lits[k]
	}
}

// A watcher is a clause watching a literal, with a blocker: another
// literal of the clause; when the blocker is true the clause is satisfied
// and propagation skips it without reading it.
type watcher struct {
	clause  int32
	blocker lit
}

func (s *solver) watch(l lit, idx int32, blocker lit) {
	// A clause watching l is visited when l becomes false.
	k := watchKey(l)
	s.watches[k] = append(s.watches[k], watcher{idx, blocker})
}

func watchKey(l lit) int {
	if l < 0 {
		return int(-l)*2 + 1
	}
	return int(l) * 2
}

// clauseState checks a clause under the current assignment: whether it is
// satisfied, and otherwise its unassigned literal when it is unit, or a
// conflict when every literal is false.
func (s *solver) clauseState(idx int32) (sat bool, unit lit, conflict bool) {
	var free lit
	n := 0
	for _, l := range s.clauses[idx].lits {
		switch s.value(l) {
		case 1:
			return true, 0, false
		case 0:
			free = l
			n++
		}
	}
	switch n {
	case 0:
		return false, 0, true
	case 1:
		return false, free, false
	}
	return false, 0, false
}

// propagate runs unit propagation over the trail from qhead. It returns
// the index of a conflicting clause, or -1. Native propagators run for
// every literal made true.
func (s *solver) propagate() int32 {
	for {
		// Clauses added while the assignment was under way.
		for len(s.pending) > 0 {
			idx := s.pending[0]
			s.pending = s.pending[1:]
			sat, unit, conflict := s.clauseState(idx)
			if sat {
				continue
			}
			if conflict {
				s.pending = s.pending[:0]
				return idx
			}
			if unit != 0 {
				s.enqueue(unit, reason{kind: reasonClause, ref: idx})
			}
		}
		if s.qhead >= len(s.trail) {
			return -1
		}
		l := s.trail[s.qhead]
		s.qhead++
		if l > 0 {
			if c := s.onInstalled(l.v()); c >= 0 {
				return c
			}
			if len(s.pending) > 0 {
				s.qhead-- // revisit l's watches after the new clauses
				continue
			}
		}
		if c := s.propagateWatches(l.neg()); c >= 0 {
			return c
		}
	}
}

// propagateWatches visits the clauses watching the now-false literal f.
func (s *solver) propagateWatches(f lit) int32 {
	k := watchKey(f)
	ws := s.watches[k]
	s.stats.Visits += len(ws)
	kept := ws[:0]
	var conflict int32 = -1
	for i, w := range ws {
		if conflict >= 0 {
			kept = append(kept, ws[i:]...)
			break
		}
		if s.value(w.blocker) == 1 {
			kept = append(kept, w)
			continue
		}
		idx := w.clause
		c := &s.clauses[idx]
		lits := c.lits
		if len(lits) == 1 {
			kept = append(kept, w)
			conflict = idx
			continue
		}
		if lits[0] == f {
			lits[0], lits[1] = lits[1], lits[0]
		}
		// lits[1] == f
		if s.value(lits[0]) == 1 {
			kept = append(kept, watcher{idx, lits[0]})
			continue
		}
		moved := false
		for j := 2; j < len(lits); j++ {
			if s.value(lits[j]) != -1 {
				lits[1], lits[j] = lits[j], lits[1]
				nk := watchKey(lits[1])
				s.watches[nk] = append(s.watches[nk], watcher{idx, lits[0]})
				moved = true
				break
			}
		}
		if moved {
			continue
		}
		kept = append(kept, watcher{idx, lits[0]})
		if !s.enqueue(lits[0], reason{kind: reasonClause, ref: idx}) {
			conflict = idx
		}
	}
	s.watches[k] = kept
	return conflict
}

// reasonLits returns the clause that explains the assignment of v, with
// v's own literal in it.
func (s *solver) reasonClause(v int32) (lits []lit, idx int32) {
	r := s.assigns[v].reason
	switch r.kind {
	case reasonClause:
		return s.clauses[r.ref].lits, r.ref
	case reasonSameName, reasonConstrains:
		why := whySameName
		if r.kind == reasonConstrains {
			why = whyConstrains
		}
		idx := s.binaryClause(r.ref, v, why)
		return s.clauses[idx].lits, idx
	}
	return nil, -1
}

// binaryClause returns the index of the clause (¬a ∨ ¬b), making it on
// first use. It is never watched: the native propagators enforce it.
func (s *solver) binaryClause(a, b int32, why binaryWhy) int32 {
	key := [2]int32{a, b}
	if idx, ok := s.binaries[key]; ok {
		return idx
	}
	idx := int32(len(s.clauses))
	s.clauses = append(s.clauses, clause{lits: []lit{lit(-a), lit(-b)}, kind: clauseBinary, binWhy: why})
	s.binaries[key] = idx
	return idx
}

// analyze derives a learnt clause from the conflicting clause confl
// (first unique implication point) and the level to jump back to.
func (s *solver) analyze(confl int32) (learnt []lit, from []int32, back int32) {
	if len(s.seen) < len(s.assigns) {
		s.seen = make([]bool, len(s.assigns)*2)
	}
	seen := s.seen
	var marked []int32
	defer func() {
		for _, v := range marked {
			seen[v] = false
		}
	}()
	counter := 0
	var p lit
	lits := s.clauses[confl].lits
	from = append(from, confl)
	idx := len(s.trail) - 1
	learnt = append(learnt, 0) // slot for the asserting literal
	for {
		for _, q := range lits {
			if q == p {
				continue
			}
			v := q.v()
			if seen[v] {
				continue
			}
			a := s.assigns[v]
			if a.level == 0 {
				// Facts at level 0 stay out of the clause; remember their
				// reasons for the explanation.
				if _, ci := s.reasonClause(v); ci >= 0 {
					from = append(from, ci)
				}
				seen[v] = true
				marked = append(marked, v)
				continue
			}
			seen[v] = true
			marked = append(marked, v)
			if a.level == s.level {
				counter++
			} else {
				learnt = append(learnt, q)
			}
		}
		// Next literal on the trail that is part of the conflict.
		for !seen[s.trail[idx].v()] {
			idx--
		}
		p = s.trail[idx]
		idx--
		counter--
		if counter <= 0 {
			break
		}
		var ci int32
		lits, ci = s.reasonClause(p.v())
		from = append(from, ci)
	}
	learnt[0] = p.neg()
	back = 0
	for i := 1; i < len(learnt); i++ {
		if l := s.assigns[learnt[i].v()].level; l > back {
			back = l
			learnt[1], learnt[i] = learnt[i], learnt[1]
		}
	}
	return learnt, from, back
}

// backtrack undoes every assignment above level.
func (s *solver) backtrack(level int32) {
	for len(s.trail) > 0 {
		l := s.trail[len(s.trail)-1]
		a := &s.assigns[l.v()]
		if a.level <= level {
			break
		}
		a.val = 0
		s.vals[l.v()] = 0
		a.reason = reason{}
		s.trail = s.trail[:len(s.trail)-1]
	}
	s.qhead = len(s.trail)
	s.level = level
	s.pending = s.pending[:0]
	n := len(s.active)
	for n > 0 && s.active[n-1].level > level {
		n--
	}
	s.active = s.active[:n]
}
