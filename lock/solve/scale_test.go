package solve

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
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

func loadScaled(b testing.TB, dir string) ([]*repodata.Record, int64) {
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
// repodata from disk, parses it and indexes it by name. Memory is
// measured where it means something: MB-peak-rss is the peak resident
// size (VmHWM) of a child process that does one load and nothing else,
// what a user's "envlock lock" would need at least; MB-index-live is the
// heap still in use after a garbage collection with the index alive,
// what the index costs while the solver runs.
func BenchmarkLoadIndexScaled(b *testing.B) {
	dir, st := scaledChannel(b)
	b.SetBytes(st.Bytes)
	for b.Loop() {
		recs, _ := loadScaled(b, dir)
		if idx := NewIndex(recs); len(idx) == 0 {
			b.Fatal("empty index")
		}
	}
	b.ReportMetric(float64(st.Records), "records")
	b.ReportMetric(float64(st.Bytes)/1e6, "MB-json")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/load")

	b.StopTimer()
	recs, _ := loadScaled(b, dir)
	idx := NewIndex(recs)
	recs = nil
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(idx)
	b.ReportMetric(float64(ms.HeapAlloc)/1e6, "MB-index-live")
	b.ReportMetric(float64(loadPeakRSS(b, dir))/1e6, "MB-peak-rss")
}

// loadChildEnv names the scaled channel TestLoadScaledChild loads.
const loadChildEnv = "ENVLOCK_LOAD_SCALED_CHILD"

// loadPeakRSS runs this test binary again as a child that loads and
// indexes the channel at dir once, and returns the child's peak resident
// set size in bytes (VmHWM from /proc/self/status, read by the child
// after the load). A child, because this process's own peak includes the
// benchmark loop's garbage and whatever ran before.
func loadPeakRSS(b *testing.B, dir string) int64 {
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadScaledChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), loadChildEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("the load child failed: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(out)
	if m == nil {
		b.Fatalf("the load child printed no VmHWM:\n%s", out)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb * 1024
}

// TestLoadScaledChild is BenchmarkLoadIndexScaled's child process: with
// $ENVLOCK_LOAD_SCALED_CHILD set it loads that channel, indexes it and
// prints its own VmHWM; otherwise it does nothing.
func TestLoadScaledChild(t *testing.T) {
	dir := os.Getenv(loadChildEnv)
	if dir == "" {
		return
	}
	recs, _ := loadScaled(t, dir)
	idx := NewIndex(recs)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Print(line)
		}
	}
	t.Logf("%d names indexed", len(idx))
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
