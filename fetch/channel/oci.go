package channel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/envlock/envlock/fetch/oci"
)

// Channels at oci://HOST/PATH live in a registry in conda-oci-mirror's
// layout (see fetch/oci): Subdir and Open reach them through the two
// hooks below, so mirrors (ENVLOCK_MIRRORS may point an HTTP channel at
// an oci:// mirror), offline mode and the package cache work as for
// HTTP channels. Credentials: ENVLOCK_TOKENS, then the Docker config and
// its credential helpers.

// maxRepodata bounds a repodata layer read into memory.
const maxRepodata = 2 << 30

func isOCI(u string) bool { return oci.IsRef(u) }

func (c *Client) ociClient() *oci.Client {
	cl := &oci.Client{Keychain: oci.TokenKeychain(c.Tokens), UserAgent: "envlock"}
	if c.HTTP != nil {
		cl.Transport = c.HTTP.Transport
	}
	return cl
}

// ociGet reads oci://…/<subdir>/repodata.json or repodata.json.zst: the
// layer of that media type in the repodata.json:latest manifest. The
// cache keeps the bytes with the layer digest as their ETag, so an
// unchanged index is not downloaded again.
func (c *Client) ociGet(ctx context.Context, u string) ([]byte, error) {
	dataPath, metaPath := c.cachePaths(u)
	var meta cacheMeta
	cached, derr := os.ReadFile(dataPath)
	if mb, err := os.ReadFile(metaPath); err != nil || derr != nil || json.Unmarshal(mb, &meta) != nil || meta.URL != u {
		cached, meta = nil, cacheMeta{}
	}
	if c.Offline {
		if cached == nil {
			return nil, fmt.Errorf("%s: %w", u, ErrOffline)
		}
		return cached, nil
	}
	ref, err := oci.RepodataRef(u)
	if err != nil {
		return nil, &HTTPError{URL: u, Status: http.StatusNotFound}
	}
	rem, err := c.ociClient().Resolve(ctx, ref)
	if errors.Is(err, oci.ErrNotFound) {
		return nil, &HTTPError{URL: u, Status: http.StatusNotFound}
	}
	if err != nil {
		return nil, err
	}
	t := oci.RepodataType
	if u[len(u)-4:] == ".zst" {
		t = oci.RepodataZstType
	}
	d := rem.Manifest.LayerOfType(t)
	if d == nil {
		return nil, &HTTPError{URL: u, Status: http.StatusNotFound}
	}
	if cached != nil && meta.ETag == d.Digest {
		return cached, nil
	}
	data, err := rem.Read(ctx, *d, maxRepodata)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(dataPath, data); err == nil {
		c.writeMeta(metaPath, cacheMeta{URL: u, ETag: d.Digest, Fetched: c.Now()})
	}
	return data, nil
}

// ociOpen starts reading the package at oci://…/<subdir>/<file>: the
// layer titled <file> of <name>:<version>-<build>. Registries serve whole
// blobs here, so the response is always 200 from the start.
func (c *Client) ociOpen(ctx context.Context, u string) (*http.Response, error) {
	ref, fn, err := oci.PackageRef(u)
	if err != nil {
		return nil, err
	}
	rem, err := c.ociClient().Resolve(ctx, ref)
	if errors.Is(err, oci.ErrNotFound) {
		return nil, &HTTPError{URL: u, Status: http.StatusNotFound}
	}
	if err != nil {
		return nil, err
	}
	d := rem.Manifest.Title(fn)
	if d == nil {
		return nil, fmt.Errorf("%s: the manifest %s has no layer %s", u, ref, fn)
	}
	rc, err := rem.Open(ctx, *d)
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Body: rc, ContentLength: d.Size}, nil
}
