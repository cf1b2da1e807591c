package host

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/spec/virtual"
)

func TestParsers(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n", "535.104.05"},
		{"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Feb 22 01:25:25 UTC 2024\n", "550.54.14"},
		{"NVRM version: NVIDIA UNIX ppc64le Kernel Module  418.39  Sat Feb  9 2019\n", "418.39"},
		{"garbage", ""},
	} {
		if got := DriverVersion(tc.in); got != tc.want {
			t.Errorf("DriverVersion(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	smi := "+-----------------------------------------------------------------------------+\n| NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2     |\n"
	if got := CudaFromSMI(smi); got != "12.2" {
		t.Errorf("CudaFromSMI = %q, want 12.2", got)
	}
	for _, tc := range []struct{ driver, want string }{
		{"535.104.05", "12.2"},
		{"535.54.03", "12.2"},
		{"535.54.02", "12.1"},
		{"470.82.01", "11.4"},
		{"525.60.13", "12.0"},
		{"580.95.05", "13.0"},
		{"384.81", "9.0"},
		{"340.108", ""},
		{"x", ""},
	} {
		if got := CudaForDriver(tc.driver); got != tc.want {
			t.Errorf("CudaForDriver(%s) = %q, want %q", tc.driver, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"6.1.0-18-amd64", "6.1.0"},
		{"3.10.0-1160.el7.x86_64", "3.10.0"},
		{"5.14.0-362.8.1.el9_3.x86_64", "5.14.0"},
		{"6.18.44-fc-v595", "6.18.44"},
		{"4.4.0-19041-Microsoft", "4.4.0"},
	} {
		if got := kernelVersion(tc.in); got != tc.want {
			t.Errorf("kernelVersion(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	v2 := strings.Fields("fpu cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3")
	v3 := append(v2, strings.Fields("avx avx2 bmi1 bmi2 f16c fma abm movbe xsave")...)
	v4 := append(v3, strings.Fields("avx512f avx512bw avx512cd avx512dq avx512vl")...)
	for _, tc := range []struct {
		flags []string
		want  string
	}{{nil, "x86_64"}, {v2, "x86_64_v2"}, {v3, "x86_64_v3"}, {v4, "x86_64_v4"}, {v3[2:], "x86_64"}} {
		if got := X86Level(tc.flags); got != tc.want {
			t.Errorf("X86Level(%v) = %q, want %q", tc.flags, got, tc.want)
		}
	}
}

// TestProbeThisHost compares the glibc version read from libc.so.6 with
// what getconf says, and the kernel with uname.
func TestProbeThisHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the probe reads Linux files")
	}
	h, err := Probe(context.Background(), Options{Getenv: func(string) string { return "" }, NoCommands: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("host: %+v", h)
	t.Run("getconf", func(t *testing.T) {
		out, err := exec.Command("getconf", "GNU_LIBC_VERSION").Output()
		if err != nil {
			testenv.Missing(t, "getconf GNU_LIBC_VERSION", "glibc's getconf (Debian: libc-bin), for the comparison: "+err.Error())
		}
		want := strings.TrimPrefix(strings.TrimSpace(string(out)), "glibc ")
		if h.Glibc != want || h.Libc != "glibc" {
			t.Errorf("glibc %q (%s), getconf says %q", h.Glibc, h.GlibcSource, want)
		}
		if !strings.Contains(h.GlibcSource, "libc.so.6") {
			t.Errorf("glibc came from %q; want it read from libc.so.6 itself", h.GlibcSource)
		}
	})
	out, err := exec.Command("uname", "-r").Output()
	if err != nil {
		t.Fatalf("uname -r: %v", err)
	}
	if want := kernelVersion(strings.TrimSpace(string(out))); h.Kernel != want {
		t.Errorf("kernel %q, uname -r gives %q", h.Kernel, want)
	}
	if len(h.LibDirs) == 0 {
		t.Error("no library directories found")
	}
	var names []string
	for _, v := range h.Virtual {
		names = append(names, v.Name)
	}
	if diff := cmp.Diff([]string{virtual.Archspec, virtual.Glibc, virtual.Linux, virtual.Unix}, names); diff != "" {
		t.Errorf("virtual packages (-want +got):\n%s", diff)
	}
}

func TestOverrides(t *testing.T) {
	env := map[string]string{"CONDA_OVERRIDE_GLIBC": "2.17", "CONDA_OVERRIDE_CUDA": "12.2", "CONDA_OVERRIDE_LINUX": "3.10.0"}
	h, err := Probe(context.Background(), Options{Getenv: func(k string) string { return env[k] }, NoCommands: true})
	if err != nil {
		t.Fatal(err)
	}
	if h.Glibc != "2.17" || h.GlibcSource != "CONDA_OVERRIDE_GLIBC" || h.Cuda != "12.2" || h.Kernel != "3.10.0" {
		t.Errorf("overrides not applied: %+v", h)
	}
	var got []string
	for _, v := range h.Virtual {
		if v.Name != virtual.Archspec {
			got = append(got, v.String())
		}
	}
	want := []string{"__cuda 12.2 0", "__glibc 2.17 0", "__linux 3.10.0 0", "__unix 0 0"}
	if runtime.GOOS == "linux" && !cmp.Equal(want, got) {
		t.Errorf("virtual packages %v, want %v", got, want)
	}
	env["CONDA_OVERRIDE_GLIBC"] = "two.seventeen!"
	if _, err := Probe(context.Background(), Options{Getenv: func(k string) string { return env[k] }}); err == nil || !strings.Contains(err.Error(), "CONDA_OVERRIDE_GLIBC") {
		t.Errorf("a malformed override gave %v, want an error naming it", err)
	}
}

// TestFakeRoots probes directories laid out like other hosts: a musl one,
// and a glibc one with an NVIDIA driver and an ld.so.conf with includes.
func TestFakeRoots(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the probe reads Linux files")
	}
	musl := t.TempDir()
	write(t, musl, "lib/ld-musl-x86_64.so.1", "not really musl")
	write(t, musl, "proc/sys/kernel/osrelease", "5.15.0-alpine\n")
	h, err := Probe(context.Background(), Options{Root: musl, Getenv: func(string) string { return "" }, NoCommands: true})
	if err != nil {
		t.Fatal(err)
	}
	if h.Libc != "musl" || h.Glibc != "" || h.Kernel != "5.15.0" {
		t.Errorf("musl root probed as %+v", h)
	}
	for _, v := range h.Virtual {
		if v.Name == virtual.Glibc {
			t.Errorf("a musl host has %s", v)
		}
	}

	gpu := t.TempDir()
	write(t, gpu, "proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.82.01  Fri Oct 22 2021\n")
	write(t, gpu, "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
	write(t, gpu, "etc/ld.so.conf.d/cuda.conf", "# CUDA\n/usr/local/cuda/lib64\n")
	write(t, gpu, "usr/local/cuda/lib64/.keep", "")
	libc, err := filepath.EvalSymlinks("/lib/x86_64-linux-gnu/libc.so.6")
	if err == nil {
		b, _ := os.ReadFile(libc)
		write(t, gpu, "usr/lib64/libc.so.6", string(b))
	}
	h, err = Probe(context.Background(), Options{Root: gpu, Getenv: func(string) string { return "" }, NoCommands: true})
	if err != nil {
		t.Fatal(err)
	}
	if h.Driver != "470.82.01" || h.Cuda != "11.4" {
		t.Errorf("driver %q cuda %q, want 470.82.01 and 11.4", h.Driver, h.Cuda)
	}
	if len(h.LibDirs) == 0 || h.LibDirs[0] != "/usr/local/cuda/lib64" {
		t.Errorf("library dirs %v, want /usr/local/cuda/lib64 (from ld.so.conf.d) first", h.LibDirs)
	}
	if err == nil && libc != "" && (h.Glibc == "" || h.LibcPath != "/usr/lib64/libc.so.6") {
		t.Errorf("glibc %q from %q, want it read from /usr/lib64/libc.so.6", h.Glibc, h.LibcPath)
	}
}

func write(t *testing.T, root, rel, data string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func FuzzParsers(f *testing.F) {
	f.Add("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19\n")
	f.Add("CUDA Version: 12.2")
	f.Add("6.1.0-18-amd64")
	f.Fuzz(func(t *testing.T, s string) {
		DriverVersion(s)
		CudaFromSMI(s)
		CudaForDriver(s)
		kernelVersion(s)
		X86Level(strings.Fields(s))
	})
}
