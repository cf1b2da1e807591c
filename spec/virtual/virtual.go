// Package virtual describes virtual packages: __glibc, __linux, __unix,
// __osx, __win, __cuda and __archspec. Conda records depend on them
// ("__glibc >=2.17") to say what the system must provide; the solver
// treats them as packages the target already has.
//
// At lock time the manifest's system floor fixes them (so a lock made on
// a laptop says what a cluster node must have); at install time the host
// provides them (see verify's host probe), overridable like conda with
// CONDA_OVERRIDE_GLIBC and CONDA_OVERRIDE_CUDA.
package virtual

import (
	"fmt"
	"strings"

	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/version"
)

// Standard virtual package names.
const (
	Glibc    = "__glibc"
	Linux    = "__linux"
	Unix     = "__unix"
	Osx      = "__osx"
	Win      = "__win"
	Cuda     = "__cuda"
	Archspec = "__archspec"
)

// A Package is one virtual package: a name, a version and a build string
// (conda reports build "0" except for __archspec, whose build is the CPU
// family such as "x86_64").
type Package struct {
	Name    string
	Version string
	Build   string
}

// String returns "name version build".
func (p Package) String() string { return p.Name + " " + p.Version + " " + p.Build }

// Parse reads "__glibc=2.17", "__cuda=12.2" or "__archspec=1=x86_64" (as
// the --virtual flag takes them).
func Parse(s string) (Package, error) {
	parts := strings.Split(strings.TrimSpace(s), "=")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Package{}, fmt.Errorf("invalid virtual package %q: want NAME=VERSION[=BUILD], e.g. __glibc=2.17", s)
	}
	if !strings.HasPrefix(parts[0], "__") {
		return Package{}, fmt.Errorf("invalid virtual package %q: names start with \"__\" (e.g. __glibc)", s)
	}
	if _, err := version.Parse(parts[1]); err != nil {
		return Package{}, fmt.Errorf("invalid virtual package %q: %v", s, err)
	}
	p := Package{Name: parts[0], Version: parts[1], Build: "0"}
	if len(parts) == 3 {
		p.Build = parts[2]
	}
	return p, nil
}

// System is what a target provides beyond its platform: the floors a
// manifest's "system" block sets, or what a host probe found. Empty
// fields mean "not provided" (no __cuda) or the default below.
type System struct {
	Glibc    string // e.g. "2.17"; default DefaultGlibc on linux
	Linux    string // kernel version; default "0" (any)
	Osx      string // macOS version; default DefaultOsx for the platform
	Cuda     string // CUDA driver version; "" means no __cuda
	Archspec string // CPU microarchitecture; default the platform's family
}

// DefaultGlibc is the glibc floor assumed for linux targets when none is
// given: CentOS 7's, still common on clusters, and conda-lock's default.
const DefaultGlibc = "2.17"

// DefaultOsx returns the macOS floor assumed when none is given: the
// first release each architecture shipped with conda-forge support.
func DefaultOsx(p platform.Platform) string {
	if p == platform.OsxArm64 {
		return "11.0"
	}
	return "10.15"
}

// For returns the virtual packages a target of platform p with system s
// provides, sorted by name.
func For(p platform.Platform, s System) []Package {
	var out []Package
	arch := s.Archspec
	if arch == "" {
		arch = p.ArchSpec()
	}
	if arch != "" {
		out = append(out, Package{Archspec, "1", arch})
	}
	if s.Cuda != "" {
		out = append(out, Package{Cuda, s.Cuda, "0"})
	}
	if p.IsLinux() {
		g := s.Glibc
		if g == "" {
			g = DefaultGlibc
		}
		l := s.Linux
		if l == "" {
			l = "0"
		}
		out = append(out, Package{Glibc, g, "0"}, Package{Linux, l, "0"})
	}
	if p.IsOSX() {
		o := s.Osx
		if o == "" {
			o = DefaultOsx(p)
		}
		out = append(out, Package{Osx, o, "0"})
	}
	if p.IsUnix() {
		out = append(out, Package{Unix, "0", "0"})
	}
	if p.IsWindows() {
		out = append(out, Package{Win, "0", "0"})
	}
	return out
}

// Record returns the package as a repodata record the solver can pick.
func (p Package) Record() *repodata.Record {
	r := &repodata.Record{Name: p.Name, Version: p.Version, Build: p.Build, Channel: "@virtual", Subdir: "noarch"}
	r.Prepare()
	return r
}

// Records converts packages to records.
func Records(ps []Package) []*repodata.Record {
	out := make([]*repodata.Record, len(ps))
	for i, p := range ps {
		out[i] = p.Record()
	}
	return out
}

// Override replaces or adds packages in base by name (for --virtual).
func Override(base []Package, over ...Package) []Package {
	out := append([]Package(nil), base...)
	for _, o := range over {
		replaced := false
		for i := range out {
			if out[i].Name == o.Name {
				out[i], replaced = o, true
			}
		}
		if !replaced {
			out = append(out, o)
		}
	}
	return out
}
