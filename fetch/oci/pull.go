package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/fetch/cache"
)

// maxSmall bounds the small layers (lock, signature, env.cue) and
// manifests read into memory.
const maxSmall = 64 << 20

// A Remote is an envlock artifact resolved in a registry.
type Remote struct {
	Ref      name.Reference
	Digest   string // of the manifest
	Manifest Manifest
	c        *Client
	puller   *remote.Puller
}

// ErrNotEnvironment is wrapped when a reference names something other
// than an envlock environment.
var ErrNotEnvironment = errors.New("not an envlock environment")

// Open resolves ref to its manifest. When ref is a digest, the manifest
// is checked against it.
func (c *Client) Open(ctx context.Context, ref name.Reference) (*Remote, error) {
	r, err := c.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if r.Manifest.ArtifactType != ArtifactType && r.Manifest.Config.MediaType != ConfigType {
		t := r.Manifest.ArtifactType
		if t == "" {
			t = r.Manifest.Config.MediaType
		}
		return nil, fmt.Errorf("%s: %w (its type is %q); push one with 'envlock push'", ref, ErrNotEnvironment, t)
	}
	return r, nil
}

// Resolve reads the manifest ref names, whatever it carries.
func (c *Client) Resolve(ctx context.Context, ref name.Reference) (*Remote, error) {
	p, err := remote.NewPuller(c.options(ctx, nil)...)
	if err != nil {
		return nil, err
	}
	desc, err := p.Get(ctx, ref)
	if err != nil {
		return nil, explain(hostOf(ref), "reading "+ref.String(), err)
	}
	r := &Remote{Ref: ref, Digest: desc.Digest.String(), c: c, puller: p}
	if err := json.Unmarshal(desc.Manifest, &r.Manifest); err != nil {
		return nil, fmt.Errorf("reading %s: the manifest is not JSON: %v", ref, err)
	}
	return r, nil
}

// ReadTitle reads the small layer titled t; ok is false when the
// artifact has none. The bytes are checked against the layer's digest.
func (r *Remote) ReadTitle(ctx context.Context, t string) (data []byte, ok bool, err error) {
	d := r.Manifest.Title(t)
	if d == nil {
		return nil, false, nil
	}
	if d.Size > maxSmall {
		return nil, true, fmt.Errorf("%s: layer %s is %d bytes, more than envlock reads", r.Ref, t, d.Size)
	}
	data, err = r.readBlob(ctx, d.Digest, d.Size)
	return data, true, err
}

// Read reads the blob d names, at most max bytes, checked against its
// digest.
func (r *Remote) Read(ctx context.Context, d Descriptor, max int64) ([]byte, error) {
	if d.Size > max {
		return nil, fmt.Errorf("%s: blob %s is %d bytes, more than envlock reads (%d)", r.Ref.Context(), d.Digest, d.Size, max)
	}
	return r.readBlob(ctx, d.Digest, d.Size)
}

// Open streams the blob d names; reading it to the end checks its digest.
func (r *Remote) Open(ctx context.Context, d Descriptor) (io.ReadCloser, error) {
	return r.open(ctx, d.Digest)
}

func (r *Remote) readBlob(ctx context.Context, digest string, size int64) ([]byte, error) {
	rc, err := r.open(ctx, digest)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, size+1))
	if err != nil {
		return nil, r.blobErr(digest, err)
	}
	if int64(len(data)) != size {
		return nil, fmt.Errorf("%s: blob %s is %d bytes, the manifest says %d", r.Ref.Context(), digest, len(data), size)
	}
	return data, nil
}

func (r *Remote) open(ctx context.Context, digest string) (io.ReadCloser, error) {
	l, err := r.puller.Layer(ctx, r.Ref.Context().Digest(digest))
	if err != nil {
		return nil, r.blobErr(digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, r.blobErr(digest, err)
	}
	return rc, nil
}

func (r *Remote) blobErr(digest string, err error) error {
	if strings.Contains(err.Error(), "error verifying sha256 checksum") {
		return fmt.Errorf("%s: blob %s does not match its digest (%v); nothing from it was used", r.Ref.Context(), digest, err)
	}
	return explain(hostOf(r.Ref), fmt.Sprintf("reading blob %s from %s", digest, r.Ref.Context()), err)
}

// FetchResult says what Fetch moved.
type FetchResult struct {
	Cached          int // already in the package cache
	Downloaded      int
	DownloadedBytes int64
}

// Fetch brings each artifact (a locked package or wheel, whose sha256 is
// its blob's digest) into the cache, downloading only those the cache
// lacks. Every artifact must be a layer of the manifest; each is checked
// against its sha256 and size before it enters the cache.
func (r *Remote) Fetch(ctx context.Context, c *cache.Cache, arts []cache.Artifact) (*FetchResult, error) {
	layers := map[string]bool{}
	for _, d := range r.Manifest.Layers {
		layers[strings.ToLower(d.Digest)] = true
	}
	res := &FetchResult{}
	var todo []cache.Artifact
	for _, a := range arts {
		if a.SHA256 == "" {
			return nil, fmt.Errorf("%s: the lock has no sha256 for it", a.Fn)
		}
		if !layers["sha256:"+strings.ToLower(a.SHA256)] {
			return nil, fmt.Errorf("%s has no blob for %s (sha256 %s): the artifact was not pushed from this lock; nothing was installed", r.Ref, a.Fn, a.SHA256)
		}
		if _, ok := c.Find(a); ok {
			res.Cached++
			continue
		}
		todo = append(todo, a)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.c.jobs())
	sizes := make([]int64, len(todo))
	for i, a := range todo {
		g.Go(func() error {
			n, err := r.fetchOne(gctx, c, a)
			sizes[i] = n
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, n := range sizes {
		if n > 0 {
			res.Downloaded++
			res.DownloadedBytes += n
		}
	}
	return res, nil
}

func (r *Remote) fetchOne(ctx context.Context, c *cache.Cache, a cache.Artifact) (int64, error) {
	w, _, err := c.Create(a)
	if err != nil {
		return 0, err
	}
	if w == nil {
		return 0, nil // another process brought it meanwhile
	}
	rc, err := r.open(ctx, "sha256:"+strings.ToLower(a.SHA256))
	if err != nil {
		w.Abort()
		return 0, fmt.Errorf("%s: %w", a.Fn, err)
	}
	_, err = io.Copy(w, rc)
	rc.Close()
	if err != nil {
		w.Abort()
		return 0, fmt.Errorf("%s: %w", a.Fn, r.blobErr("sha256:"+a.SHA256, err))
	}
	n := w.Written()
	if _, err := w.Commit(); err != nil {
		return 0, fmt.Errorf("%s from %s: %w", a.Fn, r.Ref.Context(), err)
	}
	return n, nil
}

// Config reads the artifact's config blob.
func (r *Remote) Config(ctx context.Context) (*Config, error) {
	d := r.Manifest.Config
	if d.Size > maxSmall {
		return nil, fmt.Errorf("%s: the config is %d bytes, more than envlock reads", r.Ref, d.Size)
	}
	data, err := r.readBlob(ctx, d.Digest, d.Size)
	if err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: the config is not JSON: %v", r.Ref, err)
	}
	return &c, nil
}
