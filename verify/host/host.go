// Package host probes the machine envlock runs on: its conda platform, C
// library (glibc version, or musl), kernel, CPU level and NVIDIA driver,
// and turns them into the virtual packages (__glibc, __linux, __cuda, …)
// a solve on this host would see.
//
// Everything is read without cgo: the glibc version from the C library
// file itself (its "release version" banner, else the newest GLIBC_x.y it
// defines), falling back to getconf; the CUDA version from nvidia-smi when
// present, else from the kernel driver's version and NVIDIA's table of
// minimum drivers. CONDA_OVERRIDE_GLIBC, CONDA_OVERRIDE_CUDA and
// CONDA_OVERRIDE_LINUX win over what is probed, as in conda.
package host

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/version"
	"github.com/envlock/envlock/spec/virtual"
	"github.com/envlock/envlock/verify/elfscan"
)

// Host is what the probe found. Empty strings mean "not found"; Source
// fields say where each value came from so a surprising one can be traced.
type Host struct {
	Platform string `json:"platform"`
	Arch     string `json:"arch"`
	// Libc is "glibc", "musl" or "" (not a Linux host, or not found).
	Libc        string `json:"libc"`
	Glibc       string `json:"glibc,omitempty"`
	GlibcSource string `json:"glibc_source,omitempty"`
	// LibcPath is the C library file read.
	LibcPath string `json:"libc_path,omitempty"`
	Musl     string `json:"musl,omitempty"`
	Kernel   string `json:"kernel,omitempty"`
	// Archspec is the x86-64 microarchitecture level (x86_64_v2…v4) or
	// the CPU family elsewhere.
	Archspec string `json:"archspec,omitempty"`
	// Driver is the NVIDIA kernel driver version; Cuda the newest CUDA
	// version that driver supports.
	Driver     string `json:"nvidia_driver,omitempty"`
	Cuda       string `json:"cuda,omitempty"`
	CudaSource string `json:"cuda_source,omitempty"`
	// Overrides lists the CONDA_OVERRIDE_* variables that were applied.
	Overrides []string `json:"overrides,omitempty"`
	// LibDirs are the host's shared library directories, in the dynamic
	// loader's search order (ld.so.conf, then the defaults).
	LibDirs []string `json:"lib_dirs,omitempty"`
	// Virtual are the virtual packages a solve here would see.
	Virtual []virtual.Package `json:"-"`
}

// Options adjust Probe. The zero value probes the running machine.
type Options struct {
	// Root is prepended to every absolute path read (/proc, /etc, /lib…);
	// "" means "/". Tests point it at a directory laid out like a host.
	Root string
	// Getenv looks up CONDA_OVERRIDE_*; nil means os.Getenv.
	Getenv func(string) string
	// NoCommands stops the probe from running getconf and nvidia-smi.
	NoCommands bool
}

// Probe inspects the host. It fails only when an override is malformed;
// anything it cannot find is left empty.
func Probe(ctx context.Context, o Options) (*Host, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	h := &Host{Platform: string(platform.Host()), Arch: runtime.GOARCH}
	plat := platform.Host()
	if plat.IsLinux() {
		h.LibDirs = LibDirs(o.Root)
		h.probeLibc(ctx, o)
		h.Kernel = kernel(o.Root)
		h.probeCuda(ctx, o)
	}
	h.Archspec = archspec(o.Root, plat)

	for _, v := range []struct{ env, name string }{
		{"CONDA_OVERRIDE_GLIBC", virtual.Glibc},
		{"CONDA_OVERRIDE_CUDA", virtual.Cuda},
		{"CONDA_OVERRIDE_LINUX", virtual.Linux},
		{"CONDA_OVERRIDE_ARCHSPEC", virtual.Archspec},
	} {
		val := strings.TrimSpace(getenv(v.env))
		if val == "" {
			continue
		}
		h.Overrides = append(h.Overrides, v.env+"="+val)
		if v.name != virtual.Archspec {
			if _, err := version.Parse(val); err != nil {
				return nil, fmt.Errorf("%s=%q is not a version: %v", v.env, val, err)
			}
		}
		switch v.name {
		case virtual.Glibc:
			h.Glibc, h.GlibcSource = val, v.env
			if h.Libc == "" {
				h.Libc = "glibc"
			}
		case virtual.Cuda:
			h.Cuda, h.CudaSource = val, v.env
		case virtual.Linux:
			h.Kernel = val
		case virtual.Archspec:
			h.Archspec = val
		}
	}
	h.Virtual = h.virtual(plat)
	return h, nil
}

// virtual returns the virtual packages of the host, in the order
// virtual.For gives them.
func (h *Host) virtual(p platform.Platform) []virtual.Package {
	s := virtual.System{Cuda: h.Cuda, Linux: h.Kernel, Archspec: h.Archspec}
	if p.IsLinux() {
		s.Glibc = h.Glibc
		if h.Glibc == "" {
			// musl or unknown: no __glibc at all.
			vs := virtual.For(p, s)
			out := vs[:0]
			for _, v := range vs {
				if v.Name != virtual.Glibc {
					out = append(out, v)
				}
			}
			return out
		}
	}
	return virtual.For(p, s)
}

// probeLibc finds the C library and its version.
func (h *Host) probeLibc(ctx context.Context, o Options) {
	if m := findMusl(o.Root); m != "" {
		h.Libc, h.LibcPath = "musl", strings.TrimPrefix(m, o.Root)
		if !o.NoCommands {
			h.Musl = muslVersion(ctx, m)
		}
	}
	for _, dir := range h.LibDirs {
		p := filepath.Join(o.Root, dir, "libc.so.6")
		v, src := GlibcOf(p)
		if v == "" {
			continue
		}
		h.Libc, h.Glibc, h.GlibcSource, h.LibcPath = "glibc", v, src, filepath.Join(dir, "libc.so.6")
		return
	}
	if o.NoCommands || h.Libc == "musl" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "getconf", "GNU_LIBC_VERSION").Output()
	if err == nil {
		if f := strings.Fields(string(out)); len(f) == 2 && f[0] == "glibc" {
			h.Libc, h.Glibc, h.GlibcSource = "glibc", f[1], "getconf GNU_LIBC_VERSION"
		}
	}
}

var releaseRE = regexp.MustCompile(`GNU C Library [^\n]*?release version (\d+\.\d+)`)

// GlibcOf reads the glibc version from a C library file: the banner that
// gnu_get_libc_version's library prints ("… release version 2.36"), else
// the newest GLIBC_x.y version node it defines. It returns "" when path is
// not a glibc.
func GlibcOf(path string) (ver, source string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	ef, err := elf.NewFile(f)
	if err != nil {
		return "", ""
	}
	if sec := ef.Section(".rodata"); sec != nil && sec.Type != elf.SHT_NOBITS {
		if m := releaseRE.FindSubmatch(readSection(sec, 64<<20)); m != nil {
			return string(m[1]), "release banner of " + path
		}
	}
	defs, err := ef.DynamicVersions()
	if err != nil {
		return "", ""
	}
	var names []string
	for _, d := range defs {
		names = append(names, d.Name)
	}
	bestS := elfscan.Newest(names, "GLIBC_")
	if bestS == "" {
		return "", ""
	}
	return bestS, "newest GLIBC_ version defined by " + path
}

func readSection(s *elf.Section, max int64) []byte {
	n := int64(s.Size)
	if n > max {
		n = max
	}
	b := make([]byte, n)
	k, _ := io.ReadFull(s.Open(), b)
	return b[:k]
}

// findMusl returns the musl dynamic loader, if the host has one.
func findMusl(root string) string {
	for _, dir := range []string{"/lib", "/usr/lib", "/usr/local/musl/lib"} {
		m, _ := filepath.Glob(filepath.Join(root, dir, "ld-musl-*.so.1"))
		if len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

var muslRE = regexp.MustCompile(`(?m)^Version (\d+\.\d+\.\d+)`)

// muslVersion runs musl's loader with no arguments; its usage text on
// stderr reads "musl libc (x86_64)\nVersion 1.2.4\n…".
func muslVersion(ctx context.Context, loader string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, loader).CombinedOutput()
	if m := muslRE.FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return ""
}

// kernel returns the kernel release ("6.1.0" of "6.1.0-18-amd64"), as
// conda's __linux reports it.
func kernel(root string) string {
	b, err := os.ReadFile(filepath.Join(root, "/proc/sys/kernel/osrelease"))
	if err != nil {
		return ""
	}
	return kernelVersion(strings.TrimSpace(string(b)))
}

var kernelRE = regexp.MustCompile(`^\d+(\.\d+){0,3}`)

func kernelVersion(release string) string {
	return kernelRE.FindString(release)
}

// probeCuda finds the NVIDIA driver and the CUDA version it supports.
func (h *Host) probeCuda(ctx context.Context, o Options) {
	b, err := os.ReadFile(filepath.Join(o.Root, "/proc/driver/nvidia/version"))
	if err != nil {
		return // no NVIDIA kernel driver: no __cuda, as in conda
	}
	h.Driver = DriverVersion(string(b))
	if !o.NoCommands {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "nvidia-smi").Output(); err == nil {
			if v := CudaFromSMI(string(out)); v != "" {
				h.Cuda, h.CudaSource = v, "nvidia-smi"
				return
			}
		}
	}
	if v := CudaForDriver(h.Driver); v != "" {
		h.Cuda, h.CudaSource = v, "driver "+h.Driver+" (NVIDIA's minimum-driver table)"
	}
}

var driverRE = regexp.MustCompile(`Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)`)

// DriverVersion extracts the driver version from /proc/driver/nvidia/version:
// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 …".
func DriverVersion(procText string) string {
	if m := driverRE.FindStringSubmatch(procText); m != nil {
		return m[1]
	}
	return ""
}

var smiRE = regexp.MustCompile(`CUDA Version:\s*(\d+\.\d+)`)

// CudaFromSMI extracts "CUDA Version: 12.2" from nvidia-smi's banner.
func CudaFromSMI(out string) string {
	if m := smiRE.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return ""
}

// minDriver is NVIDIA's table of the minimum Linux driver each CUDA
// toolkit release needs (CUDA release notes, "CUDA Toolkit and
// Corresponding Driver Versions"), newest first.
var minDriver = []struct{ cuda, driver string }{
	{"13.0", "580.65.06"},
	{"12.9", "575.51.03"},
	{"12.8", "570.26"},
	{"12.6", "560.28.03"},
	{"12.5", "555.42.02"},
	{"12.4", "550.54.14"},
	{"12.3", "545.23.06"},
	{"12.2", "535.54.03"},
	{"12.1", "530.30.02"},
	{"12.0", "525.60.13"},
	{"11.8", "520.61.05"},
	{"11.7", "515.43.04"},
	{"11.6", "510.39.01"},
	{"11.5", "495.29.05"},
	{"11.4", "470.42.01"},
	{"11.3", "465.19.01"},
	{"11.2", "460.27.03"},
	{"11.1", "455.23"},
	{"11.0", "450.36.06"},
	{"10.2", "440.33"},
	{"10.1", "418.39"},
	{"10.0", "410.48"},
	{"9.2", "396.26"},
	{"9.0", "384.81"},
}

// CudaForDriver returns the newest CUDA version a driver supports, or ""
// when the driver is older than every listed release.
func CudaForDriver(driver string) string {
	dv, err := version.Parse(driver)
	if err != nil {
		return ""
	}
	for _, e := range minDriver {
		if dv.Compare(version.MustParse(e.driver)) >= 0 {
			return e.cuda
		}
	}
	return ""
}

// archspec returns the x86-64 microarchitecture level from the CPU flags
// in /proc/cpuinfo (psABI levels v2–v4), else the platform's family.
func archspec(root string, p platform.Platform) string {
	fam := p.ArchSpec()
	if fam != "x86_64" || !p.IsLinux() {
		return fam
	}
	f, err := os.Open(filepath.Join(root, "/proc/cpuinfo"))
	if err != nil {
		return fam
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			return X86Level(strings.Fields(v))
		}
	}
	return fam
}

// X86Level names the x86-64 psABI level the CPU flags reach.
func X86Level(flags []string) string {
	has := map[string]bool{}
	for _, f := range flags {
		has[f] = true
	}
	all := func(fs ...string) bool {
		for _, f := range fs {
			if !has[f] {
				return false
			}
		}
		return true
	}
	level := "x86_64"
	if all("cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3") {
		level = "x86_64_v2"
		if all("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave") {
			level = "x86_64_v3"
			if all("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl") {
				level = "x86_64_v4"
			}
		}
	}
	return level
}

// LibDirs returns the host's shared library directories in the dynamic
// loader's order: those of /etc/ld.so.conf (with its includes), then the
// multiarch and default directories. Only existing directories are kept.
func LibDirs(root string) []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(d string) {
		d = filepath.Clean(d)
		if seen[d] {
			return
		}
		seen[d] = true
		if fi, err := os.Stat(filepath.Join(root, d)); err == nil && fi.IsDir() {
			dirs = append(dirs, d)
		}
	}
	readLdConf(root, "/etc/ld.so.conf", add, 0)
	for _, d := range defaultLibDirs() {
		add(d)
	}
	return dirs
}

func readLdConf(root, path string, add func(string), depth int) {
	if depth > 8 {
		return
	}
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "include" {
			for _, pat := range f[1:] {
				if !filepath.IsAbs(pat) {
					pat = filepath.Join(filepath.Dir(path), pat)
				}
				m, _ := filepath.Glob(filepath.Join(root, pat))
				sort.Strings(m)
				for _, inc := range m {
					readLdConf(root, strings.TrimPrefix(inc, root), add, depth+1)
				}
			}
			continue
		}
		for _, d := range f {
			if filepath.IsAbs(d) {
				add(d)
			}
		}
	}
}

// defaultLibDirs are the directories ld.so searches after ld.so.conf:
// the multiarch ones Debian uses, then the lib64 and lib trees.
func defaultLibDirs() []string {
	triplet := map[string]string{
		"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "ppc64le": "powerpc64le-linux-gnu",
		"s390x": "s390x-linux-gnu", "386": "i386-linux-gnu", "riscv64": "riscv64-linux-gnu",
	}[runtime.GOARCH]
	var out []string
	if triplet != "" {
		out = append(out, "/lib/"+triplet, "/usr/lib/"+triplet)
	}
	return append(out, "/lib64", "/usr/lib64", "/lib", "/usr/lib")
}
