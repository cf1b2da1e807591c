//go:build unix

package channel_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/internal/netsim"
	"github.com/envlock/envlock/internal/rattlertest"
	"github.com/envlock/envlock/internal/scale"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/lock/solve"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/virtual"
)

// The conda-forge-sized channel of the issue: the real conda-forge subset
// plus the old defaults linux-64 index (for numpy, scipy, pandas and
// matplotlib, in the first universe only), times 15 universes times 10
// versions; written as repodata.json, repodata.json.zst and CEP-16 shards.
//
// In this channel numpy, scipy, pandas and matplotlib exist only for the
// old defaults pythons, so the request pins python 3.6 as the newest
// python they share, which is the shape of the same request on
// conda-forge (the newest python the stack is built for). hardSpecs
// leaves python open: the solver then starts from conda-forge's python
// 3.12 and must learn its way down, a much harder search for envlock and
// py-rattler alike.
var (
	benchSpecs = []string{"python 3.6.*", "numpy", "scipy", "pandas", "matplotlib"}
	hardSpecs  = []string{"python", "numpy", "scipy", "pandas", "matplotlib"}
)

const benchVersion = "scale-bench-3"

var (
	benchOnce  sync.Once
	benchDir   string
	benchSizes struct{ json, zst, shards int64 }
	benchErr   error
)

func benchChannel(tb testing.TB) string {
	base := testdata.SharedPath(tb, "repodata/conda-forge-py39-subset")
	extra := []string{
		testdata.SharedPath(tb, "repodata/anaconda-defaults-old/index4.json"),
	}
	benchOnce.Do(func() {
		benchDir = filepath.Join(os.TempDir(), "envlock-"+benchVersion)
		marker := filepath.Join(benchDir, "sizes")
		if b, err := os.ReadFile(marker); err == nil {
			if _, err := fmt.Sscan(string(b), &benchSizes.json, &benchSizes.zst, &benchSizes.shards); err == nil {
				return
			}
		}
		os.RemoveAll(benchDir)
		st, err := scale.Generate(base, benchDir, scale.Options{Universes: 15, Variants: 9, Extra: extra})
		if err != nil {
			benchErr = err
			return
		}
		benchSizes.json = st.Bytes
		if benchSizes.shards, err = scale.Shard(benchDir); err != nil {
			benchErr = err
			return
		}
		enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		for _, sub := range []string{"linux-64", "noarch"} {
			data, err := os.ReadFile(filepath.Join(benchDir, sub, "repodata.json"))
			if err != nil {
				benchErr = err
				return
			}
			z := enc.EncodeAll(data, nil)
			benchSizes.zst += int64(len(z))
			if err := os.WriteFile(filepath.Join(benchDir, sub, "repodata.json.zst"), z, 0o644); err != nil {
				benchErr = err
				return
			}
		}
		benchErr = os.WriteFile(marker, fmt.Appendf(nil, "%d %d %d\n", benchSizes.json, benchSizes.zst, benchSizes.shards), 0o644)
	})
	if benchErr != nil {
		tb.Fatal(benchErr)
	}
	return benchDir
}

func benchProblem(tb testing.TB, idx solve.Index, chURL string, specs []string) *solve.Problem {
	var ms []*matchspec.MatchSpec
	for _, s := range specs {
		m, err := matchspec.Parse(s)
		if err != nil {
			tb.Fatal(err)
		}
		ms = append(ms, m)
	}
	return &solve.Problem{Index: idx, Specs: ms, Channels: []string{chURL},
		Virtual: virtual.Records(virtual.For(platform.Linux64, virtual.System{Glibc: "2.17"}))}
}

// BenchmarkLockShardedCold locks python, numpy, scipy, pandas and
// matplotlib for linux-64 from the sharded conda-forge-sized channel with
// an empty cache, over a loopback link with 20 ms latency per request and
// 100 Mbit/s shared bandwidth: shard index, shards of the dependency
// closure, solve.
func BenchmarkLockShardedCold(b *testing.B) { benchShardedCold(b, benchSpecs) }

// BenchmarkLockShardedColdHard is BenchmarkLockShardedCold with python
// left open (hardSpecs).
func BenchmarkLockShardedColdHard(b *testing.B) { benchShardedCold(b, hardSpecs) }

func benchShardedCold(b *testing.B, specs []string) {
	dir := benchChannel(b)
	link := &netsim.Link{Latency: 20 * time.Millisecond, BitsPerSecond: 100_000_000}
	srv := httptest.NewServer(link.Handler(http.FileServer(http.Dir(dir))))
	defer srv.Close()
	ch, _ := channel.Parse(srv.URL, "", "")
	var st channel.Stats
	var n int
	var fetch, solving, cpuFetch, cpuSolve time.Duration
	for b.Loop() {
		start, c0 := time.Now(), cpuTime()
		g := channel.NewGateway(newClient(b.TempDir()))
		ctx := context.Background()
		ix, err := g.Index(ctx, []channel.Channel{ch}, platform.Linux64)
		if err != nil {
			b.Fatal(err)
		}
		var roots []string
		for _, s := range specs {
			roots = append(roots, strings.Fields(s)[0])
		}
		if err := ix.Prefetch(ctx, roots); err != nil {
			b.Fatal(err)
		}
		fetched, c1 := time.Now(), cpuTime()
		fetch += fetched.Sub(start)
		cpuFetch += c1 - c0
		sol, err := solve.Solve(ctx, benchProblem(b, ix, ch.URL, specs))
		if err != nil {
			b.Fatal(err)
		}
		solving += time.Since(fetched)
		cpuSolve += cpuTime() - c1
		n = len(sol.Records)
		st = g.Stats()
	}
	fetched := st.ShardBytesNetwork + st.ShardIndexBytesNetwork
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/lock")
	b.ReportMetric(fetch.Seconds()/float64(b.N), "s/fetch")
	b.ReportMetric(solving.Seconds()/float64(b.N), "s/solve")
	// CPU seconds of the whole process (the loopback server included):
	// on a shared machine they say more than wall time.
	b.ReportMetric(cpuFetch.Seconds()/float64(b.N), "cpu-s/fetch")
	b.ReportMetric(cpuSolve.Seconds()/float64(b.N), "cpu-s/solve")
	b.ReportMetric(float64(fetched)/1e6, "MB-fetched")
	b.ReportMetric(100*float64(fetched)/float64(benchSizes.json), "%-of-json")
	b.ReportMetric(100*float64(fetched)/float64(benchSizes.zst), "%-of-json.zst")
	b.ReportMetric(float64(st.ShardsNetwork), "shards")
	b.ReportMetric(float64(n), "packages")
}

// BenchmarkLockRepodataCold is the same cold lock from repodata.json.zst
// over the same link, for comparison.
func BenchmarkLockRepodataCold(b *testing.B) {
	dir := benchChannel(b)
	link := &netsim.Link{Latency: 20 * time.Millisecond, BitsPerSecond: 100_000_000}
	srv := httptest.NewServer(link.Handler(http.FileServer(http.Dir(dir))))
	defer srv.Close()
	ch, _ := channel.Parse(srv.URL, "", "")
	var st channel.Stats
	for b.Loop() {
		g := channel.NewGateway(newClient(b.TempDir()))
		g.NoShards = true
		ctx := context.Background()
		ix, err := g.Index(ctx, []channel.Channel{ch}, platform.Linux64)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := solve.Solve(ctx, benchProblem(b, ix, ch.URL, benchSpecs)); err != nil {
			b.Fatal(err)
		}
		g.Close()
		st = g.Stats()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/lock")
	b.ReportMetric(float64(st.RepodataBytesNetwork)/1e6, "MB-fetched")
}

// childEnv makes the test binary run one load+solve and report its
// time, its process's CPU time and peak RSS (VmHWM): peak memory is
// measured in a process that did nothing else, and CPU time says more
// than wall time on a shared machine. The Go process's CPU time includes
// its start (small); python's includes importing rattler.
const childEnv = "ENVLOCK_BENCH_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(benchChild(mode))
	}
	os.Exit(m.Run())
}

func benchChild(mode string) int {
	dir := os.Getenv(childEnv + "_DIR")
	ch, err := channel.Parse(dir, "", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	start := time.Now()
	var idx solve.Index
	switch mode {
	case "lazy", "skim":
		cache := filepath.Join(os.TempDir(), "envlock-bench-cache")
		if mode == "skim" {
			// A fresh cache: the repodata.json is skimmed, no saved index.
			var err error
			if cache, err = os.MkdirTemp("", "envlock-bench-cache-"); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(cache)
		}
		g := channel.NewGateway(newClient(cache))
		g.NoShards = true
		ix, err := g.Index(ctx, []channel.Channel{ch}, platform.Linux64)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		idx = ix
	case "eager":
		var recs []*repodata.Record
		for _, sub := range []string{"linux-64", "noarch"} {
			rd, err := channel.LoadSubdir(ch, platform.Platform(sub))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			recs = append(recs, rd.Records...)
		}
		idx = solve.NewIndex(recs)
	}
	sol, err := solve.Solve(ctx, benchProblem(&testing.B{}, idx, ch.URL, strings.Split(os.Getenv(childEnv+"_SPECS"), ",")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cpu := cpuTime()
	fmt.Printf("RESULT seconds=%f cpu=%f hwm_kb=%d packages=%d\n", time.Since(start).Seconds(), cpu.Seconds(), vmHWM(), len(sol.Records))
	return 0
}

// cpuTime returns the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM returns this process's peak resident set in kB.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// runChild runs cmd and parses its RESULT line.
func runChild(b *testing.B, cmd *exec.Cmd) (secs, cpu float64, hwmKB int64, pkgs int) {
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			b.Fatalf("%s: %v\n%s\n%s", cmd.Args[0], err, out, ee.Stderr)
		}
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			if _, err := fmt.Sscanf(rest, "seconds=%f cpu=%f hwm_kb=%d packages=%d", &secs, &cpu, &hwmKB, &pkgs); err != nil {
				b.Fatalf("bad result line %q: %v", line, err)
			}
			return
		}
	}
	b.Fatalf("no result from %s:\n%s", cmd.Args[0], out)
	return
}

func benchLoadSolve(b *testing.B, mode string, specs []string) {
	dir := benchChannel(b)
	var secs, cpu float64
	var peak int64
	var pkgs int
	if mode == "lazy" {
		// The cache as a first lock leaves it: repodata.json indexed.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"="+mode, childEnv+"_DIR="+dir, childEnv+"_SPECS="+strings.Join(specs, ","))
		runChild(b, cmd)
		b.ResetTimer()
	}
	for b.Loop() {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"="+mode, childEnv+"_DIR="+dir, childEnv+"_SPECS="+strings.Join(specs, ","))
		s, c, h, n := runChild(b, cmd)
		secs += s
		cpu += c
		peak = max(peak, h)
		pkgs = n
	}
	b.ReportMetric(secs/float64(b.N), "s/load+solve")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/process")
	b.ReportMetric(float64(peak)/1024, "MiB-peak-rss")
	b.ReportMetric(float64(pkgs), "packages")
}

// BenchmarkLoadSolveLazyJSON loads the cached conda-forge-sized
// repodata.json (linux-64 and noarch) lazily and solves python, numpy,
// scipy, pandas and matplotlib, in a child process whose peak RSS is
// reported. The cache is as a first lock leaves it: the files' name
// indexes saved (BenchmarkLoadSolveSkimJSON skims them every time).
func BenchmarkLoadSolveLazyJSON(b *testing.B) { benchLoadSolve(b, "lazy", benchSpecs) }

// BenchmarkLoadSolveLazyJSONHard is BenchmarkLoadSolveLazyJSON with
// python left open (hardSpecs).
func BenchmarkLoadSolveLazyJSONHard(b *testing.B) { benchLoadSolve(b, "lazy", hardSpecs) }

// BenchmarkLoadSolveSkimJSON is BenchmarkLoadSolveLazyJSON with no saved
// index: each run skims the files.
func BenchmarkLoadSolveSkimJSON(b *testing.B) { benchLoadSolve(b, "skim", benchSpecs) }

// BenchmarkLoadSolveSkimJSONHard is BenchmarkLoadSolveSkimJSON with
// python left open (hardSpecs).
func BenchmarkLoadSolveSkimJSONHard(b *testing.B) { benchLoadSolve(b, "skim", hardSpecs) }

// BenchmarkLoadSolveEagerJSON is the same with every record parsed up
// front (the path before name-by-name loading), for comparison.
func BenchmarkLoadSolveEagerJSON(b *testing.B) { benchLoadSolve(b, "eager", benchSpecs) }

// rattlerScript loads the same repodata.json files with py-rattler's
// SparseRepoData (it too decodes only the names it reaches) and solves
// the same specs, reporting its time and peak RSS (ru_maxrss, kB).
const rattlerScript = `
import asyncio, os, resource, sys, time, json
from rattler import Channel, GenericVirtualPackage, PackageName, Version, BuildString, SparseRepoData, solve_with_sparse_repodata
d, virt, specs = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
vps = [GenericVirtualPackage(PackageName(n), Version(v), BuildString(b)) for n, v, b in virt]
t = time.perf_counter()
ch = Channel("file://" + d)
srcs = [SparseRepoData(ch, s, os.path.join(d, s, "repodata.json")) for s in ("linux-64", "noarch")]
recs = asyncio.run(solve_with_sparse_repodata(specs, srcs, virtual_packages=vps))
secs = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT seconds=%f cpu=%f hwm_kb=%d packages=%d" % (secs, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, len(recs)))
sys.stdout.flush()
os._exit(0)
`

// BenchmarkRattlerLoadSolveJSON is py-rattler 0.28 doing what
// BenchmarkLoadSolveLazyJSON does, on the same files.
func BenchmarkRattlerLoadSolveJSON(b *testing.B) { benchRattler(b, benchSpecs) }

// BenchmarkRattlerLoadSolveJSONHard is BenchmarkRattlerLoadSolveJSON with
// python left open (hardSpecs).
func BenchmarkRattlerLoadSolveJSONHard(b *testing.B) { benchRattler(b, hardSpecs) }

func benchRattler(b *testing.B, specs []string) {
	py := rattlertest.Python(b)
	dir := benchChannel(b)
	script := filepath.Join(b.TempDir(), "load_solve.py")
	if err := os.WriteFile(script, []byte(rattlerScript), 0o644); err != nil {
		b.Fatal(err)
	}
	var vs []string
	for _, v := range virtual.For(platform.Linux64, virtual.System{Glibc: "2.17"}) {
		vs = append(vs, fmt.Sprintf("[%q, %q, %q]", v.Name, v.Version, v.Build))
	}
	var secs, cpu float64
	var peak int64
	var pkgs int
	for b.Loop() {
		s, c, h, n := runChild(b, exec.Command(py, append([]string{script, dir, "[" + strings.Join(vs, ",") + "]"}, specs...)...))
		secs += s
		cpu += c
		peak = max(peak, h)
		pkgs = n
	}
	b.ReportMetric(secs/float64(b.N), "s/load+solve")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/process")
	b.ReportMetric(float64(peak)/1024, "MiB-peak-rss")
	b.ReportMetric(float64(pkgs), "packages")
}
