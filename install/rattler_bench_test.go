package install

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/internal/rattlertest"
	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/lock/lockfile"
)

// BenchmarkInstallVsRattler installs the 40-package, 10,000-file lock of
// BenchmarkInstallWarm with envlock (Apply, in process) and with
// py-rattler's rattler.install (timed inside its python process, solve
// and interpreter start excluded) into new prefixes, side by side in the
// same run: each iteration is one round of envlock, rattler and envlock
// with NoSync, each first, second and third in turn, and the medians are
// reported with their ratios (envlock/rattler; below 1 envlock is
// faster).
//
// Sub-benchmarks: tmpfs (/dev/shm) and disk (the test's temporary
// directory; ENVLOCK_BENCH_DISK overrides it), each cold and warm:
//
//   - cold: the artifacts are at hand and nothing is extracted. Each
//     tool gets a new copy of one cache holding the downloaded archives
//     (with envlock's hash stamps, as a download leaves them): envlock
//     reads the archives from it; rattler, which keeps no archives in its
//     cache, reads the same archives from the file:// channel beside it,
//     on the same file system.
//   - warm: one cache for both, every package extracted once by envlock
//     before the rounds. The layouts agree
//     (<pkgs>/<name>-<version>-<build>/ with info/, as conda's); each
//     entry also gets rattler's entry lock (<name>-<version>-<build>.lock:
//     revision and archive sha256), and checkLinkedFrom asserts that
//     rattler hard-linked its files from envlock's extraction.
//
// ms-envlock-syncfs is the part of envlock's time spent making the new
// environment durable before the swap (syncfs), which rattler does not
// do. Two figures compare the tools at equal durability: rattler's time
// plus one syncfs after it (ms-rattler+syncfs), and envlock with NoSync
// (ms-envlock-nosync, envlock-nosync/rattler). cpu-ms- figures are each
// tool's CPU time, user and system. Every timed install starts after a sync(2) (no write-back of the
// previous round in the clock). With ENVLOCK_BENCH_STRACE=1 it also
// counts the system calls of one install of each (strace -c -f): envlock
// in a child test process, rattler as its driver's total less a run that
// solves and installs nothing.
//
// scripts/bench-rattler.sh runs it.
func BenchmarkInstallVsRattler(b *testing.B) {
	py := rattlertest.Python(b)
	driver, err := filepath.Abs(filepath.Join("testdata", "rattler_install.py"))
	if err != nil {
		b.Fatal(err)
	}
	places := []struct{ name, dir string }{{"tmpfs", "/dev/shm"}, {"disk", os.Getenv("ENVLOCK_BENCH_DISK")}}
	for _, pl := range places {
		b.Run(pl.name, func(b *testing.B) {
			base := benchPlace(b, pl.name, pl.dir)
			// The rounds' trees stay until benchPlace's clean-up removes
			// base, rather than going between rounds: ext4 without a
			// journal does not reuse an inode freed within the last minute
			// and steps past each such inode on every allocation
			// (recently_deleted in fs/ext4/ialloc.c), so removing one
			// round's 40,000 files made the next round's creations mostly
			// that scan (a third of the CPU time under perf), in whichever
			// tool met more of them.
			settleInodes(b, base)
			ch := benchChannelIn(b, filepath.Join(base, "channel"))
			l, data := lockOf(b, ch, nil)
			var specs []string
			for _, pk := range l.Platforms[0].Packages {
				specs = append(specs, pk.Name)
			}
			r := startRattler(b, py, driver, "file://"+filepath.ToSlash(ch), specs)
			defer r.close()

			// envlock's cold state: the archives as a download leaves
			// them, copied into each round's new cache.
			tmpl := filepath.Join(base, "pkgs-template")
			f := fetcher(b, tmpl)
			var arts []cache.Artifact
			for _, pk := range l.Platforms[0].Packages {
				arts = append(arts, cache.Artifact{Fn: fileName(pk), URL: pk.URL, SHA256: pk.SHA256, Size: pk.Size})
			}
			if _, err := f.Fetch(context.Background(), arts); err != nil {
				b.Fatal(err)
			}
			var syncs []time.Duration      // syncStage's share of each envlock install
			var cpuE, cpuR []time.Duration // CPU time (user and system) of each install
			var trDurable []time.Duration  // rattler's installs followed by a syncfs
			apply := func(pkgs, prefix string, noSync bool) (time.Duration, error) {
				f := fetcher(b, pkgs)
				unix.Sync()
				var syncStart time.Time
				trace := func(ev, _ string) {
					switch ev {
					case "sync":
						syncStart = time.Now()
					case "synced":
						syncs = append(syncs, time.Since(syncStart))
					}
				}
				start, c := time.Now(), procCPU(os.Getpid())
				if !noSync {
					defer func() { cpuE = append(cpuE, procCPU(os.Getpid())-c) }()
				}
				_, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f, Trace: trace, NoSync: noSync})
				return time.Since(start), err
			}
			round := 0
			tmp := func(kind string) string { round++; return filepath.Join(base, fmt.Sprintf("%s-%d", kind, round)) }
			for _, state := range []string{"cold", "warm"} {
				b.Run(state, func(b *testing.B) {
					// One warm cache for both: envlock extracts, and each
					// entry gets rattler's lock file too.
					warmE := filepath.Join(base, "pkgs-warm")
					warmR := warmE
					if state == "warm" {
						e := tmp("env")
						if _, err := apply(warmE, e, false); err != nil {
							b.Fatal(err)
						}
						os.RemoveAll(e)
						shareWithRattler(b, warmE, l)
					}
					var te, tr, tn []time.Duration // envlock, rattler, envlock --no-sync
					syncs, cpuE, cpuR, trDurable = nil, nil, nil, nil
					i := 0
					for b.Loop() {
						b.StopTimer()
						pe, pr, pn := warmE, warmR, warmE
						if state == "cold" {
							pe, pr, pn = tmp("pkgs-envlock"), tmp("pkgs-rattler"), tmp("pkgs-nosync")
							copyTree(b, tmpl, pe)
							copyTree(b, tmpl, pr)
							copyTree(b, tmpl, pn)
						}
						envPE, envPR, envPN := tmp("env-envlock"), tmp("env-rattler"), tmp("env-nosync")
						runE := func() {
							d, err := apply(pe, envPE, false)
							if err != nil {
								b.Fatal(err)
							}
							te = append(te, d)
						}
						// envlock without its flush: as durable as
						// rattler's environment.
						runN := func() {
							d, err := apply(pn, envPN, true)
							if err != nil {
								b.Fatal(err)
							}
							tn = append(tn, d)
						}
						runR := func() {
							c := procCPU(r.cmd.Process.Pid)
							d, err := r.install(envPR, pr)
							cpuR = append(cpuR, procCPU(r.cmd.Process.Pid)-c)
							if err != nil {
								b.Fatal(err)
							}
							tr = append(tr, d)
							// The same environment made durable as envlock's
							// is: its time plus one syncfs.
							t := time.Now()
							if err := syncfsOf(envPR); err != nil {
								b.Fatal(err)
							}
							trDurable = append(trDurable, d+time.Since(t))
						}
						// Each goes first, second and third in turn.
						runs := []func(){runE, runR, runN}
						for k := range runs {
							runs[(i+k)%len(runs)]()
						}
						i++
						checkSame(b, envPE, envPR)
						checkSame(b, envPE, envPN)
						if state == "warm" {
							checkLinkedFrom(b, envPR, warmR)
						}
						// The round's trees stay: see settleInodes above.
						b.StartTimer()
					}
					me, mr := median(te), median(tr)
					b.ReportMetric(float64(me.Microseconds())/1000, "ms-envlock")
					b.ReportMetric(float64(mr.Microseconds())/1000, "ms-rattler")
					b.ReportMetric(float64(me)/float64(mr), "envlock/rattler")
					// rattler does not flush what it wrote; with one syncfs
					// after it, as envlock's swap does before, the two
					// environments are equally durable.
					md := median(trDurable)
					b.ReportMetric(float64(md.Microseconds())/1000, "ms-rattler+syncfs")
					b.ReportMetric(float64(me)/float64(md), "envlock/rattler+syncfs")
					mn := median(tn)
					b.ReportMetric(float64(mn.Microseconds())/1000, "ms-envlock-nosync")
					b.ReportMetric(float64(mn)/float64(mr), "envlock-nosync/rattler")
					// CPU time, user and system, of each: what the install
					// costs apart from waiting.
					b.ReportMetric(float64(median(cpuE).Microseconds())/1000, "cpu-ms-envlock")
					b.ReportMetric(float64(median(cpuR).Microseconds())/1000, "cpu-ms-rattler")
					// The cost of making the new environment durable
					// before the swap (a safety rattler does without).
					b.ReportMetric(float64(median(syncs).Microseconds())/1000, "ms-envlock-syncfs")
					b.Logf("%s %s, %d rounds: envlock %v, rattler %v (medians); load average %s", pl.name, state, len(te), me, mr, loadavg())
					if os.Getenv("ENVLOCK_BENCH_STRACE") == "1" {
						se, sr := straceCounts(b, base, state, tmpl, warmE, warmR, l, data, py, driver, ch, specs)
						b.ReportMetric(float64(se), "syscalls-envlock")
						b.ReportMetric(float64(sr), "syscalls-rattler")
					}
				})
			}
		})
	}
}

// shareWithRattler gives each extracted package of the envlock cache
// pkgs the entry lock rattler's cache keeps beside it
// (<name>-<version>-<build>.lock: a big-endian 64-bit revision, then the
// archive's sha256), so that rattler takes the tree envlock extracted as
// its own.
func shareWithRattler(b *testing.B, pkgs string, l *lockfile.Lock) {
	b.Helper()
	for _, pk := range l.Platforms[0].Packages {
		sum, err := hex.DecodeString(pk.SHA256)
		if err != nil || len(sum) != 32 {
			b.Fatalf("%s: sha256 %q", pk.Name, pk.SHA256)
		}
		name := strings.TrimSuffix(fileName(pk), ".conda")
		lk := append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, sum...)
		if err := os.WriteFile(filepath.Join(pkgs, name+".lock"), lk, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// checkLinkedFrom fails unless rattler hard-linked prefix's first
// package file from the shared cache pkgs: it used envlock's extraction.
func checkLinkedFrom(b *testing.B, prefix, pkgs string) {
	b.Helper()
	const f = "lib/pkg00/f001.txt"
	a, err1 := os.Stat(filepath.Join(prefix, f))
	c, err2 := os.Stat(filepath.Join(pkgs, "pkg00-1.0-h0_0", f))
	if err1 != nil || err2 != nil || !os.SameFile(a, c) {
		b.Fatalf("rattler did not link %s from the shared cache %s (%v, %v)", f, pkgs, err1, err2)
	}
}

// settleInodes waits out the minute in which ext4 without a journal
// steps past recently freed inodes (see BenchmarkInstallVsRattler) when
// dir is on such a file system: what earlier runs removed there would
// otherwise weigh on the first rounds' file creations.
func settleInodes(b *testing.B, dir string) {
	b.Helper()
	var sf unix.Statfs_t
	var st unix.Stat_t
	if unix.Statfs(dir, &sf) != nil || int64(sf.Type) != 0xef53 /* ext4 */ || unix.Stat(dir, &st) != nil {
		return
	}
	ue, err := os.ReadFile(fmt.Sprintf("/sys/dev/block/%d:%d/uevent", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev))))
	if err != nil {
		return
	}
	m := regexp.MustCompile(`(?m)^DEVNAME=(\S+)$`).FindSubmatch(ue)
	if m == nil {
		return
	}
	if j, _ := filepath.Glob("/proc/fs/jbd2/" + string(m[1]) + "-*"); len(j) > 0 {
		return // journaled: freed inodes are reused at once
	}
	const wait = 65 * time.Second
	b.Logf("%s is ext4 without a journal: waiting %v for inodes freed before this run to be reusable", dir, wait)
	time.Sleep(wait)
}

// benchPlace makes the directory the tmpfs or disk benchmark works in.
func benchPlace(b *testing.B, name, dir string) string {
	b.Helper()
	if dir == "" {
		dir = b.TempDir()
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		testenv.Missing(b, dir, "the "+name+" benchmark works there")
	}
	const tmpfsMagic = 0x01021994
	if isTmpfs := st.Type == tmpfsMagic; isTmpfs != (name == "tmpfs") {
		testenv.Missing(b, "a "+name+" directory", fmt.Sprintf("%s is on a file system of type %#x; set ENVLOCK_BENCH_DISK for the disk benchmark", dir, st.Type))
	}
	d, err := os.MkdirTemp(dir, "envlock-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// copyTree copies the regular files of src (an envlock cache of archives
// and stamps) to dst, keeping modification times (the stamps name them).
func copyTree(b testing.TB, src, dst string) {
	b.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		t := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(t, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(t, data, 0o644); err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chtimes(t, fi.ModTime(), fi.ModTime())
	})
	if err != nil {
		b.Fatal(err)
	}
}

// checkSame fails unless the two prefixes hold the same paths outside
// conda-meta (what each tool writes there differs by design).
func checkSame(b *testing.B, e, r string) {
	b.Helper()
	list := func(root string) []string {
		var out []string
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			rel, _ := filepath.Rel(root, p)
			if rel == "CACHEDIR.TAG" { // py-rattler 0.28 writes one into a prefix it makes
				return nil
			}
			if rel == "conda-meta" && d.IsDir() {
				return filepath.SkipDir
			}
			if err == nil && !d.IsDir() {
				out = append(out, rel)
			}
			return nil
		})
		sort.Strings(out)
		return out
	}
	le, lr := list(e), list(r)
	if !slices.Equal(le, lr) {
		extra := func(a, b []string) []string {
			var out []string
			for _, x := range a {
				if !slices.Contains(b, x) {
					out = append(out, x)
				}
			}
			return out
		}
		b.Fatalf("envlock installed %d files, rattler %d: not the same install (only envlock's: %q; only rattler's: %q)", len(le), len(lr), extra(le, lr), extra(lr, le))
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// A rattlerProc is the python driver (testdata/rattler_install.py) with
// the lock's records solved, waiting for installs.
type rattlerProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startRattler(b *testing.B, py, driver, channel string, specs []string) *rattlerProc {
	b.Helper()
	cmd := exec.Command(py, append([]string{driver, channel}, specs...)...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := &rattlerProc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	if !r.out.Scan() || r.out.Text() != fmt.Sprintf("ready %d", len(specs)) {
		r.close()
		b.Fatalf("py-rattler did not solve the benchmark's lock: %q", r.out.Text())
	}
	return r
}

func (r *rattlerProc) install(prefix, pkgs string) (time.Duration, error) {
	unix.Sync()
	fmt.Fprintf(r.in, "%s\t%s\n", prefix, pkgs)
	if !r.out.Scan() {
		return 0, fmt.Errorf("py-rattler stopped: %v", r.out.Err())
	}
	s, err := strconv.ParseFloat(r.out.Text(), 64)
	if err != nil {
		return 0, fmt.Errorf("py-rattler: %s", r.out.Text())
	}
	return time.Duration(s * float64(time.Second)), nil
}

func (r *rattlerProc) close() {
	r.in.Close()
	r.cmd.Wait()
}

// benchOnceEnv makes TestBenchInstallOnce install once, for strace.
const benchOnceEnv = "ENVLOCK_BENCH_INSTALL_ONCE"

type benchOnce struct {
	Lock, Pkgs, Prefix string
}

// TestBenchInstallOnce does nothing unless BenchmarkInstallVsRattler runs
// it under strace: then it installs one lock into one prefix.
func TestBenchInstallOnce(t *testing.T) {
	v := os.Getenv(benchOnceEnv)
	if v == "" {
		return
	}
	var o benchOnce
	if err := json.Unmarshal([]byte(v), &o); err != nil {
		t.Fatal(err)
	}
	l, data, err := lockfile.Read(o.Lock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: o.Prefix, Fetcher: fetcher(t, o.Pkgs)}); err != nil {
		t.Fatal(err)
	}
}

var straceTotal = regexp.MustCompile(`(?m)^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s+(\d+)?\s*total$`)

// strace runs cmd under strace -c -f and returns its system calls and
// the table strace printed.
func strace(b *testing.B, out string, cmd *exec.Cmd) (int, string) {
	b.Helper()
	st := testenv.Tool(b, "strace", "apt-get install -y strace")
	args := append([]string{"-c", "-f", "-S", "calls", "-o", out, cmd.Path}, cmd.Args[1:]...)
	c := exec.Command(st, args...)
	c.Env, c.Stdin, c.Stderr = cmd.Env, cmd.Stdin, os.Stderr
	if o, err := c.Output(); err != nil {
		b.Fatalf("strace %v: %v\n%s", cmd.Args, err, o)
	}
	tab, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	m := straceTotal.FindSubmatch(tab)
	if m == nil {
		b.Fatalf("no total in strace's table:\n%s", tab)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n, string(tab)
}

// straceCounts counts the system calls of one envlock and one rattler
// install in the state given.
func straceCounts(b *testing.B, base, state, tmpl, warmE, warmR string, l *lockfile.Lock, data []byte, py, driver, ch string, specs []string) (envlock, rattler int) {
	b.Helper()
	lp := filepath.Join(base, "strace-env.lock")
	if err := os.WriteFile(lp, data, 0o644); err != nil {
		b.Fatal(err)
	}
	pe, pr := warmE, warmR
	if state == "cold" {
		pe, pr = filepath.Join(base, "strace-pkgs-envlock"), filepath.Join(base, "strace-pkgs-rattler")
		copyTree(b, tmpl, pe)
		copyTree(b, tmpl, pr)
		defer os.RemoveAll(pe)
		defer os.RemoveAll(pr)
	}
	envE, envR := filepath.Join(base, "strace-env-envlock"), filepath.Join(base, "strace-env-rattler")
	defer os.RemoveAll(envE)
	defer os.RemoveAll(envR)
	j, _ := json.Marshal(benchOnce{Lock: lp, Pkgs: pe, Prefix: envE})
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	ce := exec.Command(exe, "-test.run=^TestBenchInstallOnce$", "-test.count=1")
	ce.Env = append(os.Environ(), benchOnceEnv+"="+string(j))
	envlock, tabE := strace(b, filepath.Join(base, "strace-envlock.txt"), ce)
	// The test binary with nothing to do, for its start-up's calls.
	idle, _ := strace(b, filepath.Join(base, "strace-idle.txt"), exec.Command(exe, "-test.run=^TestBenchInstallOnce$", "-test.count=1"))
	envlock -= idle

	chURL := "file://" + filepath.ToSlash(ch)
	cr := exec.Command(py, append([]string{driver, chURL}, specs...)...)
	cr.Stdin = strings.NewReader(envR + "\t" + pr + "\n")
	rattler, tabR := strace(b, filepath.Join(base, "strace-rattler.txt"), cr)
	c0 := exec.Command(py, append([]string{driver, chURL}, specs...)...)
	c0.Stdin = strings.NewReader("")
	solveOnly, _ := strace(b, filepath.Join(base, "strace-rattler-idle.txt"), c0)
	rattler -= solveOnly
	b.Logf("strace -c -f, one %s install: envlock %d system calls (less %d of the idle test binary), rattler %d (less %d of the driver's start and solve)", state, envlock, idle, rattler, solveOnly)
	// The tables go to stdout whole (a benchmark's log keeps 10 lines).
	fmt.Printf("strace -c -f -S calls, one %s install by envlock (with the test binary's start):\n%s\nby rattler (with python's start and the solve):\n%s\n", state, topCalls(tabE, 16), topCalls(tabR, 16))
	return envlock, rattler
}

// topCalls keeps the header and the first n rows of an strace -c table.
func topCalls(tab string, n int) string {
	lines := strings.Split(tab, "\n")
	if len(lines) > n+2 {
		lines = lines[:n+2]
	}
	return strings.Join(lines, "\n")
}

// procCPU is the CPU time, user and system, process pid has used so
// far, in clock ticks of /proc/PID/stat (10 ms).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command's name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100)
}
