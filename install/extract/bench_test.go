package extract

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envlock/envlock/internal/testenv"
)

var (
	benchOnce sync.Once
	benchDir  string
	benchSize int64
	benchErr  error
)

// benchPackages builds one package in both formats with Debian's cph
// from a generated payload shaped like a real library package: many small
// text files (headers, python sources) and some larger binaries that
// compress like machine code.
func benchPackages(b *testing.B) (dir string, unpacked int64) {
	cph := testenv.Tool(b, "cph", "Debian's conda-package-handling builds the packages: apt-get install conda-package-handling")
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "envlock-extract-bench-")
		if benchErr != nil {
			return
		}
		src := filepath.Join(benchDir, "src")
		r := rand.New(rand.NewPCG(1, 1))
		write := func(rel string, data []byte) {
			p := filepath.Join(src, rel)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, data, 0o644)
			benchSize += int64(len(data))
		}
		write("info/index.json", []byte(`{"name": "bench", "version": "1.0", "build": "0", "build_number": 0, "depends": []}`))
		words := strings.Fields("static inline int return struct const char void unsigned long double float if else for while def class import self None True False")
		for i := 0; i < 2000; i++ {
			var sb strings.Builder
			for sb.Len() < 4000+r.IntN(8000) {
				sb.WriteString(words[r.IntN(len(words))])
				sb.WriteByte(" \n"[r.IntN(2)])
			}
			write(fmt.Sprintf("lib/python3.12/site-packages/bench/m%04d.py", i), []byte(sb.String()))
		}
		for i := 0; i < 8; i++ {
			bin := make([]byte, 4<<20)
			for j := range bin {
				if j%7 < 3 {
					bin[j] = byte(r.IntN(256))
				} else {
					bin[j] = byte(j % 97)
				}
			}
			write(fmt.Sprintf("lib/libbench%d.so", i), bin)
		}
		for _, fn := range []string{"bench-1.0-0.tar.bz2", "bench-1.0-0.conda"} {
			out, err := exec.Command(cph, "create", src, fn, "--out-folder", benchDir).CombinedOutput()
			if err != nil {
				benchErr = fmt.Errorf("cph create %s: %v\n%s", fn, err, out)
				return
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir, benchSize
}

func benchExtract(b *testing.B, fn string) {
	dir, size := benchPackages(b)
	src := filepath.Join(dir, fn)
	b.SetBytes(size)
	var ours time.Duration
	i := 0
	for b.Loop() {
		dest := filepath.Join(dir, fmt.Sprintf("out-%s-%d", fn, i))
		i++
		start := time.Now()
		if _, err := Package(context.Background(), src, dest, Options{}); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		b.StopTimer()
		os.RemoveAll(dest)
		b.StartTimer()
	}
	// cph on the same file, same number of times, outside the timer.
	b.StopTimer()
	var theirs time.Duration
	for j := 0; j < i; j++ {
		dest := filepath.Join(dir, fmt.Sprintf("cph-%s-%d", fn, j))
		start := time.Now()
		if out, err := exec.Command("cph", "x", src, "--dest", dest).CombinedOutput(); err != nil {
			b.Fatalf("cph x: %v\n%s", err, out)
		}
		theirs += time.Since(start)
		os.RemoveAll(dest)
	}
	b.ReportMetric(float64(size)*float64(i)/ours.Seconds()/1e6, "MB/s-envlock")
	b.ReportMetric(float64(size)*float64(i)/theirs.Seconds()/1e6, "MB/s-cph")
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "x-faster-than-cph")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func BenchmarkExtractConda(b *testing.B)  { benchExtract(b, "bench-1.0-0.conda") }
func BenchmarkExtractTarBz2(b *testing.B) { benchExtract(b, "bench-1.0-0.tar.bz2") }
