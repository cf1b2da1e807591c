package pypi

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/internal/atomicfile"
	"github.com/envlock/envlock/spec/pep508"
	"github.com/envlock/envlock/spec/pyindex"
	"github.com/envlock/envlock/spec/wheeltag"
)

// Accept is the Accept header of project page requests: PEP 691's JSON
// first, its HTML next, plain HTML (PEP 503) last.
const Accept = pyindex.JSONType + ", " + pyindex.HTMLType + ";q=0.2, text/html;q=0.01"

// A Client reads projects and metadata from indexes and find_links
// locations. Fields are set before the first call and not changed after.
type Client struct {
	// HTTP does the requests and caches pages.
	HTTP *channel.Client
	// Indexes are simple API base URLs ("https://pypi.org/simple"),
	// searched in order; file:// URLs and directories are read from disk.
	// A project's files come from the first index that has it, unless
	// BestMatch is set.
	Indexes []string
	// BestMatch merges the files of every index that has a project
	// (pip's behaviour, uv's unsafe-best-match): a public index can then
	// offer a higher version of a private project.
	BestMatch bool
	// Sources pins projects (normalized names) to one index URL each:
	// only that index is searched for them, and no other index for
	// them (uv's explicit indexes).
	Sources map[string]string
	// FindLinks are directories (or file:// URLs) of wheels, or HTML
	// pages listing them.
	FindLinks []string
	// CacheDir holds cached metadata (CacheDir/pypi-metadata).
	CacheDir string
	// BaseDir is the directory the lock is written in (the project's).
	// Files on disk inside it (find_links directories, file:// indexes)
	// get URLs relative to it, "./wheels/x.whl", the way local channels
	// inside the project are locked: a committed lock then installs from
	// any clone (fetch/download.Fetcher.BaseDir resolves them). Files
	// outside it keep absolute file:// URLs. Empty: all stay absolute.
	BaseDir string

	mu     sync.Mutex
	pages  map[string]*pyindex.Project
	metas  map[string]*pyindex.Metadata
	hashes map[string]fileHash
}

type fileHash struct {
	sha256 string
	size   int64
}

// Hash reads the file at u (https://, http:// or file://) to the end
// and returns its sha256 and size: what a "name @ URL" requirement
// without a #sha256= fragment is locked with. Results are kept for the
// client's life.
func (c *Client) Hash(ctx context.Context, u string) (string, int64, error) {
	c.mu.Lock()
	h, ok := c.hashes[u]
	c.mu.Unlock()
	if ok {
		return h.sha256, h.size, nil
	}
	var r io.Reader
	if p := c.localFile(u); p != "" {
		f, err := os.Open(p)
		if err != nil {
			return "", 0, err
		}
		defer f.Close()
		r = f
	} else {
		resp, err := c.HTTP.Open(ctx, u, 0)
		if err != nil {
			return "", 0, err
		}
		defer resp.Body.Close()
		r = resp.Body
	}
	sum := sha256.New()
	n, err := io.Copy(sum, r)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", channel.Redact(u), err)
	}
	h = fileHash{hex.EncodeToString(sum.Sum(nil)), n}
	c.mu.Lock()
	if c.hashes == nil {
		c.hashes = map[string]fileHash{}
	}
	c.hashes[u] = h
	c.mu.Unlock()
	return h.sha256, h.size, nil
}

// NotFoundError says that no index or find_links location has a project.
type NotFoundError struct {
	Project string
	Where   []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("PyPI project %q was not found on %s; check its name on the index, or add the index (pypi_index.extra_urls) or a directory of its wheels (pypi_index.find_links)", e.Project, strings.Join(e.Where, ", "))
}

// Project returns the files of a project from the first index that has
// it (every index with BestMatch) and from every find_links location,
// merged; for a file name listed in several places the first wins.
func (c *Client) Project(ctx context.Context, name string) (*pyindex.Project, error) {
	key := pep508.Normalize(name)
	c.mu.Lock()
	if p, ok := c.pages[key]; ok {
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	out := &pyindex.Project{Name: key}
	seen := map[string]bool{}
	add := func(files []pyindex.File) {
		for _, f := range files {
			if !seen[f.Filename] {
				seen[f.Filename] = true
				out.Files = append(out.Files, f)
			}
		}
	}
	found := false
	var where []string
	indexes := c.Indexes
	if u, ok := c.Sources[key]; ok {
		indexes = []string{u}
	}
	for _, idx := range indexes {
		where = append(where, channel.Redact(idx))
		p, err := c.indexPage(ctx, idx, key)
		if errors.Is(err, errNotHere) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = true
		add(p.Files)
		if !c.BestMatch {
			break
		}
	}
	for _, fl := range c.FindLinks {
		if _, ok := c.Sources[key]; ok {
			break // pinned to its index alone
		}
		where = append(where, channel.Redact(fl))
		files, err := c.findLinks(ctx, fl, key)
		if err != nil {
			return nil, err
		}
		if len(files) > 0 {
			found = true
			add(files)
		}
	}
	if !found {
		return nil, &NotFoundError{Project: name, Where: where}
	}
	for i := range out.Files {
		out.Files[i].URL = c.relative(out.Files[i].URL)
	}
	c.mu.Lock()
	if c.pages == nil {
		c.pages = map[string]*pyindex.Project{}
	}
	c.pages[key] = out
	c.mu.Unlock()
	return out, nil
}

var errNotHere = errors.New("not on this index")

// localDir returns the directory of a file:// URL or a path, or "".
func localDir(loc string) string {
	if strings.HasPrefix(loc, "file://") {
		if u, err := url.Parse(loc); err == nil {
			return filepath.FromSlash(u.Path)
		}
	}
	if !strings.Contains(loc, "://") {
		return loc
	}
	return ""
}

func fileURL(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

// relative returns a file:// URL inside BaseDir as "./PATH" relative to
// it, and any other URL as it is.
func (c *Client) relative(u string) string {
	if c.BaseDir == "" || !strings.HasPrefix(u, "file://") {
		return u
	}
	pu, err := url.Parse(u)
	if err != nil || pu.RawQuery != "" || pu.Fragment != "" {
		return u
	}
	rel, err := filepath.Rel(c.BaseDir, filepath.FromSlash(pu.Path))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return u
	}
	return "./" + (&url.URL{Path: filepath.ToSlash(rel)}).EscapedPath()
}

// localFile returns the path of a file:// URL or of a "./" or "../" URL
// (relative to BaseDir), or "".
func (c *Client) localFile(u string) string {
	if strings.HasPrefix(u, "./") || strings.HasPrefix(u, "../") {
		p, err := url.PathUnescape(u)
		if err != nil {
			return ""
		}
		return filepath.Join(c.BaseDir, filepath.FromSlash(p))
	}
	return localDir(u)
}

// indexPage reads one project page of an index.
func (c *Client) indexPage(ctx context.Context, idx, key string) (*pyindex.Project, error) {
	if dir := localDir(idx); dir != "" {
		base := filepath.Join(dir, key)
		for _, name := range []string{"index.json", "index.html"} {
			data, err := os.ReadFile(filepath.Join(base, name))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			return parsePage(data, fileURL(base)+"/")
		}
		return nil, errNotHere
	}
	u := strings.TrimRight(idx, "/") + "/" + key + "/"
	data, err := c.HTTP.Get(ctx, u, Accept)
	var he *channel.HTTPError
	if errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusGone) {
		return nil, errNotHere
	}
	if errors.Is(err, channel.ErrOffline) {
		return nil, fmt.Errorf("PyPI project %s: %w; run once with network access to fill the cache", key, err)
	}
	if err != nil {
		return nil, fmt.Errorf("PyPI project %s: %w", key, err)
	}
	return parsePage(data, u)
}

// parsePage reads a page as JSON when it looks like JSON, else as HTML:
// the cache keeps bodies, not their content types.
func parsePage(data []byte, u string) (*pyindex.Project, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		return pyindex.ParseJSON(data, u)
	}
	return pyindex.ParseHTML(data, u)
}

// findLinks lists a find_links location's files of project key.
func (c *Client) findLinks(ctx context.Context, loc, key string) ([]pyindex.File, error) {
	var files []pyindex.File
	if dir := localDir(loc); dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("find_links %s: %w", loc, err)
		}
		for _, e := range entries {
			if e.IsDir() || !belongs(e.Name(), key) {
				continue
			}
			p := filepath.Join(dir, e.Name())
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256(data)
			files = append(files, pyindex.File{Filename: e.Name(), URL: fileURL(p), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))})
		}
		return files, nil
	}
	data, err := c.HTTP.Get(ctx, loc, "text/html")
	if err != nil {
		return nil, fmt.Errorf("find_links %s: %w", channel.Redact(loc), err)
	}
	p, err := pyindex.ParseHTML(data, loc)
	if err != nil {
		return nil, err
	}
	for _, f := range p.Files {
		if belongs(f.Filename, key) {
			files = append(files, f)
		}
	}
	return files, nil
}

// belongs reports whether a file name is a distribution of project key:
// a wheel of that name, or an sdist "NAME-VERSION.tar.gz"/".zip".
func belongs(fn, key string) bool {
	if w, err := wheeltag.ParseFilename(fn); err == nil {
		return pep508.Normalize(w.Name) == key
	}
	for _, ext := range []string{".tar.gz", ".zip", ".tar.bz2", ".tgz"} {
		if stem, ok := strings.CutSuffix(fn, ext); ok {
			if i := strings.LastIndexByte(stem, '-'); i > 0 {
				return pep508.Normalize(stem[:i]) == key
			}
		}
	}
	return false
}

// Metadata returns the core metadata of a wheel: from the cache, the
// index's .metadata file, or the wheel's own METADATA.
func (c *Client) Metadata(ctx context.Context, f *pyindex.File) (*pyindex.Metadata, error) {
	key := f.SHA256
	if key == "" {
		sum := sha256.Sum256([]byte(f.URL))
		key = "url-" + hex.EncodeToString(sum[:])
	}
	c.mu.Lock()
	if m, ok := c.metas[key]; ok {
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()
	cachePath := filepath.Join(c.CacheDir, "pypi-metadata", key+".METADATA")
	data, err := os.ReadFile(cachePath)
	if err != nil || f.SHA256 == "" {
		data, err = c.fetchMetadata(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("metadata of %s: %w", f.Filename, err)
		}
		if f.SHA256 != "" && c.CacheDir != "" {
			// A cache write that fails costs a request next time, no more.
			_ = atomicfile.WriteFile(cachePath, data, 0o644)
		}
	}
	m, err := pyindex.ParseMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", f.Filename, err)
	}
	c.mu.Lock()
	if c.metas == nil {
		c.metas = map[string]*pyindex.Metadata{}
	}
	c.metas[key] = m
	c.mu.Unlock()
	return m, nil
}

// maxMetadata bounds a METADATA file (real ones are kilobytes).
const maxMetadata = 16 << 20

func (c *Client) fetchMetadata(ctx context.Context, f *pyindex.File) ([]byte, error) {
	if p := c.localFile(f.URL); p != "" {
		z, err := zip.OpenReader(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		defer z.Close()
		return metadataEntry(&z.Reader)
	}
	if f.Metadata {
		resp, err := c.HTTP.Open(ctx, f.URL+".metadata", 0)
		if err == nil {
			data, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadata))
			resp.Body.Close()
			if err != nil {
				return nil, err
			}
			if f.MetadataSHA256 != "" {
				sum := sha256.Sum256(data)
				if got := hex.EncodeToString(sum[:]); got != f.MetadataSHA256 {
					return nil, fmt.Errorf("%s.metadata has sha256 %s, the index says %s", channel.Redact(f.URL), got, f.MetadataSHA256)
				}
			}
			return data, nil
		}
		// An index that announces metadata it does not serve: read the
		// wheel instead.
	}
	if !strings.HasSuffix(f.Filename, ".whl") {
		return nil, fmt.Errorf("not a wheel")
	}
	ra, err := c.openRange(ctx, f.URL)
	if err != nil {
		return nil, err
	}
	z, err := zip.NewReader(ra, ra.size)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid wheel: %w", channel.Redact(f.URL), err)
	}
	return metadataEntry(z)
}

// metadataEntry reads NAME.dist-info/METADATA from a wheel.
func metadataEntry(z *zip.Reader) ([]byte, error) {
	for _, zf := range z.File {
		dir, base, ok := strings.Cut(zf.Name, "/")
		if ok && base == "METADATA" && strings.HasSuffix(dir, ".dist-info") {
			r, err := zf.Open()
			if err != nil {
				return nil, err
			}
			defer r.Close()
			return io.ReadAll(io.LimitReader(r, maxMetadata))
		}
	}
	return nil, fmt.Errorf("the wheel has no .dist-info/METADATA")
}

// rangeReader reads a remote file with HTTP Range requests, keeping the
// tail it read first (where a zip's central directory is).
type rangeReader struct {
	ctx      context.Context
	c        *Client
	url      string
	size     int64
	tail     []byte
	tailOff  int64
	Requests int
}

// tailSize is how much of the end of a wheel the first request reads:
// enough for the central directory of most wheels and, often, METADATA.
const tailSize = 64 << 10

func (c *Client) openRange(ctx context.Context, u string) (*rangeReader, error) {
	if c.HTTP.Offline {
		return nil, fmt.Errorf("%s: %w", channel.Redact(u), channel.ErrOffline)
	}
	r := &rangeReader{ctx: ctx, c: c, url: u}
	body, status, crange, err := r.get(fmt.Sprintf("bytes=-%d", tailSize))
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK: // no Range support: the whole file came
		r.tail, r.size = body, int64(len(body))
	case http.StatusPartialContent:
		_, total, ok := strings.Cut(crange, "/")
		n, err := strconv.ParseInt(total, 10, 64)
		if !ok || err != nil || n < int64(len(body)) {
			return nil, fmt.Errorf("%s: bad Content-Range %q", channel.Redact(u), crange)
		}
		r.size, r.tail, r.tailOff = n, body, n-int64(len(body))
	default:
		return nil, &channel.HTTPError{URL: channel.Redact(u), Status: status}
	}
	return r, nil
}

func (r *rangeReader) get(rng string) ([]byte, int, string, error) {
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, 0, "", err
	}
	req.Header.Set("Range", rng)
	r.c.HTTP.Authorize(req)
	r.Requests++
	resp, err := r.c.HTTP.HTTP.Do(req)
	if err != nil {
		return nil, 0, "", fmt.Errorf("GET %s: %w", channel.Redact(r.url), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		return nil, resp.StatusCode, "", nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return nil, 0, "", fmt.Errorf("GET %s: %w", channel.Redact(r.url), err)
	}
	return body, resp.StatusCode, resp.Header.Get("Content-Range"), nil
}

// ReadAt serves reads in the tail from memory and asks for the others.
func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), r.size)
	if off >= r.tailOff {
		n := copy(p, r.tail[off-r.tailOff:])
		if int64(n) < int64(len(p)) {
			return n, io.EOF
		}
		return n, nil
	}
	body, status, _, err := r.get(fmt.Sprintf("bytes=%d-%d", off, end-1))
	if err != nil {
		return 0, err
	}
	switch status {
	case http.StatusPartialContent:
	case http.StatusOK:
		if int64(len(body)) < end {
			return 0, io.ErrUnexpectedEOF
		}
		body = body[off:end]
	default:
		return 0, &channel.HTTPError{URL: channel.Redact(r.url), Status: status}
	}
	n := copy(p, body)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
