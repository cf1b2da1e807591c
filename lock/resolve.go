package lock

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/pypi"
	"github.com/envlock/envlock/lock/solve"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/virtual"
)

// A Source gives the records of the manifest's channels for one
// platform (its subdir and noarch), channel after channel. The CLI backs
// it with fetch/channel; tests with files.
type Source func(ctx context.Context, p platform.Platform) ([]*repodata.Record, error)

// An IndexSource gives the solver's input for one platform name by name
// (fetch/channel's Index): only the names the solve reaches are read.
// roots are the names the request starts from, for sources that fetch
// ahead (CEP-16 shards of their dependency closure).
type IndexSource func(ctx context.Context, p platform.Platform, roots []string) (solve.Index, error)

// Options adjust Resolve.
type Options struct {
	// Channels are the manifest's channels resolved to URLs, highest
	// priority first.
	Channels []lockfile.Channel
	// Source supplies records, all of a platform's at once.
	Source Source
	// Index, when set, replaces Source: records are read name by name.
	Index IndexSource
	// Previous is the existing lock, if any: its packages are preferred
	// so that a re-lock moves only what the manifest change requires.
	Previous *lockfile.Lock
	// Update names packages that may move to their newest versions.
	Update []string
	// UpdateAll ignores Previous: everything is resolved afresh.
	UpdateAll bool
	// Platforms restricts which platforms are resolved; the others are
	// copied from Previous. Empty means all of the manifest's.
	Platforms []platform.Platform
	// Progress, when set, is told when each platform is done, one call
	// at a time.
	Progress func(p platform.Platform, packages int)
	// Note, when set, hears what a successful resolution had to accept
	// ("linux-64: pypi: relx 1.1 is yanked …"), in platform order,
	// after every platform is resolved.
	Note func(string)
	// PyPI is the index the manifest's pypi requirements are resolved
	// against (fetch/pypi.Client). Nil leaves them unresolved: each
	// Platform.PyPI stays empty (the CLI always sets one).
	PyPI pypi.Index
}

// A PlatformError says why one platform could not be resolved.
type PlatformError struct {
	Platform platform.Platform
	Err      error
}

func (e *PlatformError) Error() string { return fmt.Sprintf("%s: %v", e.Platform, e.Err) }
func (e *PlatformError) Unwrap() error { return e.Err }

// Resolve solves the manifest for each platform, in parallel, and
// returns the lock. Errors of several platforms are joined.
func Resolve(ctx context.Context, m *spec.Manifest, opts Options) (*lockfile.Lock, error) {
	l := Header(m, opts.Channels)
	todo := m.Platforms
	if len(opts.Platforms) > 0 {
		for _, p := range opts.Platforms {
			if !slices.Contains(m.Platforms, p) {
				return nil, fmt.Errorf("platform %s is not in the manifest's platforms %v", p, m.Platforms)
			}
		}
		todo = opts.Platforms
	}
	results := make([]*lockfile.Platform, len(todo))
	errs := make([]error, len(todo))
	notes := make([][]string, len(todo))
	var wg sync.WaitGroup
	var progressMu sync.Mutex
	for i, p := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pl, err := resolvePlatform(ctx, m, p, opts, func(s string) { notes[i] = append(notes[i], s) })
			if err != nil {
				errs[i] = &PlatformError{Platform: p, Err: err}
				return
			}
			results[i] = pl
			if opts.Progress != nil {
				progressMu.Lock()
				defer progressMu.Unlock()
				opts.Progress(p, len(pl.Packages))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if opts.Note != nil {
		for i, p := range todo {
			for _, n := range notes[i] {
				opts.Note(fmt.Sprintf("%s: %s", p, n))
			}
		}
	}
	l.Platforms = results
	// Platforms not re-resolved keep what the previous lock had.
	if opts.Previous != nil && len(opts.Platforms) > 0 {
		for _, p := range m.Platforms {
			if !slices.Contains(todo, p) {
				if prev := opts.Previous.Platform(string(p)); prev != nil {
					l.Platforms = append(l.Platforms, prev)
				}
			}
		}
	}
	l.Canonicalize()
	return l, nil
}

func resolvePlatform(ctx context.Context, m *spec.Manifest, p platform.Platform, opts Options, note func(string)) (*lockfile.Platform, error) {
	var specs []*matchspec.MatchSpec
	for _, d := range m.DependenciesFor(p) {
		specs = append(specs, d.Spec)
	}
	virt := virtual.For(p, m.System)
	var locked []*repodata.Record
	if opts.Previous != nil && !opts.UpdateAll {
		if prev := opts.Previous.Platform(string(p)); prev != nil {
			for _, pk := range prev.Packages {
				if !slices.Contains(opts.Update, pk.Name) {
					locked = append(locked, pk.Record())
				}
			}
		}
	}
	var idx solve.Index
	if opts.Index != nil {
		var roots []string
		for _, ms := range specs {
			roots = append(roots, ms.Name)
		}
		for _, r := range locked {
			roots = append(roots, r.Name)
		}
		li, err := opts.Index(ctx, p, roots)
		if err != nil {
			return nil, err
		}
		idx = withLocked(li, locked)
	} else {
		recs, err := opts.Source(ctx, p)
		if err != nil {
			return nil, err
		}
		have := make(map[string]bool, len(recs))
		for _, r := range recs {
			have[r.URL] = true
		}
		for _, r := range locked {
			// A locked build the channel no longer lists can still be
			// kept: the lock holds all it takes to install it.
			if !have[r.URL] {
				recs = append(recs, r)
			}
		}
		idx = solve.NewIndex(recs)
	}
	var names []string
	for _, c := range opts.Channels {
		names = append(names, matchspec.CanonicalChannel(c.URL))
	}
	sol, err := solve.Solve(ctx, &solve.Problem{
		Index:    idx,
		Specs:    specs,
		Virtual:  virtual.Records(virt),
		Channels: names,
		Flexible: m.ChannelPriority == "flexible",
		Locked:   locked,
	})
	if err != nil {
		return nil, err
	}
	pl := lockfile.NewPlatform(string(p), virt, specs, sol.Records)
	if pl.PyPI, err = resolvePyPI(ctx, m, p, opts, sol.Records, note); err != nil {
		return nil, err
	}
	return pl, nil
}

// Header is a lock with no platforms yet: the manifest's name, hash,
// variables and kernel, and the channels it resolves against. Resolve
// and imports of other tools' locks start from it.
func Header(m *spec.Manifest, channels []lockfile.Channel) *lockfile.Lock {
	l := &lockfile.Lock{
		Version:         lockfile.FormatVersion,
		Name:            m.Name,
		Manifest:        lockfile.Manifest{SHA256: m.Hash()},
		Channels:        channels,
		ChannelPriority: m.ChannelPriority,
	}
	if len(m.Env) > 0 {
		l.Env = m.Env
	}
	if k := m.Kernel; k != nil {
		l.Kernel = &lockfile.Kernel{Name: k.Name, DisplayName: k.DisplayName}
		if len(k.Env) > 0 {
			l.Kernel.Env = k.Env
		}
	}
	return l
}

// lockedIndex adds to an index the locked records its channels no
// longer list: a locked build can be kept, since the lock holds all it
// takes to install it.
type lockedIndex struct {
	idx    solve.Index
	locked map[string][]*repodata.Record
}

func withLocked(idx solve.Index, locked []*repodata.Record) solve.Loader {
	l := &lockedIndex{idx: idx, locked: map[string][]*repodata.Record{}}
	for _, r := range locked {
		l.locked[r.Name] = append(l.locked[r.Name], r)
	}
	return l
}

func (l *lockedIndex) Records(name string) []*repodata.Record {
	recs, _ := l.Load(context.Background(), name)
	return recs
}

func (l *lockedIndex) Load(ctx context.Context, name string) ([]*repodata.Record, error) {
	var recs []*repodata.Record
	if ld, ok := l.idx.(solve.Loader); ok {
		var err error
		if recs, err = ld.Load(ctx, name); err != nil {
			return nil, err
		}
	} else {
		recs = l.idx.Records(name)
	}
	extra := l.locked[name]
	if len(extra) == 0 {
		return recs, nil
	}
	out := slices.Clip(recs) // the index's slice is shared: append copies
	for _, r := range extra {
		if !slices.ContainsFunc(recs, func(c *repodata.Record) bool { return c.URL == r.URL }) {
			out = append(out, r)
		}
	}
	return out, nil
}
