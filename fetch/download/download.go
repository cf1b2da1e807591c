// Package download fills the package cache with a lock's artifacts:
// several at a time, each checked against the lock's sha256 and size as
// it streams, retried with backoff, resumed with HTTP Range after a
// broken connection when the server allows, from mirrors when configured.
// Artifacts of a local channel (file:// or "./dir" relative to the lock)
// are copied from disk and checked the same way.
package download

import (
	"context"
	"errors"

	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/fetch/progress"
)

// A Fetcher downloads artifacts into a cache.
type Fetcher struct {
	Client *channel.Client
	Cache  *cache.Cache
	// Parallel bounds concurrent downloads (default 4).
	Parallel int
	// BaseDir resolves relative artifact URLs ("./channel/...").
	BaseDir string
	// Progress is told about bytes as they arrive.
	Progress progress.Reporter
}

// Fetch makes sure every artifact is in the cache, verified, and returns
// their paths in order. On error, nothing half-written stays in the cache.
func (f *Fetcher) Fetch(ctx context.Context, arts []cache.Artifact) ([]string, error) {
	paths := make([]string, len(arts))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, f.Parallel))
	if f.Parallel == 0 {
		g.SetLimit(4)
	}
	for i, a := range arts {
		if p, ok := f.Cache.Find(a); ok {
			paths[i] = p
			progress.Cached(f.progress(), a.Size)
			continue
		}
		g.Go(func() error {
			p, err := f.fetchOne(ctx, a)
			paths[i] = p
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return paths, nil
}

// FetchOne makes sure one artifact is in the cache and returns its path.
func (f *Fetcher) FetchOne(ctx context.Context, a cache.Artifact) (string, error) {
	if p, ok := f.Cache.Find(a); ok {
		progress.Cached(f.progress(), a.Size)
		return p, nil
	}
	return f.fetchOne(ctx, a)
}

func (f *Fetcher) progress() progress.Reporter {
	if f.Progress == nil {
		return progress.Discard
	}
	return f.Progress
}

func (f *Fetcher) fetchOne(ctx context.Context, a cache.Artifact) (string, error) {
	if a.SHA256 == "" {
		return "", fmt.Errorf("%s: the lock has no sha256 for it; re-lock with a channel that publishes sha256", a.Fn)
	}
	w, existing, err := f.Cache.Create(a)
	if err != nil {
		return "", err
	}
	if w == nil {
		progress.Cached(f.progress(), a.Size)
		return existing, nil
	}
	if err := f.copyInto(ctx, w, a); err != nil {
		w.Abort()
		return "", redactHashError(err)
	}
	p, err := w.Commit()
	return p, redactHashError(err)
}

// redactHashError drops credentials from the URL a *cache.HashError
// names: the error is printed.
func redactHashError(err error) error {
	var he *cache.HashError
	if errors.As(err, &he) {
		he.URL = channel.Redact(he.URL)
	}
	return err
}

// copyInto streams the artifact into w, resuming after broken
// connections.
func (f *Fetcher) copyInto(ctx context.Context, w *cache.Writer, a cache.Artifact) error {
	if path, ok := f.localPath(a.URL); ok {
		src, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Fn, err)
		}
		defer src.Close()
		_, err = io.Copy(w, &counting{r: src, p: f.progress()})
		return err // a *cache.HashError past the locked size
	}
	var lastErr error
	for attempt := 0; attempt <= f.Client.Retries+1; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		resp, err := f.Client.Open(ctx, a.URL, w.Written())
		if err != nil {
			return fmt.Errorf("downloading %s: %w", a.Fn, err)
		}
		if resp.StatusCode == http.StatusOK && w.Written() > 0 {
			// The server ignored the Range: start over.
			if err := w.Reset(); err != nil {
				resp.Body.Close()
				return err
			}
		}
		if a.Size > 0 && resp.ContentLength > a.Size-w.Written() {
			resp.Body.Close()
			return &cache.HashError{Fn: a.Fn, URL: channel.Redact(a.URL), Want: a.SHA256, Size: w.Written() + resp.ContentLength, Want2: a.Size}
		}
		_, err = io.Copy(w, &counting{r: resp.Body, p: f.progress()})
		resp.Body.Close()
		if err == nil {
			return nil
		}
		var he *cache.HashError
		if errors.As(err, &he) {
			return err // more than the locked size: retrying cannot help
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		lastErr = err
		time.Sleep(f.Client.Backoff << attempt)
	}
	return fmt.Errorf("downloading %s from %s: %v (connection kept failing)", a.Fn, channel.Redact(a.URL), lastErr)
}

// localPath maps file:// and relative URLs to a path.
func (f *Fetcher) localPath(u string) (string, bool) {
	switch {
	case strings.HasPrefix(u, "file://"):
		p, err := url.Parse(u)
		if err != nil {
			return "", false
		}
		return filepath.FromSlash(p.Path), true
	case strings.HasPrefix(u, "./") || strings.HasPrefix(u, "../"):
		p, err := url.PathUnescape(u)
		if err != nil {
			return "", false
		}
		return filepath.Join(f.BaseDir, filepath.FromSlash(p)), true
	}
	return "", false
}

type counting struct {
	r io.Reader
	p progress.Reporter
}

func (c *counting) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.p.Add(int64(n))
	}
	return n, err
}
