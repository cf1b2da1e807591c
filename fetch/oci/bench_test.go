package oci

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/internal/registrytest"
	"github.com/envlock/envlock/internal/testenv"
)

// The figure: pushing and pulling a 50-package environment moves
// bytes at ≥ 80% of what oras achieves for the same blobs on the same
// registry. Both sides push into a fresh repository each iteration (so
// every blob is uploaded) and pull into an empty directory or cache.
const (
	benchBlobs = 50
	benchSize  = 1 << 20
)

// benchRun makes repository names unique across -count runs, so every
// push uploads every blob.
var benchRun atomic.Int64

// benchJobs is the pull concurrency measured (ENVLOCK_BENCH_JOBS, default 4).
var benchJobs = func() int {
	n, err := strconv.Atoi(os.Getenv("ENVLOCK_BENCH_JOBS"))
	if err != nil {
		return 4
	}
	return n
}()

func orasTool(b *testing.B) string {
	p := testenv.Tool(b, "oras", "go install oras.land/oras/cmd/oras@v1.3.6; .ci/run builds it")
	out, _ := exec.Command(p, "version").CombinedOutput()
	testenv.Version(b, "oras", string(out), "1.3.6")
	return p
}

func BenchmarkPush(b *testing.B) {
	reg := registrytest.Start(b)
	dir := b.TempDir()
	a := testArtifact(b, dir, benchBlobs, benchSize)
	total := int64(0)
	for _, l := range a.Layers {
		total += l.Size
	}
	ctx := context.Background()
	b.Run("envlock", func(b *testing.B) {
		b.SetBytes(total)
		for i := 0; b.Loop(); i++ {
			ref, _ := ParseRef(fmt.Sprintf("oci://%s/bench/envlock-%d-%d:v1", reg.Host, benchRun.Add(1), i))
			res, err := testClient(nil).Push(ctx, ref, a)
			if err != nil {
				b.Fatal(err)
			}
			if res.Uploaded != benchBlobs+2 {
				b.Fatalf("uploaded %d blobs, want %d", res.Uploaded, benchBlobs+2)
			}
		}
	})
	// The second push of an environment sharing 90% of its packages
	// with one already in the repository: only the new blobs move.
	b.Run("envlock-shared90", func(b *testing.B) {
		ref, _ := ParseRef(fmt.Sprintf("oci://%s/bench/shared-%d:base", reg.Host, benchRun.Add(1)))
		if _, err := testClient(nil).Push(ctx, ref, a); err != nil {
			b.Fatal(err)
		}
		var uploaded, bytes int64
		n := 0
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			v := &Artifact{ArtifactType: a.ArtifactType, Config: a.Config, Layers: append([]Blob(nil), a.Layers...)}
			v.Layers[0] = DataBlob(LockTitle, LockType, fmt.Appendf(nil, `{"variant":%d}`, i))
			fresh := testArtifact(b, b.TempDir(), benchBlobs/10, benchSize)
			copy(v.Layers[len(v.Layers)-benchBlobs/10:], fresh.Layers[1:])
			b.StartTimer()
			res, err := testClient(nil).Push(ctx, ref.Context().Tag(fmt.Sprintf("v%d", i)), v)
			if err != nil {
				b.Fatal(err)
			}
			if res.Uploaded != benchBlobs/10+1 {
				b.Fatalf("uploaded %d blobs, want %d (the new packages and the lock)", res.Uploaded, benchBlobs/10+1)
			}
			uploaded += int64(res.Uploaded)
			bytes += res.UploadedBytes
			n++
		}
		b.ReportMetric(float64(uploaded)/float64(n), "uploaded-blobs/op")
		b.ReportMetric(float64(bytes)/float64(n)/float64(total), "uploaded-fraction")
	})
	b.Run("oras", func(b *testing.B) {
		oras := orasTool(b)
		args := []string{"push", "--plain-http", "--disable-path-validation", "", "--artifact-type", ArtifactType}
		for _, l := range a.Layers[1:] {
			args = append(args, filepath.Base(l.Path)+":"+CondaType)
		}
		b.SetBytes(total - a.Layers[0].Size)
		for i := 0; b.Loop(); i++ {
			args[3] = fmt.Sprintf("%s/bench/oras-%d-%d:v1", reg.Host, benchRun.Add(1), i)
			cmd := exec.Command(oras, args...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("oras push: %v\n%s", err, out)
			}
		}
	})
}

func BenchmarkPull(b *testing.B) {
	reg := registrytest.Start(b)
	dir := b.TempDir()
	a := testArtifact(b, dir, benchBlobs, benchSize)
	ctx := context.Background()
	ref, _ := ParseRef("oci://" + reg.Host + "/bench/pull:v1")
	if _, err := testClient(nil).Push(ctx, ref, a); err != nil {
		b.Fatal(err)
	}
	var arts []cache.Artifact
	total := int64(0)
	for _, l := range a.Layers[1:] {
		arts = append(arts, cache.Artifact{Fn: filepath.Base(l.Path), SHA256: l.SHA256, Size: l.Size})
		total += l.Size
	}
	b.Run("envlock", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			cdir, _ := os.MkdirTemp(b.TempDir(), "cache")
			c, err := cache.Open([]string{cdir}, cache.Options{})
			if err != nil {
				b.Fatal(err)
			}
			r, err := (&Client{Keychain: testClient(nil).Keychain, Jobs: benchJobs}).Open(ctx, ref)
			if err != nil {
				b.Fatal(err)
			}
			res, err := r.Fetch(ctx, c, arts)
			if err != nil {
				b.Fatal(err)
			}
			if res.Downloaded != benchBlobs {
				b.Fatalf("downloaded %d, want %d", res.Downloaded, benchBlobs)
			}
		}
	})
	// The same transfers without the package cache (each blob read to the
	// end, digest-checked, and dropped): envlock's network side alone,
	// without the cache's fsync-and-rename per package that oras does not do.
	b.Run("envlock-nocache", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			r, err := (&Client{Keychain: testClient(nil).Keychain, Jobs: benchJobs}).Open(ctx, ref)
			if err != nil {
				b.Fatal(err)
			}
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(benchJobs)
			for _, l := range r.Manifest.Layers[1:] {
				g.Go(func() error {
					rc, err := r.Open(gctx, l)
					if err != nil {
						return err
					}
					defer rc.Close()
					_, err = io.Copy(io.Discard, rc)
					return err
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("oras", func(b *testing.B) {
		oras := orasTool(b)
		b.SetBytes(total + a.Layers[0].Size)
		for b.Loop() {
			out, _ := os.MkdirTemp(b.TempDir(), "pull")
			if o, err := exec.Command(oras, "pull", "--plain-http", "-o", out, reg.Host+"/bench/pull:v1").CombinedOutput(); err != nil {
				b.Fatalf("oras pull: %v\n%s", err, o)
			}
		}
	})
}
