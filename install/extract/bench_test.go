package extract

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envlock/envlock/internal/cpython"
	"github.com/envlock/envlock/internal/rattlertest"
	"github.com/envlock/envlock/internal/testdata"
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

var (
	realOnce sync.Once
	realDir  string
	realErr  error
)

// realPython returns the machine's CPython as a real conda package
// (internal/cpython: interpreter, libpython, the standard library with
// its .pyc files, ~5,000 files) in both formats. The .conda keeps the
// builder's zstd streams but is rewritten with the sizes in the zip's
// local headers, as conda-build and cph write it (py-rattler 0.28
// streams the zip and refuses data descriptors); the .tar.bz2 is cph's.
func realPython(b *testing.B) (conda, tarBz2 string) {
	src := cpython.Locate(b)
	cph := testenv.Tool(b, "cph", "Debian's conda-package-handling builds the .tar.bz2: apt-get install conda-package-handling")
	realOnce.Do(func() {
		realDir, realErr = os.MkdirTemp("", "envlock-extract-real-")
		if realErr != nil {
			return
		}
		var pkg *cpython.Package
		if pkg, realErr = src.Build(filepath.Join(realDir, "channel"), cpython.CacheDir()); realErr != nil {
			return
		}
		built := filepath.Join(realDir, "channel", "linux-64", pkg.Filename)
		if realErr = rezip(built, filepath.Join(realDir, pkg.Filename)); realErr != nil {
			return
		}
		tree := filepath.Join(realDir, "tree")
		if _, realErr = Package(context.Background(), built, tree, Options{}); realErr != nil {
			return
		}
		fn := strings.TrimSuffix(pkg.Filename, ".conda") + ".tar.bz2"
		if out, err := exec.Command(cph, "create", tree, fn, "--out-folder", realDir).CombinedOutput(); err != nil {
			realErr = fmt.Errorf("cph create %s: %v\n%s", fn, err, out)
		}
	})
	if realErr != nil {
		b.Fatal(realErr)
	}
	m, _ := filepath.Glob(filepath.Join(realDir, "*.conda"))
	t, _ := filepath.Glob(filepath.Join(realDir, "*.tar.bz2"))
	if len(m) != 1 || len(t) != 1 {
		b.Fatalf("real python packages missing in %s", realDir)
	}
	return m[0], t[0]
}

// rezip copies the .conda src to dst entry by entry, raw, with the sizes
// and CRC in each local header instead of a data descriptor.
func rezip(src, dst string) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer zr.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, zf := range zr.File {
		h := zf.FileHeader
		h.Flags &^= 0x8
		w, err := zw.CreateRaw(&h)
		if err != nil {
			return err
		}
		r, err := zf.OpenRaw()
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// A peer is another tool's extraction running in one long-lived Python
// process, so that its start-up is not part of the figures: it reads
// "archive<TAB>destination" lines and answers the seconds the
// extraction took, timed inside the process, and the CPU seconds (user
// and system, all threads) it used.
type peer struct {
	name string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
}

const peerScript = `
import resource, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
if sys.argv[1] == "rattler":
    from rattler.package_streaming import extract
    def run(src, dest):
        extract(src, dest)
else:
    from conda_package_handling.api import extract as cph_extract
    def run(src, dest):
        cph_extract(src, dest_dir=dest)
print("ready", flush=True)
for line in sys.stdin:
    src, dest = line.rstrip("\n").split("\t")
    t, c = time.perf_counter(), cpu()
    try:
        run(src, dest)
    except Exception as e:
        print("error", " ".join(repr(e).split()), flush=True)
        continue
    print("%.9f %.9f" % (time.perf_counter() - t, cpu() - c), flush=True)
`

// startPeer starts py-rattler ("rattler", its package_streaming.extract)
// or conda-package-handling ("cph", its api.extract) in-process.
func startPeer(b *testing.B, name string) *peer {
	b.Helper()
	var py string
	switch name {
	case "rattler":
		py = rattlertest.Python(b)
	case "cph":
		cph := testenv.Tool(b, "cph", "apt-get install conda-package-handling")
		// cph's own interpreter is the one that has the module.
		f, err := os.Open(cph)
		if err != nil {
			b.Fatal(err)
		}
		line, _ := bufio.NewReader(f).ReadString('\n')
		f.Close()
		py = strings.TrimSpace(strings.TrimPrefix(line, "#!"))
		if out, err := exec.Command(py, "-c", "import conda_package_handling.api").CombinedOutput(); err != nil {
			testenv.Missing(b, "conda_package_handling for "+py, "apt-get install conda-package-handling: "+string(out))
		}
	}
	p := &peer{name: name, cmd: exec.Command(py, "-c", peerScript, name)}
	p.cmd.Stderr = os.Stderr
	var err error
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	p.out = bufio.NewScanner(stdout)
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.in.Close(); p.cmd.Wait() })
	if !p.out.Scan() || p.out.Text() != "ready" {
		b.Fatalf("%s peer did not start: %q", name, p.out.Text())
	}
	return p
}

func (p *peer) extract(b *testing.B, src, dest string) (wall, cpu time.Duration) {
	b.Helper()
	fmt.Fprintf(p.in, "%s\t%s\n", src, dest)
	if !p.out.Scan() {
		b.Fatalf("%s peer died", p.name)
	}
	var w, c float64
	if _, err := fmt.Sscanf(p.out.Text(), "%g %g", &w, &c); err != nil {
		b.Fatalf("%s on %s: %s", p.name, filepath.Base(src), p.out.Text())
	}
	return time.Duration(w * float64(time.Second)), time.Duration(c * float64(time.Second))
}

// benchVersus extracts src with envlock and with the peer in turns, one
// each per iteration (so both see the same load on a shared machine),
// and reports both rates, the ratio of the peer's time to envlock's
// (above 1: envlock is faster), and the CPU time each used per
// extraction (what decides on a machine whose cores are all busy).
func benchVersus(b *testing.B, src, peerName string) {
	p := startPeer(b, peerName)
	dir := b.TempDir()
	var size int64
	var ours, theirs, oursCPU, theirsCPU time.Duration
	i := 0
	for b.Loop() {
		dest := filepath.Join(dir, fmt.Sprintf("envlock-%d", i))
		start, startCPU := time.Now(), cpuTime(b)
		res, err := Package(context.Background(), src, dest, Options{})
		if err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		oursCPU += cpuTime(b) - startCPU
		b.StopTimer()
		size = res.Bytes
		os.RemoveAll(dest)
		pdest := filepath.Join(dir, fmt.Sprintf("%s-%d", peerName, i))
		w, c := p.extract(b, src, pdest)
		theirs += w
		theirsCPU += c
		os.RemoveAll(pdest)
		i++
		b.StartTimer()
	}
	b.SetBytes(size)
	n := float64(i)
	b.ReportMetric(float64(size)*n/ours.Seconds()/1e6, "MB/s-envlock")
	b.ReportMetric(float64(size)*n/theirs.Seconds()/1e6, "MB/s-"+peerName)
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "x-"+peerName+"-time")
	b.ReportMetric(oursCPU.Seconds()*1e3/n, "cpu-ms/op-envlock")
	b.ReportMetric(theirsCPU.Seconds()*1e3/n, "cpu-ms/op-"+peerName)
}

// BenchmarkExtractConda compares in-process .conda extraction with
// py-rattler's (package_streaming.extract) on a generated package and
// on the machine's CPython as a real package. x-rattler-time is
// rattler's time over envlock's: at or above 1 is the goal.
func BenchmarkExtractConda(b *testing.B) {
	b.Run("generated", func(b *testing.B) {
		dir, _ := benchPackages(b)
		benchVersus(b, filepath.Join(dir, "bench-1.0-0.conda"), "rattler")
	})
	b.Run("cpython", func(b *testing.B) {
		conda, _ := realPython(b)
		benchVersus(b, conda, "rattler")
	})
}

// BenchmarkExtractTarBz2 compares .tar.bz2 extraction with
// conda-package-handling's, called in-process (libarchive's bzip2), on
// the generated package, the machine's CPython and anaconda's real
// zlib. x-cph-time is cph's time over envlock's: 2 or more is the goal.
func BenchmarkExtractTarBz2(b *testing.B) {
	b.Run("generated", func(b *testing.B) {
		dir, _ := benchPackages(b)
		benchVersus(b, filepath.Join(dir, "bench-1.0-0.tar.bz2"), "cph")
	})
	b.Run("cpython", func(b *testing.B) {
		_, tarBz2 := realPython(b)
		benchVersus(b, tarBz2, "cph")
	})
	b.Run("zlib", func(b *testing.B) {
		benchVersus(b, zlibTarBz2(b), "cph")
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{benchDir, realDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// zlibTarBz2 is anaconda's real zlib 1.2.11 for linux-64 from
// ../shared/data (its .conda is one neither peer extracts: rattler
// refuses its empty link targets, Debian's cph cannot read it).
func zlibTarBz2(b *testing.B) string {
	return filepath.Join(testdata.SharedPath(b, "packages"), "anaconda-zlib", "linux-64", "zlib-1.2.11-h7b6447c_3.tar.bz2")
}

// BenchmarkSafetyCost measures what the content checks cost: the real
// CPython package extracted with them and without them (skipChecks:
// no sha256 of every file, no comparison with info/paths.json, no
// following of symlinks; confinement and budgets stay), in turns.
func BenchmarkSafetyCost(b *testing.B) {
	conda, tarBz2 := realPython(b)
	for _, src := range []string{conda, tarBz2} {
		b.Run(strings.TrimPrefix(filepath.Ext(src), "."), func(b *testing.B) {
			dir := b.TempDir()
			var with, without, withCPU, withoutCPU time.Duration
			i := 0
			for b.Loop() {
				for _, skip := range []bool{false, true} {
					skipChecks = skip
					dest := filepath.Join(dir, fmt.Sprintf("out-%d-%v", i, skip))
					start, startCPU := time.Now(), cpuTime(b)
					_, err := Package(context.Background(), src, dest, Options{})
					wall, cpu := time.Since(start), cpuTime(b)-startCPU
					skipChecks = false
					if err != nil {
						b.Fatal(err)
					}
					if skip {
						without += wall
						withoutCPU += cpu
					} else {
						with += wall
						withCPU += cpu
					}
					os.RemoveAll(dest)
				}
				i++
			}
			b.ReportMetric(100*(with.Seconds()-without.Seconds())/without.Seconds(), "%-time-checks")
			b.ReportMetric(100*(withCPU.Seconds()-withoutCPU.Seconds())/withoutCPU.Seconds(), "%-cpu-checks")
		})
	}
}
