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
// dsnet/compress's, and dsnet's decoding blocks in parallel (bz2Reader),
// on the benchmark package, decompressing to nowhere.
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
		{"parallel", func(r io.Reader) io.Reader {
			return newBz2Reader(r.(io.ReadSeeker))
		}},
	} {
		b.Run(dec.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				f, err := os.Open(src)
				if err != nil {
					b.Fatal(err)
				}
				var r io.Reader = f
				if dec.name != "parallel" {
					r = bufio.NewReaderSize(f, 1<<16)
				}
				zr := dec.open(r)
				if _, err := io.Copy(io.Discard, zr); err != nil {
					b.Fatal(err)
				}
				if z, ok := zr.(*bz2Reader); ok {
					if z.seq != nil {
						b.Fatal("the parallel decoder fell back to the sequential one")
					}
					z.Close()
				}
				f.Close()
			}
		})
	}
}
