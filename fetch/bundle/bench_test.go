package bundle

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/locktest"
)

// BenchmarkWrite bundles 40 packages of about 2.5 MB each (incompressible
// payload) from a warm cache to a file, and compares with a plain copy of
// the same artifacts into one file on the same disk.
func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	r := rand.New(rand.NewPCG(5, 5))
	var pkgs []*condapkg.Package
	for i := 0; i < 40; i++ {
		data := make([]byte, 2500000)
		for j := range data {
			data[j] = byte(r.IntN(256))
		}
		pkgs = append(pkgs, &condapkg.Package{Name: fmt.Sprintf("p%02d", i), Version: "1", Build: "h0_0",
			Files: []condapkg.File{{Path: fmt.Sprintf("lib/p%02d.bin", i), Data: data}}})
	}
	ch := filepath.Join(dir, "ch")
	if err := condapkg.WriteChannel(ch, pkgs, nil); err != nil {
		b.Fatal(err)
	}
	l, data := locktest.Channel(b, ch, nil)
	f := locktest.Fetcher(b, filepath.Join(dir, "pkgs"))
	var arts []cache.Artifact
	var total int64
	for _, pk := range l.Platforms[0].Packages {
		arts = append(arts, cache.Artifact{Fn: FileName(pk), URL: pk.URL, SHA256: pk.SHA256, Size: pk.Size})
		total += pk.Size
	}
	paths, err := f.Fetch(context.Background(), arts) // warm the cache
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "out.tar")
	b.SetBytes(total)
	var bundleTime, copyTime time.Duration
	for b.Loop() {
		start := time.Now()
		w, _ := os.Create(out)
		if err := Write(context.Background(), w, Input{Lock: l, LockData: data, Fetcher: f}); err != nil {
			b.Fatal(err)
		}
		w.Sync()
		w.Close()
		bundleTime += time.Since(start)

		b.StopTimer()
		start = time.Now()
		w, _ = os.Create(out + ".copy")
		for _, p := range paths {
			in, _ := os.Open(p)
			io.Copy(w, in)
			in.Close()
		}
		w.Sync()
		w.Close()
		copyTime += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/1e6/(bundleTime.Seconds()/float64(b.N)), "MB/s-bundle")
	b.ReportMetric(float64(total)/1e6/(copyTime.Seconds()/float64(b.N)), "MB/s-copy")
	b.ReportMetric(copyTime.Seconds()/bundleTime.Seconds()*100, "%-of-copy-speed")
}
