package oci

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"
)

// uploader puts blobs and the manifest with the distribution API's
// monolithic upload (POST, then one PUT carrying the blob), as oras does:
// registries hash a monolithic upload as it arrives, where ggcr's chunked
// PATCH uploads make the CNCF registry store and re-read hash states, at
// about half the speed. Authentication (basic, token) is ggcr's.
type uploader struct {
	http *http.Client
	base string // SCHEME://HOST/v2/REPO
}

func (c *Client) uploader(ctx context.Context, repo name.Repository, rt http.RoundTripper) (*uploader, error) {
	kc := c.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	auth, err := authn.Resolve(ctx, kc, repo)
	if err != nil {
		return nil, err
	}
	tr, err := transport.NewWithContext(ctx, repo.Registry, auth, rt, []string{repo.Scope(transport.PushScope)})
	if err != nil {
		return nil, err
	}
	if c.UserAgent != "" {
		tr = transport.NewUserAgent(tr, c.UserAgent)
	}
	return &uploader{http: &http.Client{Transport: tr}, base: repo.Registry.Scheme() + "://" + repo.RegistryStr() + "/v2/" + repo.RepositoryStr()}, nil
}

// blobs uploads the blobs the repository lacks, jobs at a time.
func (u *uploader) blobs(ctx context.Context, bs []*Blob, jobs int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	seen := map[string]bool{}
	for _, b := range bs {
		if seen[b.SHA256] {
			continue
		}
		seen[b.SHA256] = true
		g.Go(func() error { return u.blob(ctx, b) })
	}
	return g.Wait()
}

func (u *uploader) do(ctx context.Context, method, target string, body io.Reader, size int64, ctype string, codes ...int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := u.http.Do(req)
	if err != nil {
		return nil, err
	}
	if err := transport.CheckError(resp, codes...); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

func (u *uploader) blob(ctx context.Context, b *Blob) error {
	digest := "sha256:" + b.SHA256
	resp, err := u.do(ctx, http.MethodHead, u.base+"/blobs/"+digest, nil, 0, "", http.StatusOK, http.StatusNotFound)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil // already there: an earlier push, or another environment
	}
	resp, err = u.do(ctx, http.MethodPost, u.base+"/blobs/uploads/", nil, 0, "", http.StatusAccepted)
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return fmt.Errorf("the registry gave no upload location: %v", err)
	}
	q := loc.Query()
	q.Set("digest", digest)
	loc.RawQuery = q.Encode()
	var body io.Reader
	if b.Data != nil || b.Path == "" {
		body = bytes.NewReader(b.Data)
	} else {
		f, err := os.Open(b.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		body = f
	}
	resp, err = u.do(ctx, http.MethodPut, loc.String(), body, b.Size, "application/octet-stream", http.StatusCreated)
	if err != nil {
		return fmt.Errorf("uploading %s: %w", title(b), err)
	}
	resp.Body.Close()
	return nil
}

// manifest puts the manifest under ref's tag or digest.
func (u *uploader) manifest(ctx context.Context, ref name.Reference, raw []byte) error {
	resp, err := u.do(ctx, http.MethodPut, u.base+"/manifests/"+url.PathEscape(ref.Identifier()), bytes.NewReader(raw), int64(len(raw)), ociManifestType, http.StatusCreated)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func title(b *Blob) string {
	if b.Title != "" {
		return b.Title
	}
	return "sha256:" + b.SHA256
}
