package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envlock/envlock/internal/cpython"
	"github.com/envlock/envlock/internal/realwheels"
	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/internal/wheelpkg"
	"github.com/envlock/envlock/lock/lockfile"
)

// realEnv is the real environment of realpython.txtar (the machine's
// CPython as a conda package, numpy, pandas, ipykernel and their closure
// as real wheels on a loopback index), locked once, with envlock's
// package cache and uv's cache both warm.
type realEnv struct {
	dir, lockPath, python, index, requirements, uvCache string
	env                                                 *Env
}

func setupRealEnv(b *testing.B) *realEnv {
	b.Helper()
	src := cpython.Locate(b)
	wheels := realwheels.Wheels(b)
	uv := testenv.Tool(b, "uv", ".ci/run installs uv==0.13.8 with pip")
	out, _ := exec.Command(uv, "--version").Output()
	testenv.Version(b, "uv", string(out), "0.13.8")

	dir := b.TempDir()
	if _, err := src.Build(filepath.Join(dir, "channel"), cpython.CacheDir()); err != nil {
		b.Fatal(err)
	}
	www := filepath.Join(dir, "www")
	if err := wheelpkg.WriteFileIndex(www, wheels); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(wheelpkg.Handler(www, nil))
	b.Cleanup(srv.Close)
	r := &realEnv{dir: dir, lockPath: filepath.Join(dir, "env.lock"), index: srv.URL + "/simple", uvCache: filepath.Join(dir, "uv-cache")}
	os.WriteFile(filepath.Join(dir, "env.cue"), []byte(fmt.Sprintf(`package env

name: "real-python"
channels: ["channel"]
platforms: ["linux-64"]
dependencies: python: %q
pypi: {numpy: "*", pandas: "*", ipykernel: "*"}
pypi_index: url: %q
system: glibc: "2.35"
`, src.Version, r.index)), 0o644)
	vars := map[string]string{"XDG_CACHE_HOME": filepath.Join(dir, ".cache"), "ENVLOCK_PKGS_DIRS": filepath.Join(dir, "pkgs")}
	r.env = &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Dir: dir, Getenv: func(k string) string { return vars[k] }}
	if code := run(context.Background(), r.env, []string{"lock"}); code != 0 {
		b.Fatalf("lock: exit %d: %s", code, r.env.Stderr)
	}
	// The first install fills envlock's cache. uv's venvs use the
	// CPython the package was built from, with its own (valid) bytecode,
	// as a uv-managed python would be.
	r.install(b, filepath.Join(dir, "base"))
	r.python = src.Executable
	l, _, err := lockfile.Read(r.lockPath)
	if err != nil {
		b.Fatal(err)
	}
	var req strings.Builder
	for _, w := range l.Platform("linux-64").PyPI {
		fmt.Fprintf(&req, "%s==%s\n", w.Name, w.Version)
	}
	r.requirements = filepath.Join(dir, "requirements.txt")
	os.WriteFile(r.requirements, []byte(req.String()), 0o644)
	r.uvInstall(b, filepath.Join(dir, "uv-warm")) // fills uv's cache
	return r
}

func (r *realEnv) install(b *testing.B, prefix string) {
	r.env.Stderr = &bytes.Buffer{}
	if code := run(context.Background(), r.env, []string{"install", "--lock", r.lockPath, "-p", prefix}); code != 0 {
		b.Fatalf("install: exit %d: %s", code, r.env.Stderr)
	}
}

func (r *realEnv) uvInstall(b *testing.B, venv string) {
	for _, args := range [][]string{
		{"venv", "--quiet", "--python", r.python, venv},
		{"pip", "sync", "--quiet", "--python", filepath.Join(venv, "bin", "python"), "--index-url", r.index, r.requirements},
	} {
		cmd := exec.Command("uv", args...)
		cmd.Env = append(os.Environ(), "UV_CACHE_DIR="+r.uvCache, "UV_NO_CONFIG=1", "UV_PYTHON_DOWNLOADS=never")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("uv %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// median reports the median of ds in milliseconds.
func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}

// loadAvg is the machine's one-minute load average (0 when unknown).
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(data), &l)
	return l
}

// BenchmarkRealPython compares, side by side in one run, a warm install of
// the real environment into a fresh prefix by envlock with 'uv venv' +
// 'uv pip sync' from the same loopback index with uv's cache warm, and
// then "import numpy, pandas" in an environment made by each: with
// bytecode writing off (a read-only shared prefix: what the files
// installed hold is what every start gets) and on (after a first start
// wrote what it could). The installs are interleaved, one of each a
// round (which goes first alternating), so that a busy machine slows
// both alike; each figure is the median of b.N rounds (-benchtime=9x is
// plenty), with envlock/uv the ratio of the medians and load1 the load
// average at the end. envlock runs in-process, uv as a process.
func BenchmarkRealPython(b *testing.B) {
	r := setupRealEnv(b)
	var envlockPrefix, uvVenv string
	b.Run("install", func(b *testing.B) {
		var de, du []time.Duration
		i := 0
		for b.Loop() {
			p := filepath.Join(r.dir, fmt.Sprintf("envlock-%d", i))
			v := filepath.Join(r.dir, fmt.Sprintf("uv-%d", i))
			runEnvlock := func() {
				start := time.Now()
				r.install(b, p)
				de = append(de, time.Since(start))
			}
			runUV := func() {
				start := time.Now()
				r.uvInstall(b, v)
				du = append(du, time.Since(start))
			}
			if i%2 == 0 {
				runEnvlock()
				runUV()
			} else {
				runUV()
				runEnvlock()
			}
			i++
			envlockPrefix, uvVenv = p, v
		}
		me, mu := median(de), median(du)
		b.ReportMetric(me, "ms-envlock")
		b.ReportMetric(mu, "ms-uv")
		b.ReportMetric(me/mu, "envlock/uv")
		b.ReportMetric(loadAvg(), "load1")
	})
	for _, mode := range []struct {
		name  string
		write bool
	}{{"nowrite", false}, {"write", true}} {
		for _, e := range []struct{ name, python string }{
			{"envlock", filepath.Join(envlockPrefix, "bin", "python")},
			{"uv", filepath.Join(uvVenv, "bin", "python")},
		} {
			b.Run("import/"+mode.name+"/"+e.name, func(b *testing.B) {
				imp := func() time.Duration {
					cmd := exec.Command(e.python, "-c", "import numpy, pandas")
					cmd.Env = os.Environ()
					if !mode.write {
						cmd.Env = append(cmd.Env, "PYTHONDONTWRITEBYTECODE=1")
					} else {
						cmd.Env = slices.DeleteFunc(cmd.Env, func(s string) bool { return strings.HasPrefix(s, "PYTHONDONTWRITEBYTECODE=") })
					}
					start := time.Now()
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("%s: %v\n%s", e.python, err, out)
					}
					return time.Since(start)
				}
				if mode.write {
					imp() // the first start writes the bytecode it can
				}
				var ds []time.Duration
				for b.Loop() {
					ds = append(ds, imp())
				}
				b.ReportMetric(median(ds), "ms-median/import")
			})
		}
	}
}
