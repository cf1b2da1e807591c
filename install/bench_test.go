package install

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/envlock/envlock/fetch/bundle"
	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/internal/condapkg"
)

// BenchmarkInstallWarm installs a generated lock of 40 packages and
// 10,000 files from a warm cache (everything downloaded and extracted)
// into a new prefix: hard links, 1% of files with text placeholders
// rewritten, conda-meta, the swap.
func BenchmarkInstallWarm(b *testing.B) {
	ch := benchChannel(b)
	l, data := lockOf(b, ch, nil)
	f := fetcher(b, b.TempDir())
	root := b.TempDir()
	warm := filepath.Join(root, "warm")
	if _, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: warm, Fetcher: f}); err != nil {
		b.Fatal(err)
	}
	files := 0
	i := 0
	for b.Loop() {
		prefix := filepath.Join(root, fmt.Sprintf("env%d", i))
		i++
		res, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f})
		if err != nil {
			b.Fatal(err)
		}
		files = res.Files
		b.StopTimer()
		os.RemoveAll(prefix)
		b.StartTimer()
	}
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/install")
}

// benchChannel writes the 40-package, 10,000-file channel of the install
// benchmarks.
func benchChannel(b *testing.B) string {
	return benchChannelIn(b, filepath.Join(b.TempDir(), "channel"))
}

// benchChannelIn writes the benchmarks' channel at ch.
func benchChannelIn(b testing.TB, ch string) string {
	var pkgs []*condapkg.Package
	for i := 0; i < 40; i++ {
		p := &condapkg.Package{Name: fmt.Sprintf("pkg%02d", i), Version: "1.0", Build: "h0_0"}
		for j := 0; j < 250; j++ {
			f := condapkg.File{Path: fmt.Sprintf("lib/pkg%02d/f%03d.txt", i, j), Data: []byte(fmt.Sprintf("file %d of package %d\n", j, i))}
			if j%100 == 0 {
				f.Data = []byte("prefix=" + condapkg.TextPlaceholder + "\n")
				f.Placeholder = "text"
			}
			p.Files = append(p.Files, f)
		}
		pkgs = append(pkgs, p)
	}
	if err := condapkg.WriteChannel(ch, pkgs, nil); err != nil {
		b.Fatal(err)
	}
	return ch
}

// BenchmarkInstallBundle compares installing from an offline bundle into
// an empty package cache (read the tar, store and hash each artifact,
// extract, link) with installing the same lock from a cache that holds
// the artifacts but no extractions, plus one sha256 pass over the
// artifacts: the bundle should cost no more than that sum.
func BenchmarkInstallBundle(b *testing.B) {
	ch := benchChannel(b)
	l, data := lockOf(b, ch, nil)
	root := b.TempDir()
	f0 := fetcher(b, filepath.Join(root, "pkgs0"))
	var arts []cache.Artifact
	for _, pk := range l.Platforms[0].Packages {
		arts = append(arts, cache.Artifact{Fn: fileName(pk), URL: pk.URL, SHA256: pk.SHA256, Size: pk.Size})
	}
	paths, err := f0.Fetch(context.Background(), arts)
	if err != nil {
		b.Fatal(err)
	}
	bpath := filepath.Join(root, "b.envlock.tar")
	bf, _ := os.Create(bpath)
	if err := bundle.Write(context.Background(), bf, bundle.Input{Lock: l, LockData: data, Fetcher: f0}); err != nil {
		b.Fatal(err)
	}
	bf.Close()

	// One sha256 pass over the artifacts.
	var shaTime time.Duration
	var total int64
	for range 5 {
		start := time.Now()
		total = 0
		for _, p := range paths {
			d, _ := os.ReadFile(p)
			sha256.Sum256(d)
			total += int64(len(d))
		}
		if d := time.Since(start); shaTime == 0 || d < shaTime {
			shaTime = d
		}
	}

	// run times fill then Apply, the best of three; prepare runs before
	// the clock starts (b.StopTimer would not stop time.Now).
	run := func(b *testing.B, prepare, fill func(c *cache.Cache) error) time.Duration {
		var spent time.Duration
		for i := range 3 { // the best of three: file creation on a shared disk is noisy
			pkgs := filepath.Join(root, fmt.Sprintf("pkgs-%s-%d", b.Name(), i))
			f := fetcher(b, pkgs)
			prefix := filepath.Join(root, fmt.Sprintf("env-%d", i))
			if err := prepare(f.Cache); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			if err := fill(f.Cache); err != nil {
				b.Fatal(err)
			}
			if _, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f}); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			if spent == 0 || d < spent {
				spent = d
			}
			os.RemoveAll(prefix)
			os.RemoveAll(pkgs)
		}
		return spent
	}
	nothing := func(*cache.Cache) error { return nil }
	for b.Loop() {
		// Artifacts in the cache, not extracted: what a plain
		// "downloaded earlier" cache holds. Linking them in is setup.
		cached := run(b, func(c *cache.Cache) error {
			for _, p := range paths {
				if err := os.Link(p, filepath.Join(c.Writable(), filepath.Base(p))); err != nil {
					return err
				}
			}
			return nil
		}, nothing)
		fromBundle := run(b, nothing, func(c *cache.Cache) error {
			f, err := os.Open(bpath)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = bundle.Read(context.Background(), f, c, "linux-64", nil)
			return err
		})
		b.ReportMetric(float64(cached.Milliseconds()), "ms-cached-install")
		b.ReportMetric(float64(shaTime.Microseconds())/1000, "ms-sha256-pass")
		b.ReportMetric(float64(fromBundle.Milliseconds()), "ms-bundle-install")
		b.ReportMetric(float64(fromBundle)/float64(cached+shaTime), "bundle/(cached+sha)")
		b.ReportMetric(float64(total)/1e6, "MB-artifacts")
	}
}
