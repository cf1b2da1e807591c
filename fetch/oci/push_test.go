package oci

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/internal/registrytest"
)

// testArtifact writes n random blobs of size bytes under dir and returns
// an artifact carrying them as conda packages.
func testArtifact(t testing.TB, dir string, n, size int) *Artifact {
	t.Helper()
	a := &Artifact{ArtifactType: ArtifactType, Config: DataBlob("", ConfigType, []byte(`{"name":"test"}`))}
	a.Layers = append(a.Layers, DataBlob(LockTitle, LockType, []byte(fmt.Sprintf(`{"n":%d,"size":%d,"dir":%q}`, n, size, dir))))
	for i := range n {
		b := make([]byte, size)
		rand.Read(b)
		fn := fmt.Sprintf("pkg%03d-1.0-h0_0.conda", i)
		p := filepath.Join(dir, fn)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		a.Layers = append(a.Layers, Blob{Title: "linux-64/" + fn, MediaType: CondaType, SHA256: hex.EncodeToString(sum[:]), Size: int64(size), Path: p})
	}
	return a
}

func testClient(rt http.RoundTripper) *Client {
	return &Client{Keychain: authn.NewMultiKeychain(), Transport: rt, Jobs: 4}
}

// failAfter fails the blob upload that would complete the n+1th upload.
type failAfter struct {
	n    int32
	done atomic.Int32
}

func (f *failAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") && f.done.Add(1) > f.n {
		return nil, errors.New("connection reset (test)")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestPush: against a real registry, pushing the same artifact twice gives
// the same digest and uploads nothing the second time; an interrupted
// push, run again, uploads only the blobs the first did not finish; and
// Fetch brings exactly the missing blobs into a cache.
func TestPush(t *testing.T) {
	reg := registrytest.Start(t)
	ctx := context.Background()
	a := testArtifact(t, t.TempDir(), 8, 4096)
	ref, err := ParseRef("oci://" + reg.Host + "/test/env:v1")
	if err != nil {
		t.Fatal(err)
	}
	c := testClient(nil)
	first, err := c.Push(ctx, ref, a)
	if err != nil {
		t.Fatal(err)
	}
	if first.Uploaded != 10 { // config, lock, 8 packages
		t.Errorf("first push uploaded %d blobs, want 10", first.Uploaded)
	}
	again, err := c.Push(ctx, ref, a)
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != first.Digest || again.Uploaded != 0 {
		t.Errorf("second push: digest %s uploaded %d; want %s and 0", again.Digest, again.Uploaded, first.Digest)
	}

	// A second environment sharing all but one package (and its lock):
	// only those two blobs are uploaded.
	b := &Artifact{ArtifactType: a.ArtifactType, Config: a.Config, Layers: append([]Blob(nil), a.Layers...)}
	b.Layers[0] = DataBlob(LockTitle, LockType, []byte(`{"second":true}`))
	b.Layers[len(b.Layers)-1] = testArtifact(t, t.TempDir(), 1, 4096).Layers[1]
	second, err := c.Push(ctx, ref.Context().Tag("v2"), b)
	if err != nil {
		t.Fatal(err)
	}
	if second.Uploaded != 2 || second.UploadedBytes != 4096+int64(len(`{"second":true}`)) {
		t.Errorf("second environment uploaded %d blobs (%d bytes), want 2 (%d)", second.Uploaded, second.UploadedBytes, 4096+len(`{"second":true}`))
	}

	// Interrupted after 4 uploads (the transport fails the rest), then
	// resumed with a working one. The interrupted push uploads one blob
	// at a time: with uploads side by side, the failing one cancels others
	// in flight, which the registry may still finish after the push has
	// returned, and how many are there when the second push asks varies.
	ref2, _ := ParseRef("oci://" + reg.Host + "/test/resumed:v1")
	one := testClient(&failAfter{n: 4})
	one.Jobs = 1
	if _, err := one.Push(ctx, ref2, a); err == nil {
		t.Fatal("the interrupted push succeeded")
	}
	present := 0
	for _, b := range append([]Blob{a.Config}, a.Layers...) {
		resp, err := http.Head("http://" + reg.Host + "/v2/test/resumed/blobs/sha256:" + b.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			present++
		}
	}
	if present != 4 {
		t.Fatalf("the interrupted push left %d blobs in the registry, want the 4 the transport let through", present)
	}
	resumed, err := c.Push(ctx, ref2, a)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Uploaded != 6 || resumed.Digest != first.Digest {
		t.Errorf("resumed push uploaded %d blobs (digest %s), want 6 (%s)", resumed.Uploaded, resumed.Digest, first.Digest)
	}

	// Fetch into a cache holding 3 of the packages: 5 downloaded.
	dir := t.TempDir()
	cc, err := cache.Open([]string{dir}, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var arts []cache.Artifact
	for i, b := range a.Layers[1:] {
		art := cache.Artifact{Fn: filepath.Base(b.Path), SHA256: b.SHA256, Size: b.Size}
		arts = append(arts, art)
		if i < 3 {
			data, _ := os.ReadFile(b.Path)
			os.WriteFile(filepath.Join(dir, art.Fn), data, 0o644)
		}
	}
	r, err := c.Open(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Fetch(ctx, cc, arts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cached != 3 || res.Downloaded != 5 || res.DownloadedBytes != 5*4096 {
		t.Errorf("Fetch = %+v, want 3 cached and 5 downloaded (20480 bytes)", res)
	}
	for _, art := range arts {
		if _, ok := cc.Find(art); !ok {
			t.Errorf("%s is not in the cache after Fetch", art.Fn)
		}
	}

	// An artifact the manifest does not carry is refused before anything
	// is downloaded.
	bogus := cache.Artifact{Fn: "bogus-1-0.conda", SHA256: strings.Repeat("0", 64), Size: 1}
	if _, err := r.Fetch(ctx, cc, []cache.Artifact{bogus}); err == nil || !strings.Contains(err.Error(), "has no blob for bogus-1-0.conda") {
		t.Errorf("Fetch of an artifact not in the manifest: %v", err)
	}

	// Something that is not an environment.
	sigRef, _ := ParseRef("oci://" + reg.Host + "/test/other:v1")
	other := &Artifact{Config: DataBlob("", "application/vnd.oci.image.config.v1+json", []byte(`{}`)), Layers: a.Layers[:1]}
	if _, err := c.Push(ctx, sigRef, other); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(ctx, sigRef); !errors.Is(err, ErrNotEnvironment) {
		t.Errorf("Open of a non-environment: %v, want ErrNotEnvironment", err)
	}
}
