package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/channel"
)

func art(base, fn string, data []byte) cache.Artifact {
	sum := sha256.Sum256(data)
	return cache.Artifact{Fn: fn, URL: base + "/" + fn, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

// files serves byte slices with Range support; breakAfter cuts the first
// response of a file after that many bytes.
type files struct {
	mu         sync.Mutex
	data       map[string][]byte
	breakAfter int
	broken     map[string]bool
	ranges     int
}

func (f *files) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	b, ok := f.data[strings.TrimPrefix(r.URL.Path, "/")]
	cut := f.breakAfter > 0 && !f.broken[r.URL.Path]
	if cut {
		f.broken[r.URL.Path] = true
	}
	if r.Header.Get("Range") != "" {
		f.ranges++
	}
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if cut {
		// Announce the whole file, send part of it, drop the connection.
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.WriteHeader(http.StatusOK)
		w.Write(b[:f.breakAfter])
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

func newFetcher(t *testing.T) *Fetcher {
	c, err := cache.Open([]string{filepath.Join(t.TempDir(), "pkgs")}, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl := channel.NewClient(t.TempDir(), func(string) string { return "" })
	cl.Backoff = time.Millisecond
	return &Fetcher{Client: cl, Cache: c, Parallel: 3}
}

func TestFetchParallelAndCached(t *testing.T) {
	fs := &files{data: map[string][]byte{}, broken: map[string]bool{}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	var arts []cache.Artifact
	for i := 0; i < 10; i++ {
		b := bytes.Repeat([]byte{byte(i)}, 10000+i)
		fn := fmt.Sprintf("p%d-1.0-0.conda", i)
		fs.data[fn] = b
		arts = append(arts, art(srv.URL, fn, b))
	}
	f := newFetcher(t)
	paths, err := f.Fetch(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		if got, _ := os.ReadFile(p); !bytes.Equal(got, fs.data[arts[i].Fn]) {
			t.Errorf("%s: wrong bytes", p)
		}
	}
	srv.Close()
	// Everything is cached: no network needed.
	if _, err := f.Fetch(context.Background(), arts); err != nil {
		t.Errorf("second fetch with the server down: %v", err)
	}
}

func TestFetchHashMismatch(t *testing.T) {
	fs := &files{data: map[string][]byte{"a-1-0.conda": []byte("what the server has")}, broken: map[string]bool{}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	a := art(srv.URL, "a-1-0.conda", []byte("what the lock says!"))
	f := newFetcher(t)
	_, err := f.Fetch(context.Background(), []cache.Artifact{a})
	var he *cache.HashError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "the lock says") {
		t.Fatalf("err = %v", err)
	}
	if _, ok := f.Cache.Find(a); ok {
		t.Error("a mismatching artifact is in the cache")
	}
	entries, _ := os.ReadDir(f.Cache.Writable())
	for _, e := range entries {
		if !e.IsDir() {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestFetchResume(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 50000)
	fs := &files{data: map[string][]byte{"big-1-0.conda": data}, breakAfter: 123456, broken: map[string]bool{}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	f := newFetcher(t)
	paths, err := f.Fetch(context.Background(), []cache.Artifact{art(srv.URL, "big-1-0.conda", data)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(paths[0])
	if !bytes.Equal(got, data) {
		t.Fatal("resumed download differs")
	}
	if fs.ranges != 1 {
		t.Errorf("%d ranged requests, want 1 (resume after the cut)", fs.ranges)
	}
}

func TestFetchLocal(t *testing.T) {
	dir := t.TempDir()
	data := []byte("local package")
	os.MkdirAll(filepath.Join(dir, "channel", "noarch"), 0o755)
	os.WriteFile(filepath.Join(dir, "channel", "noarch", "x-1-0.conda"), data, 0o644)
	f := newFetcher(t)
	f.BaseDir = dir
	a := art("./channel/noarch", "x-1-0.conda", data)
	b := art("file://"+filepath.ToSlash(filepath.Join(dir, "channel", "noarch")), "x-1-0.conda", data)
	for _, x := range []cache.Artifact{a, b} {
		if _, err := f.Fetch(context.Background(), []cache.Artifact{x}); err != nil {
			t.Errorf("%s: %v", x.URL, err)
		}
	}
}

// endless serves an endless stream of zeros, with no Content-Length
// (or a lying one when length > 0), counting the bytes it managed to send.
type endless struct {
	length int64
	mu     sync.Mutex
	sent   int64
}

func (e *endless) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.length > 0 {
		w.Header().Set("Content-Length", fmt.Sprint(e.length))
	}
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 32<<10)
	for r.Context().Err() == nil {
		n, err := w.Write(buf)
		e.mu.Lock()
		e.sent += int64(n)
		e.mu.Unlock()
		if err != nil || e.length > 0 {
			return
		}
	}
}

// TestFetchStopsAtLockedSize checks that a download stops at the locked
// size, whatever the source: a server that never stops, one announcing
// more than the lock says, file:///dev/zero. Each fails with a message
// naming the artifact and the size, and leaves nothing in the cache.
func TestFetchStopsAtLockedSize(t *testing.T) {
	never := &endless{}
	srvNever := httptest.NewServer(never)
	defer srvNever.Close()
	big := &endless{length: 1 << 40}
	srvBig := httptest.NewServer(big)
	defer srvBig.Close()
	want := []byte("the locked package, 33 bytes long")
	for _, tc := range []struct {
		name string
		a    cache.Artifact
	}{
		{"never-ending", art(srvNever.URL, "a-1-0.conda", want)},
		{"content-length", art(srvBig.URL, "a-1-0.conda", want)},
		{"dev-zero", art("file:///dev", "zero", want)},
		{"credentials", art(strings.Replace(srvNever.URL, "http://", "http://user:s3cret@", 1), "a-1-0.conda", want)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "dev-zero" {
				if _, err := os.Stat("/dev/zero"); err != nil {
					t.Skip("no /dev/zero on this system")
				}
			}
			f := newFetcher(t)
			start := time.Now()
			_, err := f.FetchOne(context.Background(), tc.a)
			var he *cache.HashError
			if !errors.As(err, &he) || !strings.Contains(err.Error(), "more than the 33 bytes the lock says") || !strings.Contains(err.Error(), tc.a.Fn) {
				t.Fatalf("err = %v, want the locked size named", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the URL's password: %v", err)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %v to give up", d)
			}
			ents, _ := os.ReadDir(f.Cache.Writable())
			for _, e := range ents {
				if !e.IsDir() {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
	never.mu.Lock()
	defer never.mu.Unlock()
	if never.sent > 64<<20 {
		t.Errorf("the never-ending server sent %d bytes before envlock hung up", never.sent)
	}
}
