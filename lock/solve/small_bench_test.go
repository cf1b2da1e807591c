package solve

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/rattlertest"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/virtual"
)

// The small in-process solves the issue compares with py-rattler: the
// python 3.6 data stack on the old defaults index, and a python 3.9 tree
// on the conda-forge subset. Records are loaded before timing; only the
// solve is timed, on both sides.
var smallCases = []struct {
	name  string
	files []string // repodata.json files or flat indexes, relative to ../shared/data
	specs []string
}{
	{"defaults", []string{"repodata/anaconda-defaults-old/index4.json"}, []string{"python 3.6.*", "numpy", "scipy", "pandas", "matplotlib"}},
	{"subset", []string{"repodata/conda-forge-py39-subset/linux-64/repodata.json", "repodata/conda-forge-py39-subset/noarch/repodata.json"},
		[]string{"python 3.9.*", "pip", "setuptools", "curl", "zstd", "xorg-libx11", "tk", "certifi"}},
}

// smallChannel writes the case's records as a channel directory (linux-64
// and noarch repodata.json) that both solvers read, and returns the
// records envlock solves on.
func smallChannel(b *testing.B, files []string) (string, []*repodata.Record) {
	dir := b.TempDir()
	var recs []*repodata.Record
	subs := map[string]map[string]*repodata.Record{"linux-64": {}, "noarch": {}}
	for _, f := range files {
		data, err := os.ReadFile(testdata.SharedPath(b, f))
		if err != nil {
			b.Fatal(err)
		}
		var rs []*repodata.Record
		if strings.HasSuffix(filepath.Dir(f), "anaconda-defaults-old") {
			rs, err = repodata.ParseIndex(data)
		} else {
			var rd *repodata.Repodata
			rd, err = repodata.Parse(data)
			if rd != nil {
				rs = rd.Records
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			sub := "linux-64"
			if r.Subdir == "noarch" || strings.Contains(f, "/noarch/") {
				sub = "noarch"
			}
			r.Subdir = sub
			r.Channel = "file://" + dir
			subs[sub][r.Fn] = r
			recs = append(recs, r)
		}
	}
	for sub, m := range subs {
		out, err := json.Marshal(map[string]any{"info": map[string]string{"subdir": sub}, "packages": m})
		if err != nil {
			b.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sub, "repodata.json"), out, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir, recs
}

func smallVirtual() ([]*repodata.Record, [][3]string) {
	virt := virtual.For(platform.Linux64, virtual.System{Glibc: "2.17"})
	var vs [][3]string
	for _, v := range virt {
		vs = append(vs, [3]string{v.Name, v.Version, v.Build})
	}
	return virtual.Records(virt), vs
}

// BenchmarkSolveSmall times envlock's solve of each small case.
func BenchmarkSolveSmall(b *testing.B) {
	for _, tc := range smallCases {
		b.Run(tc.name, func(b *testing.B) {
			dir, recs := smallChannel(b, tc.files)
			idx := NewIndex(recs)
			virt, _ := smallVirtual()
			ss := specs(b, tc.specs...)
			var n int
			for b.Loop() {
				sol, err := Solve(context.Background(), &Problem{Index: idx, Specs: ss, Virtual: virt, Channels: []string{"file://" + dir}})
				if err != nil {
					b.Fatal(err)
				}
				n = len(sol.Records)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/solve")
			b.ReportMetric(float64(n), "packages")
		})
	}
}

// rattlerSmall loads the channel with SparseRepoData once, then times
// each of N solves (solve_with_sparse_repodata) and prints the fastest
// and the median in ms.
const rattlerSmall = `
import asyncio, json, os, sys, time
from rattler import Channel, GenericVirtualPackage, PackageName, Version, BuildString, SparseRepoData, solve_with_sparse_repodata
d, n, virt, specs = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4:]
vps = [GenericVirtualPackage(PackageName(a), Version(b), BuildString(c)) for a, b, c in virt]
ch = Channel("file://" + d)
srcs = [SparseRepoData(ch, s, os.path.join(d, s, "repodata.json")) for s in ("linux-64", "noarch")]
times = []
for _ in range(n):
    t = time.perf_counter()
    recs = asyncio.run(solve_with_sparse_repodata(specs, srcs, virtual_packages=vps))
    times.append(time.perf_counter() - t)
times.sort()
print("RESULT min_ms=%f median_ms=%f packages=%d" % (times[0]*1000, times[len(times)//2]*1000, len(recs)))
sys.stdout.flush()
os._exit(0)
`

// BenchmarkRattlerSolveSmall times py-rattler's solve of each small case
// in its own process (N solves per run; b.N runs).
func BenchmarkRattlerSolveSmall(b *testing.B) {
	py := rattlertest.Python(b)
	script := filepath.Join(b.TempDir(), "small_solve.py")
	if err := os.WriteFile(script, []byte(rattlerSmall), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, tc := range smallCases {
		b.Run(tc.name, func(b *testing.B) {
			dir, _ := smallChannel(b, tc.files)
			_, vs := smallVirtual()
			vj, _ := json.Marshal(vs)
			var minMS, medMS float64
			var n int
			for b.Loop() {
				out, err := exec.Command(py, append([]string{script, dir, "20", string(vj)}, tc.specs...)...).CombinedOutput()
				if err != nil {
					b.Fatalf("py-rattler: %v\n%s", err, out)
				}
				i := strings.Index(string(out), "RESULT ")
				if i < 0 {
					b.Fatalf("py-rattler: no result\n%s", out)
				}
				if _, err := fmt.Sscanf(string(out[i:]), "RESULT min_ms=%f median_ms=%f packages=%d", &minMS, &medMS, &n); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(medMS, "ms/solve")
			b.ReportMetric(minMS, "ms/solve-min")
			b.ReportMetric(float64(n), "packages")
		})
	}
}
