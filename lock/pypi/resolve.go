package pypi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/pep440"
	"github.com/envlock/envlock/spec/pep508"
	"github.com/envlock/envlock/spec/pyindex"
	"github.com/envlock/envlock/spec/wheeltag"
)

// An Index gives a project's files and a file's core metadata.
// fetch/pypi.Client implements it.
type Index interface {
	Project(ctx context.Context, name string) (*pyindex.Project, error)
	Metadata(ctx context.Context, f *pyindex.File) (*pyindex.Metadata, error)
}

// A Hasher reads a file at a URL to the end and returns its sha256 (hex)
// and size: for a direct URL requirement with no #sha256= fragment.
// fetch/pypi.Client implements it.
type Hasher interface {
	Hash(ctx context.Context, url string) (sha256 string, size int64, err error)
}

// A Requested is one requirement of the manifest.
type Requested struct {
	Req *pep508.Requirement
	// Text is the requirement as the lock records it ("tinyfmt>=1").
	Text string
}

// A Problem is one platform's PyPI resolution.
type Problem struct {
	Requirements []Requested
	// Target is the platform, the locked Python and the system floors.
	Target wheeltag.Target
	// Conda are the PyPI projects the conda solution provides (Provides).
	Conda map[string]Provided
	// Preferred are versions to try first, by normalized name (the
	// previous lock's).
	Preferred map[string]string
	// MaxSteps bounds the search (0: 20000 candidate tries).
	MaxSteps int
	// Note, when set, hears what the resolution had to accept: a yanked
	// file, locked because the manifest pins its version exactly.
	Note func(string)
}

// A ConflictError says that no version of a project satisfies what is
// asked of it on the target.
type ConflictError struct {
	Project string
	Msg     string
}

func (e *ConflictError) Error() string { return e.Msg }

// An edge is a constraint on a project and who made it.
type edge struct {
	spec pep440.Set
	by   string // "env.cue" or "name version"
	text string // the requirement as written
}

type candidate struct {
	version pep440.Version
	file    *pyindex.File
	wheel   *wheeltag.Filename
	conda   *Provided
}

func (c *candidate) String() string {
	if c.conda != nil {
		return fmt.Sprintf("%s %s (conda)", c.conda.Conda, c.conda.Version)
	}
	return c.version.String()
}

// project is what the index has for one project, sorted for the target.
type project struct {
	name  string
	cands []*candidate // usable wheels, best version first
	// yanked are versions whose only usable wheels are yanked (PEP
	// 592), best first: a candidate only when a requirement of the
	// manifest pins that version exactly.
	yanked []*candidate
	// sdistOnly are versions with only sdists; otherTags are versions
	// whose wheels are all for other targets, with their tags.
	sdistOnly []pep440.Version
	otherTags map[string][]string
	tooNew    map[string]string // version -> Requires-Python it needs
}

type resolver struct {
	ctx      context.Context
	idx      Index
	pr       *Problem
	env      pep508.Env
	ranker   *wheeltag.Ranker
	python   pep440.Version
	projects map[string]*project
	metas    map[*pyindex.File]*pyindex.Metadata
	steps    int
	// directs are the wheels the manifest names by URL (PEP 508
	// "name @ URL"), by normalized name: the only candidate of their
	// project.
	directs map[string]*candidate
	// pinned are the manifest's requirements that pin one version
	// exactly ("==V" or "===V", a single clause), by normalized name:
	// the only ones that may select a yanked file, as in uv and pip.
	pinned map[string][]pinnedReq
}

type pinnedReq struct {
	spec pep440.Specifier
	text string
}

type state struct {
	pins     map[string]*candidate
	edges    map[string][]edge
	extras   map[string][]string
	expanded map[string][]string // extras whose dependencies were added ("" for the base)
	requests map[string]string   // normalized name -> the manifest's text
}

func (s *state) clone() *state {
	c := &state{pins: maps.Clone(s.pins), edges: map[string][]edge{}, extras: map[string][]string{}, expanded: map[string][]string{}, requests: s.requests}
	for k, v := range s.edges {
		c.edges[k] = slices.Clone(v)
	}
	for k, v := range s.extras {
		c.extras[k] = slices.Clone(v)
	}
	for k, v := range s.expanded {
		c.expanded[k] = slices.Clone(v)
	}
	return c
}

// Resolve picks one wheel per project needed by the requirements on the
// target, or explains why there is none. Wheels come back sorted by name.
func Resolve(ctx context.Context, idx Index, pr *Problem) ([]*lockfile.Wheel, error) {
	ranker, err := pr.Target.Ranker()
	if err != nil {
		return nil, err
	}
	py, err := pep440.Parse(pr.Target.Python)
	if err != nil {
		return nil, fmt.Errorf("python version %q: %w", pr.Target.Python, err)
	}
	r := &resolver{ctx: ctx, idx: idx, pr: pr, ranker: ranker, python: py,
		env: pep508.Environment(pr.Target.Platform, pr.Target.Python), projects: map[string]*project{}, metas: map[*pyindex.File]*pyindex.Metadata{}}
	st := &state{pins: map[string]*candidate{}, edges: map[string][]edge{}, extras: map[string][]string{}, expanded: map[string][]string{}, requests: map[string]string{}}
	for _, q := range pr.Requirements {
		if !q.Req.Marker.EvalExtras(r.env, nil) {
			continue
		}
		k := q.Req.Key()
		if q.Req.URL != "" {
			c, err := r.direct(q)
			if err != nil {
				return nil, err
			}
			if prev := r.directs[k]; prev != nil && prev.file.URL != c.file.URL {
				return nil, fmt.Errorf("%s: env.cue names two wheels of %s, %s and %s; keep one", q.Text, k, prev.file.Filename, c.file.Filename)
			}
			if r.directs == nil {
				r.directs = map[string]*candidate{}
			}
			r.directs[k] = c
		}
		if s := q.Req.Specifier; len(s) == 1 && (s[0].Op == "==" && !s[0].Wildcard || s[0].Op == "===") {
			if r.pinned == nil {
				r.pinned = map[string][]pinnedReq{}
			}
			r.pinned[k] = append(r.pinned[k], pinnedReq{s[0], q.Text})
		}
		st.edges[k] = append(st.edges[k], edge{spec: q.Req.Specifier, by: "env.cue", text: q.Text})
		st.extras[k] = mergeExtras(st.extras[k], q.Req.Extras)
		st.requests[k] = q.Text
	}
	final, err := r.solve(st)
	if err != nil {
		return nil, err
	}
	var out []*lockfile.Wheel
	for _, name := range slices.Sorted(maps.Keys(final.pins)) {
		c := final.pins[name]
		if c.conda != nil {
			continue
		}
		if c.file.SHA256 == "" {
			return nil, fmt.Errorf("%s %s: the index gives no sha256 for %s; envlock locks only files it can check", name, c.version, c.file.Filename)
		}
		w := &lockfile.Wheel{Name: name, Version: c.version.String(), URL: c.file.URL, SHA256: c.file.SHA256, Size: c.file.Size,
			RequiresPython: c.file.RequiresPython, Requested: final.requests[name]}
		if w.RequiresPython == "" {
			if m := r.metas[c.file]; m != nil {
				w.RequiresPython = m.RequiresPython
			}
		}
		for _, t := range c.wheel.Tags {
			w.Tags = append(w.Tags, t.String())
		}
		if c.file.Yanked && pr.Note != nil {
			why := ""
			if c.file.YankedReason != "" {
				why = fmt.Sprintf(" (%q)", c.file.YankedReason)
			}
			pin, _ := r.pinnedBy(name, c.version)
			pr.Note(fmt.Sprintf("%s %s is yanked from the index%s; it is locked because env.cue pins it with %q", name, c.version, why, pin))
		}
		out = append(out, w)
	}
	return out, nil
}

func mergeExtras(a, b []string) []string {
	for _, e := range b {
		if !slices.Contains(a, e) {
			a = append(a, e)
		}
	}
	slices.Sort(a)
	return a
}

func (r *resolver) solve(st *state) (*state, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	// Extras asked of pinned projects after they were pinned.
	for _, name := range slices.Sorted(maps.Keys(st.pins)) {
		for _, x := range append([]string{""}, st.extras[name]...) {
			if !slices.Contains(st.expanded[name], x) {
				if err := r.addDeps(st, name, st.pins[name], x); err != nil {
					return nil, err
				}
			}
		}
	}
	next := ""
	for _, name := range slices.Sorted(maps.Keys(st.edges)) {
		if st.pins[name] == nil {
			next = name
			break
		}
	}
	if next == "" {
		return st, nil
	}
	cands, err := r.candidates(st, next)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, c := range cands {
		r.steps++
		if max := r.pr.MaxSteps; r.steps > max && max > 0 || r.steps > 20000 && max == 0 {
			return nil, fmt.Errorf("gave up resolving PyPI requirements after %d tries; pin some versions in env.cue (pypi) to narrow the search", r.steps)
		}
		s := st.clone()
		s.pins[next] = c
		for _, x := range append([]string{""}, s.extras[next]...) {
			if err = r.addDeps(s, next, c, x); err != nil {
				break
			}
		}
		if err == nil {
			var done *state
			if done, err = r.solve(s); err == nil {
				return done, nil
			}
		}
		// A conflict found deeper comes back wrapped in the choices
		// above it; it is still a reason to try this project's next
		// candidate.
		var ce *ConflictError
		if !errors.As(err, &ce) {
			return nil, err
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("%s %s: %w", next, c, err)
			if c.conda != nil {
				firstErr = err // the only choice: nothing to say about it
			}
		}
	}
	return nil, firstErr
}

// addDeps adds the dependencies of a pinned candidate for one extra ("":
// the base requirements), checking them against what is pinned.
func (r *resolver) addDeps(st *state, name string, c *candidate, extra string) error {
	st.expanded[name] = append(st.expanded[name], extra)
	if c.conda != nil {
		return nil // conda resolved its dependencies already
	}
	m, err := r.metadata(c)
	if err != nil {
		return err
	}
	if extra != "" && !slices.ContainsFunc(m.ProvidesExtra, func(e string) bool { return pep508.Normalize(e) == extra }) {
		return nil // an unknown extra adds nothing, as pip does
	}
	by := name + " " + c.version.String()
	for _, line := range m.RequiresDist {
		dep, err := pep508.Parse(line)
		if err != nil {
			return fmt.Errorf("%s: its metadata has a bad Requires-Dist %q: %w", by, line, err)
		}
		if dep.Marker != nil {
			e := maps.Clone(r.env)
			e["extra"] = extra
			if !dep.Marker.Eval(e) {
				continue
			}
		}
		k := dep.Key()
		if k == name {
			st.extras[k] = mergeExtras(st.extras[k], dep.Extras) // "pkg[all]" asks for pkg[a,b]
			continue
		}
		e := edge{spec: dep.Specifier, by: by, text: dep.String()}
		st.edges[k] = append(st.edges[k], e)
		st.extras[k] = mergeExtras(st.extras[k], dep.Extras)
		if p := st.pins[k]; p != nil && !r.satisfies(st.edges[k], p) {
			return &ConflictError{Project: k, Msg: fmt.Sprintf("%s needs %s, but %s %s is already chosen (%s)", by, dep.String(), k, p, whoWants(st.edges[k][:len(st.edges[k])-1]))}
		}
	}
	return nil
}

func (r *resolver) metadata(c *candidate) (*pyindex.Metadata, error) {
	if m, ok := r.metas[c.file]; ok {
		return m, nil
	}
	m, err := r.idx.Metadata(r.ctx, c.file)
	if err != nil {
		return nil, err
	}
	if v, err := pep440.Parse(m.Version); err != nil || v.Compare(c.version) != 0 {
		return nil, fmt.Errorf("%s: its metadata says version %q, its file name %s", c.file.Filename, m.Version, c.version)
	}
	r.metas[c.file] = m
	return m, nil
}

func whoWants(es []edge) string {
	var parts []string
	for _, e := range es {
		spec := e.spec.String()
		if spec == "" {
			spec = "any version"
		}
		parts = append(parts, spec+" from "+e.by)
	}
	return strings.Join(parts, "; ")
}

// allowPre reports whether pre-releases may be chosen for a project:
// when a constraint names one (PEP 440).
func allowPre(es []edge) bool {
	return slices.ContainsFunc(es, func(e edge) bool { return e.spec.Prereleases() })
}

func (r *resolver) satisfies(es []edge, c *candidate) bool {
	v := c.version
	pre := allowPre(es)
	for _, e := range es {
		if !e.spec.Contains(v, pre) {
			return false
		}
	}
	return true
}

// candidates returns the project's candidates that satisfy the
// constraints on it, best first, or a ConflictError saying why none do.
func (r *resolver) candidates(st *state, name string) ([]*candidate, error) {
	es := st.edges[name]
	if p, ok := r.pr.Conda[name]; ok {
		c := &candidate{conda: &p}
		v, err := pep440.Parse(p.Version)
		if err != nil {
			// A conda version PEP 440 cannot read: the conda package is
			// taken as it is.
			return []*candidate{c}, nil
		}
		c.version = v
		for _, e := range es {
			if !e.spec.Contains(v, true) {
				return nil, &ConflictError{Project: name, Msg: fmt.Sprintf("the conda package %s %s provides the PyPI project %s, but %s needs %s; change the conda dependency's version in env.cue, or the PyPI requirement", p.Conda, p.Version, name, e.by, e.text)}
			}
		}
		return []*candidate{c}, nil
	}
	if c := r.directs[name]; c != nil {
		// The wheel env.cue names by URL, whatever else is asked.
		for _, e := range es {
			if !e.spec.Contains(c.version, true) {
				return nil, &ConflictError{Project: name, Msg: fmt.Sprintf("env.cue names the wheel %s of %s %s, but %s needs %s", c.file.Filename, name, c.version, e.by, e.text)}
			}
		}
		return []*candidate{c}, nil
	}
	proj, err := r.project(name)
	if err != nil {
		return nil, err
	}
	var out []*candidate
	pre := allowPre(es)
	for _, c := range proj.cands {
		if r.satisfies(es, c) && (pre || !c.version.IsPrerelease()) {
			out = append(out, c)
		}
	}
	// PEP 592: a yanked version only for a requirement that pins it.
	for _, c := range proj.yanked {
		if _, ok := r.pinnedBy(name, c.version); ok && r.satisfies(es, c) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *candidate) int { return b.version.Compare(a.version) })
	if len(out) == 0 && !pre {
		// PEP 440: pre-releases are acceptable when nothing else is.
		for _, c := range proj.cands {
			ok := true
			for _, e := range es {
				ok = ok && e.spec.Contains(c.version, true)
			}
			if ok {
				out = append(out, c)
			}
		}
	}
	if pref, ok := r.pr.Preferred[name]; ok {
		if i := slices.IndexFunc(out, func(c *candidate) bool { return c.version.String() == pref }); i > 0 {
			c := out[i]
			out = append([]*candidate{c}, slices.Delete(out, i, i+1)...)
		}
	}
	if len(out) == 0 {
		return nil, r.explain(name, es, proj)
	}
	return out, nil
}

// direct makes the candidate of a "name @ URL" requirement: a wheel,
// of that project, usable on the target, with the sha256 the URL's
// fragment gives or, without one, that of the file read to the end.
func (r *resolver) direct(q Requested) (*candidate, error) {
	k := q.Req.Key()
	if _, ok := r.pr.Conda[k]; ok {
		return nil, fmt.Errorf("%s: the conda package %s provides %s already; drop one of the two from env.cue", q.Text, r.pr.Conda[k].Conda, k)
	}
	u, err := url.Parse(q.Req.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") || u.Opaque != "" {
		return nil, fmt.Errorf("%s: envlock reads wheels from https://, http:// and file:// URLs (PEP 508 direct references); VCS and other URLs are not supported", q.Text)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s: the URL holds credentials, which would be written into env.lock; give them with ENVLOCK_TOKENS or ~/.netrc instead", redactUser(q.Text))
	}
	frag := u.Fragment
	u.Fragment, u.RawFragment = "", ""
	clean := u.String()
	// The file name as the lock and the package cache will take it: the
	// last element of the URL's path as written, unescaped. An escaped
	// separator or ".." there is refused, never made a path.
	ep := u.EscapedPath()
	fn, err := url.PathUnescape(ep[strings.LastIndexByte(ep, '/')+1:])
	if err != nil || fn == "" || fn == "." || fn == ".." || strings.ContainsAny(fn, "/\\\x00") {
		return nil, fmt.Errorf("%s: the URL's file name %q is not a plain file name", q.Text, fn)
	}
	w, err := wheeltag.ParseFilename(fn)
	if err != nil {
		return nil, fmt.Errorf("%s: %s is not a wheel; envlock installs wheels only and does not build source distributions", q.Text, fn)
	}
	if pep508.Normalize(w.Name) != k {
		return nil, fmt.Errorf("%s: the wheel %s is of the project %s, not %s", q.Text, fn, pep508.Normalize(w.Name), k)
	}
	v, err := pep440.Parse(w.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: the wheel %s has no valid version: %v", q.Text, fn, err)
	}
	if _, ok := r.ranker.Rank(w); !ok {
		var tags []string
		for _, t := range w.Tags {
			tags = append(tags, t.String())
		}
		t := r.pr.Target
		return nil, fmt.Errorf("%s: the wheel %s is built for %s, which %s with python %s cannot use", q.Text, fn, strings.Join(tags, ", "), t.Platform, t.Python)
	}
	f := &pyindex.File{Filename: fn, URL: clean}
	for _, kv := range strings.Split(frag, "&") {
		if h, ok := strings.CutPrefix(kv, "sha256="); ok {
			if len(h) != 64 || strings.Trim(strings.ToLower(h), "0123456789abcdef") != "" {
				return nil, fmt.Errorf("%s: the #sha256= fragment is not 64 hex digits", q.Text)
			}
			f.SHA256 = strings.ToLower(h)
		}
	}
	if f.SHA256 == "" {
		h, ok := r.idx.(Hasher)
		if !ok {
			return nil, fmt.Errorf("%s: add #sha256=HEX to the URL so the wheel can be checked", q.Text)
		}
		if f.SHA256, f.Size, err = h.Hash(r.ctx, clean); err != nil {
			return nil, fmt.Errorf("%s: %w", q.Text, err)
		}
	}
	return &candidate{version: v, file: f, wheel: w}, nil
}

// pinnedBy returns the manifest's requirement that pins v of the
// project exactly, if one does.
func (r *resolver) pinnedBy(name string, v pep440.Version) (string, bool) {
	for _, p := range r.pinned[name] {
		if p.spec.Op == "===" && p.spec.Text == v.String() || p.spec.Op == "==" && p.spec.Match(v) {
			return p.text, true
		}
	}
	return "", false
}

// explain says why no candidate of a project fits.
func (r *resolver) explain(name string, es []edge, proj *project) error {
	t := r.pr.Target
	var b strings.Builder
	where := fmt.Sprintf("%s (python %s", t.Platform, t.Python)
	if t.Platform.IsLinux() {
		g := t.Glibc
		if g == "" {
			g = "2.17"
		}
		where += ", glibc " + g
	}
	where += ")"
	fmt.Fprintf(&b, "no version of %s fits %s and %s", name, where, whoWants(es))
	var fits []string
	for _, c := range proj.cands {
		fits = append(fits, c.version.String())
	}
	if len(fits) > 0 {
		fmt.Fprintf(&b, "\n  versions with a wheel for this target: %s", strings.Join(fits, ", "))
	} else {
		b.WriteString("\n  no version has a wheel for this target")
	}
	var others []string
	for _, v := range slices.Sorted(maps.Keys(proj.otherTags)) {
		others = append(others, v+" ("+strings.Join(proj.otherTags[v], ", ")+")")
	}
	if len(others) > 0 {
		fmt.Fprintf(&b, "\n  wheels for other targets: %s", strings.Join(others, "; "))
		if g := lowestGlibc(proj.otherTags); g != "" && t.Platform.IsLinux() {
			fmt.Fprintf(&b, "\n  the oldest manylinux wheel needs glibc %s: raise system.glibc in env.cue if every node has it, or pin a version with an older wheel", g)
		}
	}
	for _, v := range slices.Sorted(maps.Keys(proj.tooNew)) {
		fmt.Fprintf(&b, "\n  %s needs python %s", v, proj.tooNew[v])
	}
	if len(proj.yanked) > 0 {
		var vs []string
		for _, c := range proj.yanked {
			s := c.version.String()
			if c.file.YankedReason != "" {
				s += fmt.Sprintf(" (%q)", c.file.YankedReason)
			}
			vs = append(vs, s)
		}
		fmt.Fprintf(&b, "\n  yanked from the index, used only when env.cue pins the version with ==: %s", strings.Join(vs, ", "))
	}
	if len(proj.sdistOnly) > 0 {
		var vs []string
		for _, v := range proj.sdistOnly {
			vs = append(vs, v.String())
		}
		fmt.Fprintf(&b, "\n  only source distributions (sdists), which envlock does not build: %s", strings.Join(vs, ", "))
		if len(fits) > 0 {
			fmt.Fprintf(&b, "; the nearest version with a wheel is %s", nearest(proj.sdistOnly[0], proj.cands))
		}
	}
	return &ConflictError{Project: name, Msg: b.String()}
}

// nearest returns the candidate version closest below v, else the
// lowest above it.
func nearest(v pep440.Version, cands []*candidate) string {
	for _, c := range cands { // newest first
		if c.version.Compare(v) <= 0 {
			return c.version.String()
		}
	}
	return cands[len(cands)-1].version.String()
}

func lowestGlibc(tags map[string][]string) string {
	best := ""
	var bestV pep440.Version
	for _, ts := range tags {
		for _, t := range ts {
			if g, ok := wheeltag.Glibc(t); ok {
				v := pep440.MustParse(g)
				if best == "" || v.Compare(bestV) < 0 {
					best, bestV = g, v
				}
			}
		}
	}
	return best
}

// project reads a project from the index and sorts its files for the
// target.
func (r *resolver) project(name string) (*project, error) {
	if p, ok := r.projects[name]; ok {
		return p, nil
	}
	ip, err := r.idx.Project(r.ctx, name)
	if err != nil {
		return nil, err
	}
	p := &project{name: name, otherTags: map[string][]string{}, tooNew: map[string]string{}}
	type best struct {
		c    *candidate
		rank int
	}
	byVersion := map[string]*best{}
	yanked := map[string]*best{} // the same, of yanked files
	hasWheel := map[string]bool{}
	sdists := map[string]pep440.Version{}
	for i := range ip.Files {
		f := &ip.Files[i]
		w, err := wheeltag.ParseFilename(f.Filename)
		if err != nil {
			if v, ok := sdistVersion(f.Filename, name); ok && !f.Yanked {
				sdists[v.String()] = v
			}
			continue
		}
		if pep508.Normalize(w.Name) != name {
			continue
		}
		v, err := pep440.Parse(w.Version)
		if err != nil {
			continue
		}
		key := v.String()
		if f.Yanked {
			// Only a candidate for an exact pin; never a reason in an
			// explanation but as yanked.
			if set, err := pep440.ParseSet(f.RequiresPython); f.RequiresPython != "" && (err != nil || !set.Contains(r.python, true)) {
				continue
			}
			if rank, ok := r.ranker.Rank(w); ok {
				if b := yanked[key]; b == nil || rank < b.rank || rank == b.rank && f.Filename < b.c.file.Filename {
					yanked[key] = &best{&candidate{version: v, file: f, wheel: w}, rank}
				}
			}
			continue
		}
		hasWheel[key] = true
		if f.RequiresPython != "" {
			set, err := pep440.ParseSet(f.RequiresPython)
			if err == nil && !set.Contains(r.python, true) {
				p.tooNew[key] = f.RequiresPython
				continue
			}
		}
		rank, ok := r.ranker.Rank(w)
		if !ok {
			for _, t := range w.Tags {
				if !slices.Contains(p.otherTags[key], t.Platform) && t.Platform != "any" {
					p.otherTags[key] = append(p.otherTags[key], t.Platform)
				} else if t.Platform == "any" && !slices.Contains(p.otherTags[key], t.Python) {
					p.otherTags[key] = append(p.otherTags[key], t.Python)
				}
			}
			continue
		}
		b := byVersion[key]
		if b == nil || rank < b.rank || rank == b.rank && f.Filename < b.c.file.Filename {
			byVersion[key] = &best{&candidate{version: v, file: f, wheel: w}, rank}
		}
	}
	for k, b := range byVersion {
		p.cands = append(p.cands, b.c)
		delete(p.otherTags, k)
		delete(p.tooNew, k)
		delete(yanked, k)
	}
	for _, b := range yanked {
		p.yanked = append(p.yanked, b.c)
	}
	sort.Slice(p.cands, func(i, j int) bool { return p.cands[i].version.Compare(p.cands[j].version) > 0 })
	sort.Slice(p.yanked, func(i, j int) bool { return p.yanked[i].version.Compare(p.yanked[j].version) > 0 })
	for k, v := range sdists {
		if !hasWheel[k] {
			p.sdistOnly = append(p.sdistOnly, v)
		}
	}
	sort.Slice(p.sdistOnly, func(i, j int) bool { return p.sdistOnly[i].Compare(p.sdistOnly[j]) > 0 })
	r.projects[name] = p
	return p, nil
}

// sdistVersion reads the version of "NAME-VERSION.tar.gz" (or .zip).
func sdistVersion(fn, name string) (pep440.Version, bool) {
	for _, ext := range []string{".tar.gz", ".zip", ".tar.bz2", ".tgz"} {
		if stem, ok := strings.CutSuffix(fn, ext); ok {
			if i := strings.LastIndexByte(stem, '-'); i > 0 && pep508.Normalize(stem[:i]) == name {
				v, err := pep440.Parse(stem[i+1:])
				return v, err == nil
			}
		}
	}
	return pep440.Version{}, false
}

// redactUser hides the user information of a URL in a requirement.
func redactUser(text string) string {
	i := strings.Index(text, "://")
	j := strings.LastIndex(text, "@")
	if i < 0 || j < i {
		return text
	}
	return text[:i+3] + "***" + text[j:]
}
