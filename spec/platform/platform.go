// Package platform names conda platforms and their subdirs ("linux-64",
// "osx-arm64", "noarch"), and tells which one the running binary is on.
package platform

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
)

// A Platform is a conda subdir name such as "linux-64" or "noarch".
type Platform string

// The platforms conda knows, as rattler and conda name them.
const (
	Noarch         Platform = "noarch"
	Linux32        Platform = "linux-32"
	Linux64        Platform = "linux-64"
	LinuxAarch64   Platform = "linux-aarch64"
	LinuxArmV6l    Platform = "linux-armv6l"
	LinuxArmV7l    Platform = "linux-armv7l"
	LinuxPpc64le   Platform = "linux-ppc64le"
	LinuxPpc64     Platform = "linux-ppc64"
	LinuxS390X     Platform = "linux-s390x"
	LinuxRiscv64   Platform = "linux-riscv64"
	Osx64          Platform = "osx-64"
	OsxArm64       Platform = "osx-arm64"
	Win32          Platform = "win-32"
	Win64          Platform = "win-64"
	WinArm64       Platform = "win-arm64"
	EmscriptenWasm Platform = "emscripten-wasm32"
	WasiWasm32     Platform = "wasi-wasm32"
	ZosZ           Platform = "zos-z"
	Freebsd64      Platform = "freebsd-64"
)

var known = map[Platform]bool{
	Noarch: true, Linux32: true, Linux64: true, LinuxAarch64: true, LinuxArmV6l: true,
	LinuxArmV7l: true, LinuxPpc64le: true, LinuxPpc64: true, LinuxS390X: true,
	LinuxRiscv64: true, Osx64: true, OsxArm64: true, Win32: true, Win64: true,
	WinArm64: true, EmscriptenWasm: true, WasiWasm32: true, ZosZ: true, Freebsd64: true,
}

// Known returns every platform name, sorted.
func Known() []Platform {
	out := make([]Platform, 0, len(known))
	for p := range known {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Parse checks that s names a known platform.
func Parse(s string) (Platform, error) {
	p := Platform(strings.TrimSpace(s))
	if !known[p] {
		names := make([]string, 0, len(known))
		for _, k := range Known() {
			names = append(names, string(k))
		}
		return "", fmt.Errorf("unknown platform %q (known: %s)", s, strings.Join(names, ", "))
	}
	return p, nil
}

// String returns the subdir name.
func (p Platform) String() string { return string(p) }

// OS returns the operating system part: "linux", "osx", "win",
// "emscripten", "wasi", "zos", "freebsd", or "" for noarch.
func (p Platform) OS() string {
	if p == Noarch {
		return ""
	}
	os, _, _ := strings.Cut(string(p), "-")
	return os
}

// Arch returns the architecture part ("64", "aarch64", "arm64", …), or ""
// for noarch.
func (p Platform) Arch() string {
	_, arch, _ := strings.Cut(string(p), "-")
	return arch
}

// IsLinux, IsOSX and IsWindows report the operating system.
func (p Platform) IsLinux() bool   { return p.OS() == "linux" }
func (p Platform) IsOSX() bool     { return p.OS() == "osx" }
func (p Platform) IsWindows() bool { return p.OS() == "win" }

// IsUnix reports whether the platform gets the __unix virtual package.
func (p Platform) IsUnix() bool {
	switch p.OS() {
	case "linux", "osx", "freebsd", "zos", "emscripten", "wasi":
		return true
	}
	return false
}

// Subdirs returns the channel subdirs a solve for p reads: p itself and
// noarch.
func (p Platform) Subdirs() []Platform {
	if p == Noarch {
		return []Platform{Noarch}
	}
	return []Platform{p, Noarch}
}

// ArchSpec returns the default __archspec build string for the platform's
// CPU family, as conda reports it without probing the CPU model.
func (p Platform) ArchSpec() string {
	switch p {
	case Linux64, Osx64, Win64, Freebsd64:
		return "x86_64"
	case Linux32, Win32:
		return "x86"
	case LinuxAarch64:
		return "aarch64"
	case OsxArm64:
		return "arm64"
	case WinArm64:
		return "arm64"
	case LinuxPpc64le:
		return "ppc64le"
	case LinuxPpc64:
		return "ppc64"
	case LinuxS390X:
		return "s390x"
	case LinuxArmV6l:
		return "armv6l"
	case LinuxArmV7l:
		return "armv7l"
	case LinuxRiscv64:
		return "riscv64"
	case EmscriptenWasm, WasiWasm32:
		return "wasm32"
	case ZosZ:
		return "z"
	}
	return ""
}

// Host returns the platform of the running binary.
func Host() Platform {
	return FromGo(runtime.GOOS, runtime.GOARCH)
}

// FromGo maps a Go GOOS/GOARCH pair to a conda platform ("" when conda
// has none).
func FromGo(goos, goarch string) Platform {
	os := map[string]string{"linux": "linux", "darwin": "osx", "windows": "win", "freebsd": "freebsd"}[goos]
	arch := map[string]string{
		"amd64": "64", "386": "32", "arm64": "aarch64", "ppc64le": "ppc64le", "ppc64": "ppc64",
		"s390x": "s390x", "riscv64": "riscv64", "arm": "armv7l",
	}[goarch]
	if os == "" || arch == "" {
		return ""
	}
	if (os == "osx" || os == "win") && arch == "aarch64" {
		arch = "arm64"
	}
	p := Platform(os + "-" + arch)
	if !known[p] {
		return ""
	}
	return p
}
