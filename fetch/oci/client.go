package oci

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// A Client talks to registries.
type Client struct {
	// Keychain finds credentials (default: Keychain(os.Getenv)).
	Keychain authn.Keychain
	// Transport carries requests (default http.DefaultTransport).
	Transport http.RoundTripper
	// Jobs bounds concurrent blob transfers (default 4).
	Jobs int
	// UserAgent names envlock to the registry.
	UserAgent string
}

func (c *Client) jobs() int {
	if c.Jobs <= 0 {
		return 4
	}
	return c.Jobs
}

// options returns ggcr options; count, when not nil, sees every request.
func (c *Client) options(ctx context.Context, count *Counter) []remote.Option {
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if count != nil {
		rt = &countingTransport{rt: rt, c: count}
	}
	kc := c.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(rt),
		remote.WithAuthFromKeychain(kc),
		remote.WithJobs(c.jobs()),
	}
	if c.UserAgent != "" {
		opts = append(opts, remote.WithUserAgent(c.UserAgent))
	}
	return opts
}

// A Counter counts what a push or pull moved.
type Counter struct {
	mu            sync.Mutex
	Uploaded      int   // blobs uploaded (upload sessions completed)
	UploadedBytes int64 // their bytes
	Downloaded    int   // blobs downloaded
	sizes         map[string]int64
}

func (c *Counter) add(uploaded bool, digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if uploaded {
		c.Uploaded++
		c.UploadedBytes += c.sizes[digest]
	}
}

// countingTransport counts completed blob uploads (the PUT that ends an
// upload session carries ?digest=).
type countingTransport struct {
	rt http.RoundTripper
	c  *Counter
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err == nil && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") && resp.StatusCode == http.StatusCreated {
		t.c.add(true, r.URL.Query().Get("digest"))
	}
	return resp, err
}

func hostOf(ref name.Reference) string { return ref.Context().RegistryStr() }
