package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	benchOnce   sync.Once
	benchPrefix string
	benchBytes  int64
	benchErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchPrefix != "" {
		os.RemoveAll(filepath.Dir(benchPrefix))
	}
	os.Exit(code)
}

// bigPrefix writes a prefix of 10,000 files, 500 MB in all (sizes spread
// from 1 KB to ~200 KB like a real environment's), owned by 20 packages
// whose conda-meta records carry sha256 and size as conda writes them.
func bigPrefix(b *testing.B) (string, int64) {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "envlock-bench-verify-")
		if err != nil {
			benchErr = err
			return
		}
		benchPrefix = filepath.Join(dir, "env")
		const files, total = 10000, 500 << 20
		r := rand.New(rand.NewSource(1))
		sizes := make([]int64, files)
		var sum int64
		for i := range sizes {
			sizes[i] = 1024 + r.Int63n(2*total/files-2048)
			sum += sizes[i]
		}
		buf := make([]byte, 256<<10)
		r.Read(buf)
		recs := make([][]metaPath, 20)
		for i, n := range sizes {
			rel := fmt.Sprintf("lib/pkg%02d/sub%02d/file%05d.so", i%20, (i/20)%50, i)
			p := filepath.Join(benchPrefix, filepath.FromSlash(rel))
			os.MkdirAll(filepath.Dir(p), 0o755)
			data := make([]byte, n)
			for off := int64(0); off < n; off += int64(len(buf)) {
				copy(data[off:], buf)
			}
			data[0] = byte(i) // distinct contents
			data[1] = byte(i >> 8)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				benchErr = err
				return
			}
			h := sha256.Sum256(data)
			sz := n
			recs[i%20] = append(recs[i%20], metaPath{Path: rel, Type: "hardlink", SHA256: hex.EncodeToString(h[:]), Size: &sz})
			benchBytes += n
		}
		os.MkdirAll(filepath.Join(benchPrefix, "conda-meta"), 0o755)
		for i, paths := range recs {
			var files []string
			for _, p := range paths {
				files = append(files, p.Path)
			}
			rec := map[string]any{"name": fmt.Sprintf("pkg%02d", i), "version": "1.0", "build": "0", "files": files,
				"paths_data": map[string]any{"paths_version": 1, "paths": paths}}
			data, _ := json.Marshal(rec)
			os.WriteFile(filepath.Join(benchPrefix, "conda-meta", fmt.Sprintf("pkg%02d-1.0-0.json", i)), data, 0o644)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPrefix, benchBytes
}

// BenchmarkVerify verifies (full sha256 of every file) a generated
// 10,000-file, 500 MB prefix, warm in the page cache; MB/s is the figure.
// Compare with BenchmarkSHA256Cores, the hashing ceiling of this machine.
func BenchmarkVerify(b *testing.B) {
	prefix, total := bigPrefix(b)
	b.SetBytes(total)
	b.ResetTimer()
	for range b.N {
		r, err := Prefix(context.Background(), Options{Prefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		if r.Status != StatusClean || r.Files.Checked != 10000 || r.Files.Bytes != total {
			b.Fatalf("status %s, %d files, %d bytes", r.Status, r.Files.Checked, r.Files.Bytes)
		}
	}
}

// BenchmarkVerifyQuick is verify --quick (sizes and mtimes) of the same prefix.
func BenchmarkVerifyQuick(b *testing.B) {
	prefix, _ := bigPrefix(b)
	b.ResetTimer()
	for range b.N {
		if _, err := Prefix(context.Background(), Options{Prefix: prefix, Quick: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkSHA256Cores hashes in memory on every core: the ceiling for
// BenchmarkVerify on this machine.
func BenchmarkSHA256Cores(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	b.RunParallel(func(pb *testing.PB) {
		h := sha256.New()
		for pb.Next() {
			h.Reset()
			h.Write(buf)
			h.Sum(nil)
		}
	})
}
