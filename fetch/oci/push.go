package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"
)

// PushResult says what a push did.
type PushResult struct {
	Ref           string // REPO@sha256:…
	Digest        string // of the manifest
	Layers        int
	Uploaded      int   // blobs the registry did not have
	UploadedBytes int64 // their bytes
}

// Push writes the artifact to ref (a tag or a digest). Blobs the
// repository already holds are not uploaded again. The manifest's bytes,
// and so its digest, depend only on the artifact.
func (c *Client) Push(ctx context.Context, ref name.Reference, a *Artifact) (*PushResult, error) {
	raw, err := manifest(a)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if d, ok := ref.(name.Digest); ok && d.DigestStr() != digest {
		return nil, fmt.Errorf("pushing to %s: the artifact's digest is %s", ref, digest)
	}
	cnt := &Counter{sizes: map[string]int64{"sha256:" + a.Config.SHA256: a.Config.Size}}
	for _, b := range a.Layers {
		cnt.sizes["sha256:"+b.SHA256] = b.Size
	}
	p, err := remote.NewPusher(c.options(ctx, cnt)...)
	if err != nil {
		return nil, err
	}
	if err := c.mount(ctx, p, ref.Context(), a); err != nil {
		return nil, explain(hostOf(ref), "pushing "+ref.String(), err)
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	up, err := c.uploader(ctx, ref.Context(), &countingTransport{rt: rt, c: cnt})
	if err != nil {
		return nil, explain(hostOf(ref), "pushing "+ref.String(), err)
	}
	blobs := []*Blob{&a.Config}
	for i := range a.Layers {
		blobs = append(blobs, &a.Layers[i])
	}
	if err := up.blobs(ctx, blobs, c.jobs()); err != nil {
		return nil, explain(hostOf(ref), "pushing "+ref.String(), err)
	}
	if err := up.manifest(ctx, ref, raw); err != nil {
		return nil, explain(hostOf(ref), "pushing "+ref.String(), err)
	}
	return &PushResult{
		Ref: ref.Context().Digest(digest).String(), Digest: digest, Layers: len(a.Layers),
		Uploaded: cnt.Uploaded, UploadedBytes: cnt.UploadedBytes,
	}, nil
}

// mount asks the registry to mount blobs from the repositories that may
// hold them (Blob.MountFrom, same registry). A blob the source lacks is
// uploaded as usual.
func (c *Client) mount(ctx context.Context, p *remote.Pusher, repo name.Repository, a *Artifact) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(c.jobs())
	for i := range a.Layers {
		b := &a.Layers[i]
		if b.MountFrom == "" {
			continue
		}
		from, err := name.NewRepository(b.MountFrom)
		if err != nil || from.RegistryStr() != repo.RegistryStr() || from.RepositoryStr() == repo.RepositoryStr() {
			continue
		}
		l, err := partial.CompressedToLayer(&layer{b})
		if err != nil {
			return err
		}
		g.Go(func() error {
			return p.Upload(ctx, repo, &remote.MountableLayer{Layer: l, Reference: from.Digest("sha256:" + b.SHA256)})
		})
	}
	return g.Wait()
}
