package lock

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/pypi"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/pep508"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/wheeltag"
)

// ErrNoPython is wrapped when a platform has PyPI requirements but its
// conda packages include no python.
var ErrNoPython = errors.New("PyPI requirements need python among the dependencies")

// resolvePyPI resolves the platform's PyPI requirements after its conda
// solve: the locked python fixes the interpreter, the manifest's system
// floors the platform tags, and the conda packages satisfy what they
// provide.
func resolvePyPI(ctx context.Context, m *spec.Manifest, p platform.Platform, opts Options, recs []*repodata.Record, note func(string)) ([]*lockfile.Wheel, error) {
	reqs := m.PyPIFor(p)
	if len(reqs) == 0 || opts.PyPI == nil {
		return nil, nil
	}
	i := slices.IndexFunc(recs, func(r *repodata.Record) bool { return r.Name == "python" })
	if i < 0 {
		return nil, fmt.Errorf("%w (pypi asks for %s); add python to dependencies in env.cue", ErrNoPython, reqs[0].String())
	}
	pr := &pypi.Problem{
		Target:    wheeltag.Target{Platform: p, Python: recs[i].Version, Glibc: m.System.Glibc, Osx: m.System.Osx},
		Conda:     pypi.Provides(recs),
		Preferred: map[string]string{},
		Note:      func(s string) { note("pypi: " + s) },
	}
	for _, r := range reqs {
		text := r.String()
		req, err := pep508.Parse(text)
		if err != nil {
			return nil, fmt.Errorf("%s: pypi.%s: %w", r.Pos, r.Name, err)
		}
		pr.Requirements = append(pr.Requirements, pypi.Requested{Req: req, Text: text})
	}
	if opts.Previous != nil && !opts.UpdateAll {
		if prev := opts.Previous.Platform(string(p)); prev != nil {
			for _, w := range prev.PyPI {
				if !slices.Contains(opts.Update, w.Name) {
					pr.Preferred[w.Name] = w.Version
				}
			}
		}
	}
	wheels, err := pypi.Resolve(ctx, opts.PyPI, pr)
	if err != nil {
		return nil, fmt.Errorf("pypi: %w", err)
	}
	return wheels, nil
}

// checkPyPI adds to reasons what makes a platform's wheels disagree with
// the manifest's pypi requirements: a requirement recorded for a wheel
// that the manifest no longer has, or a manifest requirement whose
// project is locked under another requirement.
func checkPyPI(m *spec.Manifest, p platform.Platform, pl *lockfile.Platform) []string {
	var reasons []string
	want := map[string]string{}
	for _, r := range m.PyPIFor(p) {
		want[r.Key()] = r.String()
	}
	for _, w := range pl.PyPI {
		key := pep508.Normalize(w.Name)
		if w.Requested != "" && want[key] == "" {
			reasons = append(reasons, fmt.Sprintf("%s: the wheel %s %s was asked for by %q, which env.cue no longer has", p, w.Name, w.Version, w.Requested))
		}
		if req, ok := want[key]; ok && w.Requested != req {
			reasons = append(reasons, fmt.Sprintf("%s: %s %s is locked for %q, env.cue asks for %q", p, w.Name, w.Version, w.Requested, req))
		}
	}
	return reasons
}
