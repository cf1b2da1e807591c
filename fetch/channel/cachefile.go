package channel

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
)

// cachedFile is get for large bodies: it returns the path of u's body in
// the cache, revalidated as get revalidates, with a 200 response streamed
// to disk rather than held in memory. A conda-forge repodata.json is
// hundreds of MB; only its index is ever in memory.
func (c *Client) cachedFile(ctx context.Context, u string) (string, origin, error) {
	dataPath, metaPath := c.cachePaths(u)
	if isOCI(u) {
		// A registry's repodata layer: ociGet keeps it at dataPath,
		// revalidated by its digest.
		if _, err := c.ociGet(ctx, u); err != nil {
			return "", 0, err
		}
		return dataPath, fromNetwork, nil
	}
	var meta cacheMeta
	_, derr := os.Stat(dataPath)
	have := false
	if mb, err := os.ReadFile(metaPath); err == nil && derr == nil {
		have = json.Unmarshal(mb, &meta) == nil && meta.URL == u
	}
	if !have {
		meta = cacheMeta{}
	}
	if c.Offline {
		if !have {
			return "", 0, fmt.Errorf("%s: %w", redact(u), ErrOffline)
		}
		return dataPath, fromCache, nil
	}
	if have && meta.MaxAge > 0 && c.Now().Sub(meta.Fetched) < time.Duration(meta.MaxAge)*time.Second {
		return dataPath, fromCache, nil
	}
	wait := c.Backoff
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", 0, err
		}
		if have {
			if meta.ETag != "" {
				req.Header.Set("If-None-Match", meta.ETag)
			}
			if meta.LastModified != "" {
				req.Header.Set("If-Modified-Since", meta.LastModified)
			}
		}
		c.authorize(req)
		resp, err := c.HTTP.Do(req)
		var lastErr error
		if err == nil {
			switch {
			case resp.StatusCode == http.StatusNotModified && have:
				resp.Body.Close()
				meta.Fetched = c.Now()
				meta.MaxAge = maxAge(resp.Header, meta.MaxAge)
				c.writeMeta(metaPath, meta)
				return dataPath, fromCache, nil
			case resp.StatusCode == http.StatusOK:
				err = streamTo(dataPath, resp.Body)
				resp.Body.Close()
				if err == nil {
					c.writeMeta(metaPath, cacheMeta{
						URL:          u,
						ETag:         resp.Header.Get("ETag"),
						LastModified: resp.Header.Get("Last-Modified"),
						MaxAge:       maxAge(resp.Header, 0),
						Fetched:      c.Now(),
					})
					return dataPath, fromNetwork, nil
				}
				lastErr = fmt.Errorf("GET %s: %v", redact(u), err)
			case resp.StatusCode < 500:
				resp.Body.Close()
				return "", 0, &HTTPError{URL: redact(u), Status: resp.StatusCode}
			default:
				resp.Body.Close()
				lastErr = &HTTPError{URL: redact(u), Status: resp.StatusCode}
			}
		} else {
			lastErr = fmt.Errorf("GET %s: %v", redact(u), unwrapURLError(err))
		}
		if ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		if attempt >= c.Retries {
			return "", 0, fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt+1)
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/2 + 1))
		select {
		case <-time.After(wait + jitter):
		case <-ctx.Done():
			return "", 0, ctx.Err()
		}
		wait *= 2
	}
}

// streamTo writes r to path atomically: a temporary file in the same
// directory, synced, then renamed over path.
func streamTo(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.Copy(w, r); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// decompressedFile returns the path of zpath decompressed (zstd), made
// next to it when missing or older than zpath, streaming so that the
// decompressed document is never in memory.
func decompressedFile(zpath, out string) (string, error) {
	zi, err := os.Stat(zpath)
	if err != nil {
		return "", err
	}
	if oi, err := os.Stat(out); err == nil && !oi.ModTime().Before(zi.ModTime()) {
		return out, nil
	}
	f, err := os.Open(zpath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	dec, err := zstd.NewReader(bufio.NewReaderSize(f, 1<<20), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(4<<30))
	if err != nil {
		return "", err
	}
	defer dec.Close()
	if err := streamTo(out, dec); err != nil {
		return "", fmt.Errorf("%s: not valid zstd: %v", zpath, err)
	}
	return out, nil
}
