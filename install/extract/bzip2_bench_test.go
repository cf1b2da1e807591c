package extract

import (
	"bufio"
	"compress/bzip2"
	"io"
	"os"
	"path/filepath"
	"testing"

	dsbzip2 "github.com/dsnet/compress/bzip2"
)

// BenchmarkBzip2 compares the standard library's bzip2 decoder with
// dsnet/compress's on the benchmark package, decompressing to nowhere.
func BenchmarkBzip2(b *testing.B) {
	dir, size := benchPackages(b)
	src := filepath.Join(dir, "bench-1.0-0.tar.bz2")
	for _, dec := range []struct {
		name string
		open func(io.Reader) io.Reader
	}{
		{"stdlib", func(r io.Reader) io.Reader { return bzip2.NewReader(r) }},
		{"dsnet", func(r io.Reader) io.Reader {
			zr, err := dsbzip2.NewReader(r, nil)
			if err != nil {
				b.Fatal(err)
			}
			return zr
		}},
	} {
		b.Run(dec.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				f, err := os.Open(src)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, dec.open(bufio.NewReaderSize(f, 1<<16))); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}
