package pep508

import (
	"strings"

	"github.com/envlock/envlock/spec/platform"
)

// Environment returns the marker variables of a conda platform with the
// given Python version ("3.11.7"; a "3.11" without a patch level counts
// as "3.11.0") for CPython. Variables a platform does not fix (the kernel
// release and version) are empty, so markers on them hold only for "!=".
func Environment(p platform.Platform, python string) Env {
	full := python
	if strings.Count(full, ".") == 1 {
		full += ".0"
	}
	short := full
	if parts := strings.SplitN(full, ".", 3); len(parts) >= 2 {
		short = parts[0] + "." + parts[1]
	}
	env := Env{
		"python_version":                 short,
		"python_full_version":            full,
		"implementation_name":            "cpython",
		"implementation_version":         full,
		"platform_python_implementation": "CPython",
		"platform_release":               "",
		"platform_version":               "",
		"extra":                          "",
	}
	switch p.OS() {
	case "linux":
		env["os_name"], env["sys_platform"], env["platform_system"] = "posix", "linux", "Linux"
	case "osx":
		env["os_name"], env["sys_platform"], env["platform_system"] = "posix", "darwin", "Darwin"
	case "win":
		env["os_name"], env["sys_platform"], env["platform_system"] = "nt", "win32", "Windows"
	case "freebsd":
		env["os_name"], env["sys_platform"], env["platform_system"] = "posix", "freebsd", "FreeBSD"
	case "emscripten":
		env["os_name"], env["sys_platform"], env["platform_system"] = "posix", "emscripten", "Emscripten"
	}
	env["platform_machine"] = Machine(p)
	return env
}

// Machine returns platform.machine() of Python on a conda platform:
// "x86_64" on linux-64 and osx-64, "AMD64" on win-64, "arm64" on
// osx-arm64, "aarch64" on linux-aarch64.
func Machine(p platform.Platform) string {
	switch p.Arch() {
	case "64":
		if p.IsWindows() {
			return "AMD64"
		}
		return "x86_64"
	case "32":
		if p.IsWindows() {
			return "x86"
		}
		return "i686"
	case "arm64":
		if p.IsWindows() {
			return "ARM64"
		}
		return "arm64"
	case "aarch64", "ppc64le", "s390x", "armv7l", "armv6l", "riscv64", "ppc64":
		return p.Arch()
	}
	return p.Arch()
}
