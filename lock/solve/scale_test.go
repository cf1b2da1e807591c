package solve

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/internal/scale"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/virtual"
)

// The conda-forge-sized channel: the real subset times 15 universes times
// 10 versions ≈ 437,000 linux-64 + noarch records, ≈ 310 MB of JSON.
var scaleOpts = scale.Options{Universes: 15, Variants: 9}

var (
	scaleOnce sync.Once
	scaleDir  string
	scaleSt   scale.Stats
	scaleErr  error
)

// scaledChannel generates the channel once per benchmark process (it
// takes a few seconds to write; the output is the same every time).
func scaledChannel(b *testing.B) (string, scale.Stats) {
	base := testdata.SharedPath(b, "repodata/conda-forge-py39-subset")
	scaleOnce.Do(func() {
		scaleDir = filepath.Join(os.TempDir(), "envlock-scale-u15-v9")
		scaleSt, scaleErr = scale.Generate(base, scaleDir, scaleOpts)
	})
	if scaleErr != nil {
		b.Fatal(scaleErr)
	}
	return scaleDir, scaleSt
}

func loadScaled(b *testing.B, dir string) ([]*repodata.Record, int64) {
	var recs []*repodata.Record
	var n int64
	for _, sub := range []string{"linux-64", "noarch"} {
		data, err := os.ReadFile(filepath.Join(dir, sub, "repodata.json"))
		if err != nil {
			b.Fatal(err)
		}
		n += int64(len(data))
		rd, err := repodata.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		ch, _ := channel.Parse(dir, "", "")
		channel.Resolve(ch, platform.Platform(sub), rd)
		recs = append(recs, rd.Records...)
	}
	return recs, n
}

// BenchmarkLoadIndexScaled reads the uncompressed conda-forge-sized
// repodata from disk, parses it and indexes it by name.
func BenchmarkLoadIndexScaled(b *testing.B) {
	dir, st := scaledChannel(b)
	b.SetBytes(st.Bytes)
	var peak uint64
	for b.Loop() {
		recs, _ := loadScaled(b, dir)
		idx := NewIndex(recs)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
		if len(idx) == 0 {
			b.Fatal("empty index")
		}
	}
	b.ReportMetric(float64(st.Records), "records")
	b.ReportMetric(float64(st.Bytes)/1e6, "MB-json")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/load")
	b.ReportMetric(float64(peak)/1e6, "MB-heap")
}

// BenchmarkSolveScaled solves a python stack on the conda-forge-sized
// index, after loading (not timed).
func BenchmarkSolveScaled(b *testing.B) {
	dir, _ := scaledChannel(b)
	recs, _ := loadScaled(b, dir)
	idx := NewIndex(recs)
	virt := virtual.Records(virtual.For(platform.Linux64, virtual.System{}))
	ss := specs(b, "python 3.9.*", "pip", "setuptools", "curl", "zstd", "xorg-libx11", "tk", "certifi")
	b.ResetTimer()
	var st Stats
	for b.Loop() {
		sol, err := Solve(context.Background(), &Problem{Index: idx, Specs: ss, Virtual: virt, Channels: []string{"file://" + dir}})
		if err != nil {
			b.Fatal(err)
		}
		st = sol.Stats
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/solve")
	b.ReportMetric(float64(st.Candidates), "candidates")
}

// BenchmarkSolveSudoku proves mamba's sudoku channel unsatisfiable (see
// TestSudoku): a hard search of 729 records.
func BenchmarkSolveSudoku(b *testing.B) {
	path := testdata.SharedPath(b, "repodata/sudoku.json")
	idx := NewIndex(loadRepodata(b, path, "sudoku"))
	var names []string
	for n := range idx {
		names = append(names, n)
	}
	sort.Strings(names)
	ss := specs(b, names...)
	for b.Loop() {
		_, err := Solve(context.Background(), &Problem{Index: idx, Specs: ss, Channels: []string{"sudoku"}})
		if err == nil {
			b.Fatal("sudoku.json solved; it is unsatisfiable")
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/solve")
}
