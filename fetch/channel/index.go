package channel

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
)

// An Index is the records of some channels for one platform (its subdir
// and noarch), loaded name by name when first asked for. It is the
// solver's input (lock/solve.Loader): records of a name come channel
// after channel, in the channels' order.
type Index struct {
	g    *Gateway
	ctx  context.Context
	subs []*subdir

	mu  sync.Mutex
	err error
}

// Index opens the platform's subdirs of every channel, in parallel: the
// shard index, or an index of repodata.json. A channel must have the
// platform's subdir or noarch; a channel with neither is a
// *NotFoundError. ctx is used by Records, which has no context of its
// own.
func (g *Gateway) Index(ctx context.Context, chans []Channel, p platform.Platform) (*Index, error) {
	type job struct {
		ch  int
		sub platform.Platform
	}
	var jobs []job
	for i := range chans {
		for _, sub := range p.Subdirs() {
			jobs = append(jobs, job{i, sub})
		}
	}
	subs := make([]*subdir, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for k, j := range jobs {
		wg.Go(func() { subs[k], errs[k] = g.open(ctx, chans[j.ch], j.sub) })
	}
	wg.Wait()
	ix := &Index{g: g, ctx: ctx}
	for i := range chans {
		found := false
		var firstErr error
		for k, j := range jobs {
			if j.ch != i {
				continue
			}
			var nf *NotFoundError
			switch {
			case errs[k] == nil:
				found = true
				ix.subs = append(ix.subs, subs[k])
			case errors.As(errs[k], &nf):
				if firstErr == nil {
					firstErr = errs[k]
				}
			default:
				return nil, errs[k]
			}
		}
		if !found {
			return nil, firstErr
		}
	}
	return ix, nil
}

// Load returns the records named name from every channel, loading them
// on first use.
func (ix *Index) Load(ctx context.Context, name string) ([]*repodata.Record, error) {
	var out []*repodata.Record
	for _, s := range ix.subs {
		recs, err := ix.g.load(ctx, s, name)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// Records is Load with the context the Index was made with; an error
// gives no records and is kept for Err.
func (ix *Index) Records(name string) []*repodata.Record {
	recs, err := ix.Load(ix.ctx, name)
	if err != nil {
		ix.mu.Lock()
		if ix.err == nil {
			ix.err = err
		}
		ix.mu.Unlock()
		return nil
	}
	return recs
}

// Err returns the first error Records met.
func (ix *Index) Err() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.err
}

// Sharded reports whether any of the index's subdirs serves shards.
func (ix *Index) Sharded() bool {
	for _, s := range ix.subs {
		if s.kind == kindShards {
			return true
		}
	}
	return false
}

// prefetchLimit is how many shard requests are in flight at once.
const prefetchLimit = 64

// Prefetch loads the shards of names and, transitively, of every name
// their records depend on, many at once (CEP 16's fetch process), so the
// solver's later questions are answered from memory. Subdirs that serve
// repodata.json are left to load on demand: decoding a name there costs
// less than guessing which names will be needed. It returns the first
// error.
func (ix *Index) Prefetch(ctx context.Context, names []string) error {
	var sharded []*subdir
	for _, s := range ix.subs {
		if s.kind == kindShards {
			sharded = append(sharded, s)
		}
	}
	if len(sharded) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		seen     = map[string]bool{}
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, prefetchLimit)
	)
	var visit func(name string)
	visit = func(name string) {
		mu.Lock()
		if seen[name] || strings.HasPrefix(name, "__") || name == "" {
			mu.Unlock()
			return
		}
		seen[name] = true
		mu.Unlock()
		for _, s := range sharded {
			if _, ok := s.index.Shards[name]; !ok {
				continue
			}
			wg.Go(func() {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				recs, err := ix.g.load(ctx, s, name)
				<-sem
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					return
				}
				for _, dep := range depNames(recs) {
					visit(dep)
				}
			})
		}
	}
	for _, n := range names {
		visit(n)
	}
	wg.Wait()
	return firstErr
}

// depNames returns the package names the records' depends mention, each
// once. Only the name matters here, so a MatchSpec is not parsed: the
// name is what precedes the first space or operator, after an optional
// "channel::".
func depNames(recs []*repodata.Record) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range recs {
		for _, d := range r.Depends {
			n := depName(d)
			if n != "" && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

func depName(spec string) string {
	spec = strings.TrimSpace(spec)
	if i := strings.LastIndex(spec, "::"); i >= 0 {
		spec = spec[i+2:]
	}
	if i := strings.IndexAny(spec, " =<>!~[;"); i >= 0 {
		spec = spec[:i]
	}
	return strings.ToLower(spec)
}
