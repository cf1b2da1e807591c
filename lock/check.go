package lock

import (
	"fmt"
	"slices"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
)

// ErrStale is wrapped by Check when a lock no longer matches its
// manifest.
var ErrStale = fmt.Errorf("env.lock is out of date")

// A StaleError lists why a lock does not match a manifest.
type StaleError struct {
	Reasons []string
}

func (e *StaleError) Error() string {
	s := ErrStale.Error() + ":"
	for _, r := range e.Reasons {
		s += "\n  - " + r
	}
	return s
}

func (e *StaleError) Unwrap() error { return ErrStale }

// Check reports whether lock was made from manifest m as it is now and is
// complete: the manifest hash matches, every platform of the manifest is
// resolved, and each platform's requested specs are the manifest's.
func Check(m *spec.Manifest, l *lockfile.Lock) error {
	var reasons []string
	if h := m.Hash(); l.Manifest.SHA256 != h {
		reasons = append(reasons, fmt.Sprintf("the manifest changed since the lock was made (manifest sha256 %s, lock records %s)", short(h), short(l.Manifest.SHA256)))
	}
	for _, p := range m.Platforms {
		pl := l.Platform(string(p))
		if pl == nil {
			reasons = append(reasons, fmt.Sprintf("platform %s is not locked", p))
			continue
		}
		var want []string
		for _, d := range m.DependenciesFor(p) {
			want = append(want, d.Spec.String())
		}
		if !slices.Equal(want, pl.Requested) {
			reasons = append(reasons, fmt.Sprintf("%s: the lock was resolved for %v, the manifest asks for %v", p, pl.Requested, want))
			continue
		}
		reasons = append(reasons, checkPyPI(m, p, pl)...)
		for _, spec := range pl.Requested {
			ms, err := matchspec.Parse(spec)
			if err != nil {
				reasons = append(reasons, fmt.Sprintf("%s: requested spec %q does not parse: %v", p, spec, err))
				continue
			}
			pk := pl.Package(ms.Name)
			if pk == nil || !ms.Match(pk.Record()) {
				reasons = append(reasons, fmt.Sprintf("%s: no locked package satisfies %s", p, spec))
			}
		}
	}
	for _, pl := range l.Platforms {
		if !slices.Contains(m.Platforms, platform.Platform(pl.Platform)) {
			reasons = append(reasons, fmt.Sprintf("platform %s is locked but no longer in the manifest", pl.Platform))
		}
	}
	if len(reasons) > 0 {
		return &StaleError{Reasons: reasons}
	}
	return nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
