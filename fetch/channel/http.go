package channel

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/internal/atomicfile"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
)

// A Client fetches repodata from channels over HTTP(S) and the file
// system, with an on-disk cache revalidated like a browser's: ETag and
// Last-Modified for conditional requests, Cache-Control max-age for
// freshness. The zero Client is not usable; see NewClient.
type Client struct {
	// HTTP does the requests.
	HTTP *http.Client
	// CacheDir holds cached repodata (one file and one .meta per URL).
	CacheDir string
	// Offline uses only the cache (and local channels).
	Offline bool
	// Mirrors maps a channel URL prefix to mirror prefixes, tried in
	// order before the original.
	Mirrors map[string][]string
	// Tokens maps a host to a bearer token sent to it.
	Tokens map[string]string
	// Netrc holds basic-auth credentials by host (from ~/.netrc).
	Netrc map[string][2]string
	// Retries is how many times a failed request (5xx, timeout, reset)
	// is tried again; Backoff is the first wait, doubled each time.
	Retries int
	Backoff time.Duration
	// Now is the clock, for tests.
	Now func() time.Time
}

// NewClient returns a client caching under cacheDir, configured from the
// environment through getenv:
//
//	ENVLOCK_OFFLINE=1                       use only the cache
//	ENVLOCK_MIRRORS="PREFIX=M1,M2;PREFIX2=M3" mirrors for channel URL prefixes
//	ENVLOCK_TOKENS="host=token;host2=token2"  bearer tokens by host
//	NETRC (default ~/.netrc)                 basic auth by host
func NewClient(cacheDir string, getenv func(string) string) *Client {
	c := &Client{
		HTTP:     &http.Client{Timeout: 5 * time.Minute},
		CacheDir: cacheDir,
		Mirrors:  map[string][]string{},
		Tokens:   map[string]string{},
		Retries:  3,
		Backoff:  500 * time.Millisecond,
		Now:      time.Now,
	}
	if v := getenv("ENVLOCK_OFFLINE"); v != "" && v != "0" && v != "false" {
		c.Offline = true
	}
	for _, entry := range strings.Split(getenv("ENVLOCK_MIRRORS"), ";") {
		prefix, mirrors, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok {
			continue
		}
		for _, m := range strings.Split(mirrors, ",") {
			if m = strings.TrimSpace(m); m != "" {
				c.Mirrors[strings.TrimRight(prefix, "/")] = append(c.Mirrors[strings.TrimRight(prefix, "/")], strings.TrimRight(m, "/"))
			}
		}
	}
	for _, entry := range strings.Split(getenv("ENVLOCK_TOKENS"), ";") {
		if host, tok, ok := strings.Cut(strings.TrimSpace(entry), "="); ok {
			c.Tokens[host] = tok
		}
	}
	netrc := getenv("NETRC")
	if netrc == "" {
		if home := getenv("HOME"); home != "" {
			netrc = filepath.Join(home, ".netrc")
		}
	}
	if netrc != "" {
		c.Netrc = readNetrc(netrc)
	}
	return c
}

// readNetrc reads machine/login/password triples; a missing or unreadable
// file gives none.
func readNetrc(path string) map[string][2]string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	out := map[string][2]string{}
	f := strings.Fields(string(data))
	var machine, login, password string
	flush := func() {
		if machine != "" {
			out[machine] = [2]string{login, password}
		}
		machine, login, password = "", "", ""
	}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case "machine":
			flush()
			if i+1 < len(f) {
				machine = f[i+1]
				i++
			}
		case "login":
			if i+1 < len(f) {
				login = f[i+1]
				i++
			}
		case "password":
			if i+1 < len(f) {
				password = f[i+1]
				i++
			}
		case "default":
			flush()
		}
	}
	flush()
	return out
}

// An HTTPError is a response that ended the attempt to get a URL.
type HTTPError struct {
	URL    string // without credentials
	Status int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// ErrOffline is wrapped by errors for data that is not cached when
// working offline.
var ErrOffline = errors.New("not in the cache and working offline")

// LoadAll reads the platform's subdirs of every channel in parallel and
// returns the records channel by channel, in the channels' order.
func (c *Client) LoadAll(ctx context.Context, chans []Channel, p platform.Platform) ([]*repodata.Record, error) {
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
	results := make([]*repodata.Repodata, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for k, j := range jobs {
		wg.Add(1)
		go func(k int, j job) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[k], errs[k] = c.Subdir(ctx, chans[j.ch], j.sub)
		}(k, j)
	}
	wg.Wait()
	var all []*repodata.Record
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
				all = append(all, results[k].Records...)
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
	return all, nil
}

// Subdir reads one subdir of a channel: from the file system for local
// channels, else over HTTP through the cache.
func (c *Client) Subdir(ctx context.Context, ch Channel, sub platform.Platform) (*repodata.Repodata, error) {
	if ch.IsLocal() {
		rd, err := LoadSubdir(ch, sub)
		var nf *NotFoundError
		if errors.As(err, &nf) {
			if srd, serr := c.allShards(ctx, ch, sub); serr == nil {
				return srd, nil
			}
		}
		return rd, err
	}
	base := ch.SubdirURL(sub)
	var tried []string
	var lastErr error
	for _, prefix := range c.candidates(base) {
		for _, name := range []string{"repodata.json.zst", "repodata.json"} {
			u := prefix + "/" + name
			data, err := c.get(ctx, u)
			if err == nil {
				if strings.HasSuffix(name, ".zst") {
					dec, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
					data, err = dec.DecodeAll(data, nil)
					dec.Close()
					if err != nil {
						return nil, fmt.Errorf("%s: not valid zstd: %v", redact(u), err)
					}
				}
				rd, err := repodata.Parse(data)
				if err != nil {
					return nil, fmt.Errorf("%s: %w (the server sent something that is not repodata)", redact(u), err)
				}
				Resolve(ch, sub, rd)
				return rd, nil
			}
			tried = append(tried, redact(u))
			lastErr = err
			var he *HTTPError
			if errors.As(err, &he) && he.Status == http.StatusNotFound {
				continue // try .json after .zst, then the next mirror
			}
			if errors.Is(err, ErrOffline) {
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	if skippable(lastErr) {
		// No repodata.json: a channel may serve CEP-16 shards only.
		rd, err := c.allShards(ctx, ch, sub)
		if err == nil {
			return rd, nil
		}
		var nf *NotFoundError
		if !errors.As(err, &nf) && !errors.Is(err, ErrOffline) {
			return nil, err
		}
	}
	var he *HTTPError
	if errors.As(lastErr, &he) && he.Status == http.StatusNotFound {
		return nil, &NotFoundError{Channel: ch, Subdir: sub, Where: redact(base)}
	}
	if errors.Is(lastErr, ErrOffline) {
		return nil, fmt.Errorf("channel %s, %s: %w (tried %s); run once with network access to fill the cache", ch.Given, sub, ErrOffline, strings.Join(tried, ", "))
	}
	return nil, fmt.Errorf("channel %s, %s: %w", ch.Given, sub, lastErr)
}

// allShards reads every shard of a subdir that serves CEP-16 shards,
// for callers that want all of a subdir's records (search, solve);
// locks read only the shards they need through a Gateway.
func (c *Client) allShards(ctx context.Context, ch Channel, sub platform.Platform) (*repodata.Repodata, error) {
	g := NewGateway(c)
	defer g.Close()
	s, err := g.open(ctx, ch, sub)
	if err != nil {
		return nil, err
	}
	if s.kind != kindShards {
		return nil, &NotFoundError{Channel: ch, Subdir: sub, Where: redact(ch.SubdirURL(sub))}
	}
	names := make([]string, 0, len(s.index.Shards))
	for n := range s.index.Shards {
		names = append(names, n)
	}
	sort.Strings(names)
	recs := make([][]*repodata.Record, len(names))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(prefetchLimit)
	for i, n := range names {
		eg.Go(func() error {
			var err error
			recs[i], err = g.load(ectx, s, n)
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	rd := &repodata.Repodata{Info: repodata.Info{Subdir: s.index.Subdir, BaseURL: s.index.BaseURL}, Version: s.index.Version}
	for _, r := range recs {
		rd.Records = append(rd.Records, r...)
	}
	return rd, nil
}

// candidates returns the URL prefixes to try for base: mirrors first,
// then the original.
func (c *Client) candidates(base string) []string {
	var out []string
	best := ""
	for prefix := range c.Mirrors {
		if (base == prefix || strings.HasPrefix(base, prefix+"/")) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best != "" {
		for _, m := range c.Mirrors[best] {
			out = append(out, m+strings.TrimPrefix(base, best))
		}
	}
	return append(out, base)
}

// cacheMeta is what the cache remembers about a URL.
type cacheMeta struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	MaxAge       int64     `json:"max_age,omitempty"` // seconds
	Fetched      time.Time `json:"fetched"`
}

func (c *Client) cachePaths(u string) (data, meta string) {
	sum := sha256.Sum256([]byte(u))
	name := hex.EncodeToString(sum[:12])
	dir := filepath.Join(c.CacheDir, "repodata")
	return filepath.Join(dir, name), filepath.Join(dir, name+".meta")
}

// Get returns the body of u through the cache, as repodata is read:
// fresh cached bytes as they are, stale ones revalidated with a
// conditional request, only the cache when offline. accept, when not
// empty, is sent as the Accept header (PEP 691 content negotiation);
// fetch/pypi reads index pages with it.
func (c *Client) Get(ctx context.Context, u, accept string) ([]byte, error) {
	return c.getWith(ctx, u, accept)
}

// Authorize adds the credentials the client knows for req's host (a
// bearer token, else basic auth from ~/.netrc), for requests made
// outside Get and Open.
func (c *Client) Authorize(req *http.Request) { c.authorize(req) }

// get returns the body of u, from the cache when it is fresh, else with
// a conditional request.
func (c *Client) get(ctx context.Context, u string) ([]byte, error) {
	return c.getWith(ctx, u, "")
}

func (c *Client) getWith(ctx context.Context, u, accept string) ([]byte, error) {
	b, _, err := c.getFrom(ctx, u, accept)
	return b, err
}

// origin says where a response body came from.
type origin int

const (
	fromNetwork   origin = iota // a 200 response
	fromCache                   // fresh, offline, or revalidated with a 304
	fromLocalFile               // a file:// channel
)

// getFrom is getWith, also saying where the bytes came from.
func (c *Client) getFrom(ctx context.Context, u, accept string) ([]byte, origin, error) {
	if isOCI(u) {
		b, err := c.ociGet(ctx, u) // oci.go
		return b, fromNetwork, err
	}
	dataPath, metaPath := c.cachePaths(u)
	var meta cacheMeta
	cached, derr := os.ReadFile(dataPath)
	if mb, err := os.ReadFile(metaPath); err == nil && derr == nil {
		if json.Unmarshal(mb, &meta) != nil || meta.URL != u {
			cached, meta = nil, cacheMeta{}
		}
	} else {
		cached = nil
	}
	if c.Offline {
		if cached == nil {
			return nil, 0, fmt.Errorf("%s: %w", redact(u), ErrOffline)
		}
		return cached, fromCache, nil
	}
	if cached != nil && meta.MaxAge > 0 && c.Now().Sub(meta.Fetched) < time.Duration(meta.MaxAge)*time.Second {
		return cached, fromCache, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if cached != nil {
		if meta.ETag != "" {
			req.Header.Set("If-None-Match", meta.ETag)
		}
		if meta.LastModified != "" {
			req.Header.Set("If-Modified-Since", meta.LastModified)
		}
	}
	c.authorize(req)
	resp, body, err := c.do(req)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		meta.Fetched = c.Now()
		meta.MaxAge = maxAge(resp.Header, meta.MaxAge)
		c.writeMeta(metaPath, meta)
		return cached, fromCache, nil
	case resp.StatusCode == http.StatusOK:
		meta = cacheMeta{
			URL:          u,
			ETag:         resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"),
			MaxAge:       maxAge(resp.Header, 0),
			Fetched:      c.Now(),
		}
		if err := writeAtomic(dataPath, body); err == nil {
			c.writeMeta(metaPath, meta)
		}
		return body, fromNetwork, nil
	}
	return nil, 0, &HTTPError{URL: redact(u), Status: resp.StatusCode}
}

func maxAge(h http.Header, def int64) int64 {
	for _, d := range strings.Split(h.Get("Cache-Control"), ",") {
		d = strings.TrimSpace(d)
		if v, ok := strings.CutPrefix(d, "max-age="); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
		if d == "no-cache" || d == "no-store" {
			return 0
		}
	}
	return def
}

func (c *Client) writeMeta(path string, m cacheMeta) {
	b, _ := json.Marshal(m)
	writeAtomic(path, b)
}

func writeAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data, 0o644) }

// authorize adds credentials for the request's host: a bearer token from
// Tokens, else basic auth from the URL or ~/.netrc.
func (c *Client) authorize(req *http.Request) {
	host := req.URL.Hostname()
	if tok, ok := c.Tokens[host]; ok {
		req.Header.Set("Authorization", "Bearer "+tok)
		return
	}
	if req.URL.User != nil {
		return // net/http sends URL credentials as basic auth
	}
	if cred, ok := c.Netrc[host]; ok {
		req.SetBasicAuth(cred[0], cred[1])
	}
}

// do sends req, retrying server errors and network failures with
// exponential backoff and jitter. The body is read fully.
func (c *Client) do(req *http.Request) (*http.Response, []byte, error) {
	wait := c.Backoff
	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, err := c.HTTP.Do(req)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(bufio.NewReader(resp.Body))
			resp.Body.Close()
			if err == nil && resp.StatusCode < 500 {
				return resp, body, nil
			}
			if err == nil {
				lastErr = &HTTPError{URL: redact(req.URL.String()), Status: resp.StatusCode}
			} else {
				lastErr = fmt.Errorf("GET %s: %v", redact(req.URL.String()), err)
			}
		} else {
			lastErr = fmt.Errorf("GET %s: %v", redact(req.URL.String()), unwrapURLError(err))
		}
		if attempt >= c.Retries || req.Context().Err() != nil {
			if req.Context().Err() != nil {
				return nil, nil, req.Context().Err()
			}
			return nil, nil, fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt+1)
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/2 + 1))
		select {
		case <-time.After(wait + jitter):
		case <-req.Context().Done():
			return nil, nil, req.Context().Err()
		}
		wait *= 2
	}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact drops credentials from a URL for messages; tokens in paths
// (conda's /t/<token>/ form) are masked too.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	hadUser := p.User != nil
	p.User = nil
	parts := strings.Split(p.Path, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "t" && len(parts[i+1]) > 8 {
			parts[i+1] = "***"
		}
	}
	p.Path = strings.Join(parts, "/")
	out := p.String()
	if hadUser {
		out = strings.Replace(out, "://", "://***@", 1)
	}
	return out
}

// Open starts a GET of u from byte offset (0 for all), trying mirrors
// first, with credentials and retries on server errors and network
// failures. The caller reads and closes the body; a 206 response means
// the server honoured the offset. Errors name the URL without
// credentials.
func (c *Client) Open(ctx context.Context, u string, offset int64) (*http.Response, error) {
	var lastErr error
	for _, cand := range c.candidates(u) {
		if c.Offline {
			return nil, fmt.Errorf("%s: %w", redact(u), ErrOffline)
		}
		if isOCI(cand) {
			resp, err := c.ociOpen(ctx, cand) // oci.go
			if err == nil {
				return resp, nil
			}
			lastErr = err
			continue
		}
		wait := c.Backoff
		for attempt := 0; ; attempt++ {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, cand, nil)
			if err != nil {
				return nil, err
			}
			if offset > 0 {
				req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
			}
			c.authorize(req)
			resp, err := c.HTTP.Do(req)
			if err == nil && resp.StatusCode < 500 {
				if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent {
					return resp, nil
				}
				resp.Body.Close()
				lastErr = &HTTPError{URL: redact(cand), Status: resp.StatusCode}
				break // a 4xx will not change: next mirror
			}
			if err == nil {
				resp.Body.Close()
				lastErr = &HTTPError{URL: redact(cand), Status: resp.StatusCode}
			} else {
				lastErr = fmt.Errorf("GET %s: %v", redact(cand), unwrapURLError(err))
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if attempt >= c.Retries {
				lastErr = fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt+1)
				break
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			wait *= 2
		}
	}
	return nil, lastErr
}

// Redact returns u without credentials, for messages.
func Redact(u string) string { return redact(u) }
