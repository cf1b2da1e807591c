package channel

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/envlock/envlock/fetch/shards"
	"github.com/envlock/envlock/internal/atomicfile"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
)

// A Gateway reads channels' records name by name, whatever a subdir
// serves: CEP-16 shards (only the shards of the names asked for, and of
// the names their records depend on, are fetched), or a repodata.json
// indexed once and decoded per name (see repodata.Skim). Local channels
// are read the same way from disk.
//
// A subdir is opened once per Gateway; records of a name are loaded once
// and shared by every Index over that subdir, so they must be treated as
// read-only. Close releases the memory maps.
type Gateway struct {
	c *Client
	// NoShards ignores shard indexes: repodata.json is read instead.
	NoShards bool
	// Rewrite, when set, adjusts each record once as it is loaded (the
	// CLI writes a project's local channels relative to the project).
	Rewrite func(ch Channel, r *repodata.Record)

	mu      sync.Mutex
	subdirs map[string]*subdir

	stats struct {
		shardIndexNet, shardIndexCache, shardIndexLocal           atomic.Int64
		shardIndexNetBytes, shardIndexCacheBytes                  atomic.Int64
		shardsNet, shardsCache, shardsLocal                       atomic.Int64
		shardsNetBytes, shardsCacheBytes, shardsLocalBytes        atomic.Int64
		jsonNet, jsonCache, jsonLocal                             atomic.Int64
		jsonNetBytes, jsonCacheBytes, jsonLocalBytes, jsonRecords atomic.Int64
		names, records                                            atomic.Int64
	}
}

// NewGateway returns a gateway reading through c (its cache, mirrors,
// credentials and offline setting).
func NewGateway(c *Client) *Gateway {
	return &Gateway{c: c, subdirs: map[string]*subdir{}}
}

// Stats count what a gateway read and from where.
type Stats struct {
	// ShardIndexes are shard indexes read: from the network (a 200),
	// from the cache (fresh, offline or revalidated with a 304), or from
	// local channels.
	ShardIndexesNetwork, ShardIndexesCache, ShardIndexesLocal int64
	ShardIndexBytesNetwork, ShardIndexBytesCache              int64
	// Shards are shards read, likewise, with their compressed sizes.
	ShardsNetwork, ShardsCache, ShardsLocal             int64
	ShardBytesNetwork, ShardBytesCache, ShardBytesLocal int64
	// Repodata are repodata.json(.zst) files read, with their sizes as
	// stored (compressed when .zst) and how many records they index.
	RepodataNetwork, RepodataCache, RepodataLocal                int64
	RepodataBytesNetwork, RepodataBytesCache, RepodataBytesLocal int64
	RepodataRecords                                              int64
	// Names is how many (subdir, name) pairs were loaded; Records how
	// many records they held.
	Names, Records int64
}

// Stats returns what the gateway has read so far.
func (g *Gateway) Stats() Stats {
	s := &g.stats
	return Stats{
		ShardIndexesNetwork: s.shardIndexNet.Load(), ShardIndexesCache: s.shardIndexCache.Load(), ShardIndexesLocal: s.shardIndexLocal.Load(),
		ShardIndexBytesNetwork: s.shardIndexNetBytes.Load(), ShardIndexBytesCache: s.shardIndexCacheBytes.Load(),
		ShardsNetwork: s.shardsNet.Load(), ShardsCache: s.shardsCache.Load(), ShardsLocal: s.shardsLocal.Load(),
		ShardBytesNetwork: s.shardsNetBytes.Load(), ShardBytesCache: s.shardsCacheBytes.Load(), ShardBytesLocal: s.shardsLocalBytes.Load(),
		RepodataNetwork: s.jsonNet.Load(), RepodataCache: s.jsonCache.Load(), RepodataLocal: s.jsonLocal.Load(),
		RepodataBytesNetwork: s.jsonNetBytes.Load(), RepodataBytesCache: s.jsonCacheBytes.Load(), RepodataBytesLocal: s.jsonLocalBytes.Load(),
		RepodataRecords: s.jsonRecords.Load(),
		Names:           s.names.Load(), Records: s.records.Load(),
	}
}

// Close releases the gateway's memory maps. Records already loaded stay
// valid; loading more fails.
func (g *Gateway) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.subdirs {
		s.close()
	}
	return nil
}

type subdirKind int

const (
	kindMissing subdirKind = iota
	kindShards
	kindJSON
)

// A subdir is one channel subdir opened by a gateway.
type subdir struct {
	ch  Channel
	sub platform.Platform

	once sync.Once
	err  error
	kind subdirKind

	// kindShards
	indexURL string
	index    *shards.Index
	base     string // where packages live, ending in "/"

	// kindJSON
	lazy  *repodata.Lazy
	unmap func()

	mu     sync.Mutex
	closed bool
	names  map[string]*nameLoad
}

type nameLoad struct {
	done chan struct{}
	recs []*repodata.Record
	err  error
}

func (s *subdir) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unmap != nil && !s.closed {
		s.unmap()
	}
	s.closed = true
}

// open returns the gateway's subdir of ch, opening it on first use.
func (g *Gateway) open(ctx context.Context, ch Channel, sub platform.Platform) (*subdir, error) {
	key := ch.URL + "/" + string(sub)
	g.mu.Lock()
	s := g.subdirs[key]
	if s == nil {
		s = &subdir{ch: ch, sub: sub, names: map[string]*nameLoad{}}
		g.subdirs[key] = s
	}
	g.mu.Unlock()
	s.once.Do(func() { s.err = g.openSubdir(ctx, s) })
	return s, s.err
}

func (g *Gateway) openSubdir(ctx context.Context, s *subdir) error {
	if s.ch.IsLocal() {
		return g.openLocal(s)
	}
	base := s.ch.SubdirURL(s.sub)
	var tried []string
	var lastErr error
	for _, prefix := range g.c.candidates(base) {
		if !g.NoShards {
			u := prefix + "/" + shards.IndexFile
			data, from, err := g.c.getFrom(ctx, u, "")
			if err == nil {
				if from == fromNetwork {
					g.stats.shardIndexNet.Add(1)
					g.stats.shardIndexNetBytes.Add(int64(len(data)))
				} else {
					g.stats.shardIndexCache.Add(1)
					g.stats.shardIndexCacheBytes.Add(int64(len(data)))
				}
				return g.useIndex(s, u, data)
			}
			// Any 4xx means no shards here: S3-style hosts answer 403
			// for a missing key. repodata.json is tried next, and its
			// answer is the one reported.
			var he *HTTPError
			if !skippable(err) && !(errors.As(err, &he) && he.Status >= 400 && he.Status < 500) {
				return g.subdirErr(ctx, s, err)
			}
			tried = append(tried, redact(u))
			lastErr = err
		}
		for _, name := range []string{"repodata.json.zst", "repodata.json"} {
			u := prefix + "/" + name
			path, from, err := g.c.cachedFile(ctx, u)
			if err == nil {
				if strings.HasSuffix(name, ".zst") {
					zpath := path
					if path, err = decompressedFile(zpath, zpath+".json"); err != nil {
						return fmt.Errorf("%s: %w", redact(u), err)
					}
					g.countJSON(from, zpath)
				} else {
					g.countJSON(from, path)
				}
				return g.useJSON(s, path, redact(u), "the server sent something that is not repodata")
			}
			var he *HTTPError
			forbiddenZst := strings.HasSuffix(name, ".zst") && errors.As(err, &he) && he.Status == http.StatusForbidden
			if !skippable(err) && !forbiddenZst {
				return g.subdirErr(ctx, s, err)
			}
			tried = append(tried, redact(u))
			lastErr = err
		}
	}
	var he *HTTPError
	if errors.As(lastErr, &he) && he.Status == http.StatusNotFound {
		return &NotFoundError{Channel: s.ch, Subdir: s.sub, Where: redact(base)}
	}
	if errors.Is(lastErr, ErrOffline) {
		return fmt.Errorf("channel %s, %s: %w (tried %s); run once with network access to fill the cache", s.ch.Given, s.sub, ErrOffline, strings.Join(tried, ", "))
	}
	return g.subdirErr(ctx, s, lastErr)
}

// skippable reports whether err means "try the next file": not there,
// or not cached while offline.
func skippable(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.Status == http.StatusNotFound || errors.Is(err, ErrOffline)
}

func (g *Gateway) subdirErr(ctx context.Context, s *subdir, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("channel %s, %s: %w", s.ch.Given, s.sub, err)
}

func (g *Gateway) countJSON(from origin, path string) {
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	switch from {
	case fromNetwork:
		g.stats.jsonNet.Add(1)
		g.stats.jsonNetBytes.Add(size)
	case fromCache:
		g.stats.jsonCache.Add(1)
		g.stats.jsonCacheBytes.Add(size)
	default:
		g.stats.jsonLocal.Add(1)
		g.stats.jsonLocalBytes.Add(size)
	}
}

func (g *Gateway) openLocal(s *subdir) error {
	dir := filepath.Join(s.ch.Dir(), string(s.sub))
	if !g.NoShards {
		p := filepath.Join(dir, shards.IndexFile)
		data, err := os.ReadFile(p)
		if err == nil {
			g.stats.shardIndexLocal.Add(1)
			return g.useIndex(s, fileURL(p), data)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	p := filepath.Join(dir, "repodata.json")
	if _, err := os.Stat(p); err == nil {
		g.countJSON(fromLocalFile, p)
		return g.useJSON(s, p, p, "the file is corrupt or not repodata; re-download or regenerate it")
	}
	zp := p + ".zst"
	if _, err := os.Stat(zp); errors.Is(err, fs.ErrNotExist) {
		return &NotFoundError{Channel: s.ch, Subdir: s.sub, Where: dir}
	} else if err != nil {
		return err
	}
	g.countJSON(fromLocalFile, zp)
	// Decompressed once into the cache (redone when the .zst is newer),
	// then mapped like any repodata.json.
	sum := sha256.Sum256([]byte(fileURL(zp)))
	out := filepath.Join(g.c.CacheDir, "repodata", fmt.Sprintf("%x.local.json", sum[:12]))
	path, err := decompressedFile(zp, out)
	if err != nil {
		return err
	}
	return g.useJSON(s, path, zp, "the file is corrupt or not repodata; re-download or regenerate it")
}

func (g *Gateway) useIndex(s *subdir, indexURL string, data []byte) error {
	idx, err := shards.ParseIndex(data)
	if err != nil {
		return fmt.Errorf("%s: %w (the server sent a damaged shard index)", redact(indexURL), err)
	}
	base, err := shards.PackageBase(indexURL, idx)
	if err != nil {
		return err
	}
	s.kind, s.indexURL, s.index, s.base = kindShards, indexURL, idx, base
	return nil
}

func (g *Gateway) useJSON(s *subdir, path, what, hint string) error {
	data, release, unmap, err := mapFile(path)
	if err != nil {
		return err
	}
	// A repodata.json already indexed (same path, size and modification
	// time) is not skimmed again: its saved index is read instead.
	idxPath := g.lazyIndexPath(path)
	if idxPath != "" {
		if saved, err := os.ReadFile(idxPath); err == nil {
			if l, err := repodata.UnmarshalIndex(data, saved); err == nil {
				s.kind, s.lazy, s.unmap = kindJSON, l, unmap
				g.stats.jsonRecords.Add(int64(l.Len()))
				return nil
			}
		}
	}
	l, err := repodata.Skim(data, release)
	if err != nil {
		unmap()
		return fmt.Errorf("%s: %w (%s)", what, err, hint)
	}
	if idxPath != "" {
		// Best effort: without it the next run skims again.
		atomicfile.WriteFile(idxPath, l.MarshalIndex(), 0o644)
	}
	s.kind, s.lazy, s.unmap = kindJSON, l, unmap
	g.stats.jsonRecords.Add(int64(l.Len()))
	return nil
}

// lazyIndexPath returns where the saved index of the repodata.json at
// path lives in the cache: named by the path, size and modification
// time, so a changed file is indexed afresh. "" when there is no cache
// directory or the file cannot be read.
func (g *Gateway) lazyIndexPath(path string) string {
	fi, err := os.Stat(path)
	if err != nil || g.c.CacheDir == "" {
		return ""
	}
	abs, _ := filepath.Abs(path)
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", abs, fi.Size(), fi.ModTime().UnixNano()))
	return filepath.Join(g.c.CacheDir, "repodata", fmt.Sprintf("%x.lazyidx", sum[:12]))
}

// load returns the records of name in s, loading them once.
func (g *Gateway) load(ctx context.Context, s *subdir, name string) ([]*repodata.Record, error) {
	if s.kind == kindMissing {
		return nil, nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("channel %s, %s: read after the gateway was closed", s.ch.Given, s.sub)
	}
	nl := s.names[name]
	if nl != nil {
		s.mu.Unlock()
		select {
		case <-nl.done:
			return nl.recs, nl.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	nl = &nameLoad{done: make(chan struct{})}
	s.names[name] = nl
	s.mu.Unlock()
	nl.recs, nl.err = g.loadName(ctx, s, name)
	if nl.err != nil && ctx.Err() != nil {
		// A cancelled load is not remembered: another caller may retry.
		s.mu.Lock()
		delete(s.names, name)
		s.mu.Unlock()
	}
	close(nl.done)
	return nl.recs, nl.err
}

func (g *Gateway) loadName(ctx context.Context, s *subdir, name string) ([]*repodata.Record, error) {
	var recs []*repodata.Record
	base := s.ch.SubdirURL(s.sub) + "/"
	switch s.kind {
	case kindJSON:
		if !s.lazy.Has(name) {
			return nil, nil
		}
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return nil, fmt.Errorf("channel %s, %s: read after the gateway was closed", s.ch.Given, s.sub)
		}
		var err error
		if recs, err = s.lazy.Records(name); err != nil {
			return nil, fmt.Errorf("channel %s, %s: %w (the repodata is damaged; re-download or regenerate it)", s.ch.Given, s.sub, err)
		}
		base = resolveBase(base, s.lazy.Info.BaseURL)
	case kindShards:
		h, ok := s.index.Shards[name]
		if !ok {
			return nil, nil
		}
		data, err := g.shard(ctx, s, h)
		if err != nil {
			return nil, err
		}
		sh, err := shards.ParseShard(data, h, name, string(s.sub))
		if err != nil {
			return nil, fmt.Errorf("channel %s, %s: %w", s.ch.Given, s.sub, err)
		}
		recs, base = sh.Records, s.base
	}
	for _, r := range recs {
		r.Channel = s.ch.URL
		r.URL = base + url.PathEscape(r.Fn)
		if g.Rewrite != nil {
			g.Rewrite(s.ch, r)
		}
	}
	g.stats.names.Add(1)
	g.stats.records.Add(int64(len(recs)))
	return recs, nil
}

// resolveBase resolves a CEP-15 base_url against the subdir URL.
func resolveBase(subdirURL, baseURL string) string {
	base := subdirURL
	if baseURL != "" {
		if u, err := url.Parse(baseURL); err == nil {
			if ref, err := url.Parse(subdirURL); err == nil {
				base = ref.ResolveReference(u).String()
			}
		}
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
	}
	return base
}

// shard returns the compressed bytes of the shard h of s: from the
// channel's directory for a local channel, else from the content-
// addressed cache, else from the server (then cached; shards never
// change, so a cached one is never revalidated).
func (g *Gateway) shard(ctx context.Context, s *subdir, h shards.Hash) ([]byte, error) {
	u, err := shards.ShardURL(s.indexURL, s.index, h)
	if err != nil {
		return nil, err
	}
	if s.ch.IsLocal() && strings.HasPrefix(u, "file://") {
		pu, err := url.Parse(u)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(filepath.FromSlash(pu.Path))
		if err != nil {
			return nil, fmt.Errorf("channel %s, %s: shard %s: %w", s.ch.Given, s.sub, h, err)
		}
		g.stats.shardsLocal.Add(1)
		g.stats.shardsLocalBytes.Add(int64(len(data)))
		return data, nil
	}
	path := filepath.Join(g.c.CacheDir, "shards", h.String()+".msgpack.zst")
	if data, err := os.ReadFile(path); err == nil {
		if shards.Hash(sha256.Sum256(data)) == h {
			g.stats.shardsCache.Add(1)
			g.stats.shardsCacheBytes.Add(int64(len(data)))
			return data, nil
		}
		os.Remove(path) // damaged in the cache: fetch it again
	}
	if g.c.Offline {
		return nil, fmt.Errorf("channel %s, %s: shard %s: %w; run once with network access to fill the cache", s.ch.Given, s.sub, redact(u), ErrOffline)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	g.c.authorize(req)
	resp, data, err := g.c.do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("channel %s, %s: %w", s.ch.Given, s.sub, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("channel %s, %s: shard of a listed package: %w", s.ch.Given, s.sub, &HTTPError{URL: redact(u), Status: resp.StatusCode})
	}
	g.stats.shardsNet.Add(1)
	g.stats.shardsNetBytes.Add(int64(len(data)))
	if shards.Hash(sha256.Sum256(data)) == h {
		// Only a shard that is what its name says goes into the cache;
		// ParseShard reports one that is not.
		if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
			return nil, fmt.Errorf("caching shard %s: %w", h, err)
		}
	}
	return data, nil
}
