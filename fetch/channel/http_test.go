package channel

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/spec/platform"
)

const linuxRepodata = `{"info": {"subdir": "linux-64"}, "packages.conda": {"a-1-0.conda": {"name": "a", "version": "1", "build": "0"}}}`
const noarchRepodata = `{"info": {"subdir": "noarch"}, "packages": {}}`

// server is a loopback channel that counts requests and can be told to
// fail.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	hits     map[string]int
	fail500  int  // fail this many requests with 500 first
	zst      bool // serve repodata.json.zst
	maxAge   int
	token    string // require "Bearer token"
	basic    [2]string
	requests []*http.Request
}

func newServer(t *testing.T) *server {
	s := &server{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.requests = append(s.requests, r)
	fail := s.fail500 > 0
	if fail {
		s.fail500--
	}
	s.mu.Unlock()
	if fail {
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	if s.token != "" && r.Header.Get("Authorization") != "Bearer "+s.token {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	if s.basic[0] != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != s.basic[0] || p != s.basic[1] {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
	}
	var body string
	if !strings.HasPrefix(r.URL.Path, "/cf/") && !strings.HasPrefix(r.URL.Path, "/m/") {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/linux-64/repodata.json"):
		body = linuxRepodata
	case strings.HasSuffix(r.URL.Path, "/noarch/repodata.json"):
		body = noarchRepodata
	case strings.HasSuffix(r.URL.Path, "/linux-64/repodata.json.zst") && s.zst:
		enc, _ := zstd.NewWriter(nil)
		w.Header().Set("ETag", `"z1"`)
		w.Write(enc.EncodeAll([]byte(linuxRepodata), nil))
		return
	default:
		http.NotFound(w, r)
		return
	}
	etag := `"v1"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
	if s.maxAge > 0 {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(s.maxAge))
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write([]byte(body))
}

func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func client(t *testing.T, env map[string]string) *Client {
	c := NewClient(t.TempDir(), func(k string) string { return env[k] })
	c.Backoff = time.Millisecond
	return c
}

func mustParse(t *testing.T, s string) Channel {
	c, err := Parse(s, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHTTPRevalidate(t *testing.T) {
	srv := newServer(t)
	c := client(t, nil)
	ch := mustParse(t, srv.URL+"/cf")
	recs, err := c.LoadAll(context.Background(), []Channel{ch}, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].URL != srv.URL+"/cf/linux-64/a-1-0.conda" {
		t.Fatalf("records %v", recs)
	}
	// Second load: the .json is revalidated with If-None-Match and the
	// server answers 304.
	if _, err := c.LoadAll(context.Background(), []Channel{ch}, platform.Linux64); err != nil {
		t.Fatal(err)
	}
	var conditional int
	for _, r := range srv.requests {
		if r.Header.Get("If-None-Match") == `"v1"` && strings.HasSuffix(r.URL.Path, "/linux-64/repodata.json") {
			conditional++
		}
	}
	if conditional != 1 || srv.count("/cf/linux-64/repodata.json") != 2 {
		t.Errorf("conditional requests %d, hits %d", conditional, srv.count("/cf/linux-64/repodata.json"))
	}
}

func TestHTTPMaxAge(t *testing.T) {
	srv := newServer(t)
	srv.maxAge = 5 // seconds
	c := client(t, nil)
	now := time.Unix(1_700_000_000, 0)
	c.Now = func() time.Time { return now }
	ch := mustParse(t, srv.URL+"/cf")
	for i := 0; i < 3; i++ {
		if _, err := c.Subdir(context.Background(), ch, platform.Linux64); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.count("/cf/linux-64/repodata.json"); n != 1 {
		t.Errorf("%d requests within max-age, want 1", n)
	}
	now = now.Add(10 * time.Second)
	c.Subdir(context.Background(), ch, platform.Linux64)
	if n := srv.count("/cf/linux-64/repodata.json"); n != 2 {
		t.Errorf("%d requests after max-age, want 2", n)
	}
}

func TestHTTPZstd(t *testing.T) {
	srv := newServer(t)
	srv.zst = true
	c := client(t, nil)
	rd, err := c.Subdir(context.Background(), mustParse(t, srv.URL+"/cf"), platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Records) != 1 || srv.count("/cf/linux-64/repodata.json") != 0 || srv.count("/cf/linux-64/repodata.json.zst") != 1 {
		t.Errorf("records %d, json hits %d, zst hits %d", len(rd.Records), srv.count("/cf/linux-64/repodata.json"), srv.count("/cf/linux-64/repodata.json.zst"))
	}
}

func TestHTTPRetry(t *testing.T) {
	srv := newServer(t)
	srv.fail500 = 2
	c := client(t, nil)
	if _, err := c.Subdir(context.Background(), mustParse(t, srv.URL+"/cf"), platform.Noarch); err != nil {
		t.Fatalf("500, 500, then 200: %v", err)
	}
	srv.fail500 = 100
	c = client(t, nil)
	_, err := c.Subdir(context.Background(), mustParse(t, srv.URL+"/cf"), platform.Noarch)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 500 || !strings.Contains(err.Error(), "gave up after 4 attempts") || !strings.Contains(err.Error(), srv.URL+"/cf/noarch/repodata.json") {
		t.Errorf("persistent 500: %v", err)
	}
}

func TestHTTPMirrors(t *testing.T) {
	origin := newServer(t)
	mirror := newServer(t)
	dead := newServer(t)
	dead.fail500 = 1000
	c := client(t, map[string]string{"ENVLOCK_MIRRORS": origin.URL + "/cf=" + dead.URL + "/m," + mirror.URL + "/m"})
	c.Retries = 0
	recs, err := c.LoadAll(context.Background(), []Channel{mustParse(t, origin.URL+"/cf")}, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	if origin.count("/cf/linux-64/repodata.json") != 0 || mirror.count("/m/linux-64/repodata.json") != 1 {
		t.Errorf("origin hits %d, mirror hits %d", origin.count("/cf/linux-64/repodata.json"), mirror.count("/m/linux-64/repodata.json"))
	}
	// Records keep the channel's own URL: the lock must not depend on
	// which mirror answered.
	if recs[0].Channel != origin.URL+"/cf" || !strings.HasPrefix(recs[0].URL, origin.URL+"/cf/") {
		t.Errorf("record channel %q url %q", recs[0].Channel, recs[0].URL)
	}
}

func TestHTTPAuth(t *testing.T) {
	srv := newServer(t)
	srv.token = "s3cret-token"
	host := strings.TrimPrefix(srv.URL, "http://")
	hostname, _, _ := strings.Cut(host, ":")
	c := client(t, nil)
	_, err := c.Subdir(context.Background(), mustParse(t, srv.URL+"/cf"), platform.Noarch)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("without token: %v", err)
	}
	c = client(t, map[string]string{"ENVLOCK_TOKENS": hostname + "=s3cret-token"})
	if _, err := c.Subdir(context.Background(), mustParse(t, srv.URL+"/cf"), platform.Noarch); err != nil {
		t.Errorf("with token: %v", err)
	}

	srv.token = ""
	srv.basic = [2]string{"alice", "pa55word"}
	netrc := filepath.Join(t.TempDir(), "netrc")
	os.WriteFile(netrc, []byte("machine "+hostname+"\n  login alice\n  password pa55word\n"), 0o600)
	c = client(t, map[string]string{"NETRC": netrc})
	if _, err := c.Subdir(context.Background(), mustParse(t, srv.URL+"/cf"), platform.Noarch); err != nil {
		t.Errorf("with netrc: %v", err)
	}
	// Credentials in a URL never reach a message.
	c = client(t, nil)
	c.Retries = 0
	_, err = c.Subdir(context.Background(), mustParse(t, "http://bob:hunter2@"+host+"/cf"), platform.Linux64)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password or succeeded: %v", err)
	}
}

func TestHTTPOffline(t *testing.T) {
	srv := newServer(t)
	cache := t.TempDir()
	on := NewClient(cache, func(string) string { return "" })
	ch := mustParse(t, srv.URL+"/cf")
	if _, err := on.LoadAll(context.Background(), []Channel{ch}, platform.Linux64); err != nil {
		t.Fatal(err)
	}
	srv.Close() // no network from here on
	off := NewClient(cache, func(k string) string { return map[string]string{"ENVLOCK_OFFLINE": "1"}[k] })
	recs, err := off.LoadAll(context.Background(), []Channel{ch}, platform.Linux64)
	if err != nil || len(recs) != 1 {
		t.Fatalf("offline from cache: %v (%d records)", err, len(recs))
	}
	_, err = off.LoadAll(context.Background(), []Channel{ch}, platform.OsxArm64)
	if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), "run once with network access") {
		t.Errorf("offline without cache: %v", err)
	}
}

func TestHTTPNotFound(t *testing.T) {
	srv := newServer(t)
	c := client(t, nil)
	_, err := c.LoadAll(context.Background(), []Channel{mustParse(t, srv.URL+"/nothing")}, platform.Linux64)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("missing channel: %v", err)
	}
}
