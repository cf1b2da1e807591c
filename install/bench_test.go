package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/internal/condapkg"
)

// BenchmarkInstallWarm installs a generated lock of 40 packages and
// 10,000 files from a warm cache (everything downloaded and extracted)
// into a new prefix: hard links, 1% of files with text placeholders
// rewritten, conda-meta, the swap.
func BenchmarkInstallWarm(b *testing.B) {
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
	ch := filepath.Join(b.TempDir(), "channel")
	if err := condapkg.WriteChannel(ch, pkgs, nil); err != nil {
		b.Fatal(err)
	}
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
