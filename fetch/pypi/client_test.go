package pypi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/internal/wheelpkg"
)

func demoWheels() []*wheelpkg.Wheel {
	return []*wheelpkg.Wheel{
		{Name: "Tiny_Fmt", Version: "1.0", Requires: []string{"colorlib>=2; extra == 'color'"}, Extras: []string{"color"},
			Files: []wheelpkg.File{{Path: "tinyfmt/__init__.py", Data: []byte("X = 1\n")}}},
		{Name: "Tiny_Fmt", Version: "1.1", RequiresPython: ">=3.9",
			Files: []wheelpkg.File{{Path: "tinyfmt/__init__.py", Data: []byte("X = 2\n" + strings.Repeat("# padding\n", 20000))}}},
	}
}

type recorder struct {
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) add(p, rng string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, p+" "+rng)
}

func (r *recorder) count(substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if strings.Contains(q, substr) {
			n++
		}
	}
	return n
}

func serveIndex(t *testing.T, o wheelpkg.IndexOptions, html bool) (*httptest.Server, *recorder) {
	t.Helper()
	dir := t.TempDir()
	if err := wheelpkg.WriteIndex(dir, demoWheels(), o); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	h := wheelpkg.Handler(dir, rec.add)
	if html {
		// A plain PEP 503 server: static files, no content negotiation.
		fs := http.FileServer(http.Dir(dir))
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec.add(r.URL.Path, r.Header.Get("Range"))
			fs.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, rec
}

func newClient(t *testing.T, cache string, idx ...string) *Client {
	hc := channel.NewClient(cache, func(string) string { return "" })
	hc.Retries = 0
	return &Client{HTTP: hc, Indexes: idx, CacheDir: cache}
}

func TestJSONAndMetadataFiles(t *testing.T) {
	srv, rec := serveIndex(t, wheelpkg.IndexOptions{}, false)
	c := newClient(t, t.TempDir(), srv.URL+"/simple")
	p, err := c.Project(context.Background(), "tiny.fmt")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 2 || !p.Files[0].Metadata || p.Files[1].RequiresPython != ">=3.9" || p.Files[0].Size == 0 {
		t.Fatalf("files: %+v", p.Files)
	}
	m, err := c.Metadata(context.Background(), &p.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Tiny_Fmt" || m.Version != "1.0" || len(m.RequiresDist) != 1 {
		t.Errorf("metadata: %+v", m)
	}
	if n := rec.count(".whl.metadata"); n != 1 {
		t.Errorf("%d .metadata requests, want 1: %v", n, rec.reqs)
	}
	if n := rec.count(".whl "); n != 0 {
		t.Errorf("the wheel itself was read: %v", rec.reqs)
	}
}

// TestHTMLAndRange reads a PEP 503 HTML index without metadata files:
// METADATA comes from the wheel through Range requests, without
// downloading the whole wheel.
func TestHTMLAndRange(t *testing.T) {
	srv, rec := serveIndex(t, wheelpkg.IndexOptions{NoMetadata: true}, true)
	cache := t.TempDir()
	c := newClient(t, cache, srv.URL+"/simple/")
	p, err := c.Project(context.Background(), "Tiny-Fmt")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 2 || p.Files[0].Metadata || p.Files[0].SHA256 == "" {
		t.Fatalf("files: %+v", p.Files)
	}
	m, err := c.Metadata(context.Background(), &p.Files[1])
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "1.1" || m.RequiresPython != ">=3.9" {
		t.Errorf("metadata: %+v", m)
	}
	if n := rec.count("bytes=-"); n != 1 {
		t.Errorf("want one suffix Range request: %v", rec.reqs)
	}
	for _, q := range rec.reqs {
		if strings.Contains(q, ".whl") && !strings.Contains(q, "bytes=") {
			t.Errorf("a whole-wheel request: %q", q)
		}
	}
	// The metadata is cached by the wheel's hash, the page by URL: a
	// second, offline client needs no server.
	srv.Close()
	off := newClient(t, cache, srv.URL+"/simple/")
	off.HTTP.Offline = true
	p2, err := off.Project(context.Background(), "tiny_fmt")
	if err != nil {
		t.Fatalf("offline page: %v", err)
	}
	if _, err := off.Metadata(context.Background(), &p2.Files[1]); err != nil {
		t.Fatalf("offline metadata: %v", err)
	}
}

func TestFindLinksAndLocalIndex(t *testing.T) {
	dir := t.TempDir()
	if err := wheelpkg.WriteIndex(dir, demoWheels(), wheelpkg.IndexOptions{NoMetadata: true}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "files", "other-1.0-py3-none-any.whl"), []byte("x"), 0o644)
	c := newClient(t, t.TempDir())
	c.FindLinks = []string{filepath.Join(dir, "files")}
	p, err := c.Project(context.Background(), "tiny-fmt")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 2 || !strings.HasPrefix(p.Files[0].URL, "file://") {
		t.Fatalf("files: %+v", p.Files)
	}
	m, err := c.Metadata(context.Background(), &p.Files[0])
	if err != nil || m.Version != "1.0" {
		t.Fatalf("metadata: %+v, %v", m, err)
	}
	// A file:// index (a PEP 503 tree on disk) works as well.
	c2 := newClient(t, t.TempDir(), "file://"+filepath.Join(dir, "simple"))
	if p, err := c2.Project(context.Background(), "tiny-fmt"); err != nil || len(p.Files) != 2 {
		t.Fatalf("file index: %+v, %v", p, err)
	}
}

// TestFindLinksInBaseDir: wheels on disk inside BaseDir get URLs
// relative to it (escaped like any URL path), which Metadata reads back;
// wheels outside it, "../" away included, keep absolute file:// URLs.
func TestFindLinksInBaseDir(t *testing.T) {
	root := t.TempDir()
	project := filepath.Join(root, "my project")
	wheels := filepath.Join(project, "wheel dir")
	if err := wheelpkg.WriteIndex(wheels, demoWheels(), wheelpkg.IndexOptions{NoMetadata: true}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, t.TempDir())
	c.BaseDir = project
	c.FindLinks = []string{filepath.Join(wheels, "files")}
	p, err := c.Project(context.Background(), "tiny-fmt")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 2 {
		t.Fatalf("files: %+v", p.Files)
	}
	for _, f := range p.Files {
		if want := "./wheel%20dir/files/" + f.Filename; f.URL != want {
			t.Errorf("URL = %q, want %q", f.URL, want)
		}
	}
	// Metadata resolves the URL against BaseDir, not the working directory.
	if m, err := c.Metadata(context.Background(), &p.Files[0]); err != nil || m.Version != "1.0" {
		t.Fatalf("metadata: %+v, %v", m, err)
	}
	for _, base := range []string{filepath.Join(root, "elsewhere"), filepath.Join(project, "sub")} {
		c := newClient(t, t.TempDir())
		c.BaseDir = base
		c.FindLinks = []string{"file://" + filepath.ToSlash(filepath.Join(wheels, "files"))}
		p, err := c.Project(context.Background(), "tiny-fmt")
		if err != nil {
			t.Fatal(err)
		}
		if u := p.Files[0].URL; !strings.HasPrefix(u, "file://") {
			t.Errorf("BaseDir %s: URL = %q, want an absolute file:// URL", base, u)
		}
	}
}

func TestNotFound(t *testing.T) {
	srv, _ := serveIndex(t, wheelpkg.IndexOptions{}, false)
	c := newClient(t, t.TempDir(), srv.URL+"/simple")
	_, err := c.Project(context.Background(), "nosuch")
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), srv.URL+"/simple") || !strings.Contains(err.Error(), "find_links") {
		t.Fatalf("err = %v", err)
	}
}
