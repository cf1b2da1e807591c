package verify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/version"
	"github.com/envlock/envlock/spec/virtual"
	"github.com/envlock/envlock/verify/host"
)

// Check is one answer to "can this lock run here?".
type Check struct {
	Name string `json:"name"` // "platform", "glibc", "__cuda", …
	OK   bool   `json:"ok"`
	Need string `json:"need"`
	Have string `json:"have"`
	// Packages that carry the need (for virtual package needs).
	Packages []string `json:"packages,omitempty"`
	// Fix says what to do when the check fails.
	Fix string `json:"fix,omitempty"`
}

// Diagnosis is the outcome of Doctor.
type Diagnosis struct {
	Platform string     `json:"platform"`
	OK       bool       `json:"ok"`
	Checks   []Check    `json:"checks"`
	Host     *host.Host `json:"host"`
}

// Doctor decides whether the lock's platform plat (the host's when "")
// can run on h: the platform is locked, the host's glibc is at least the
// lock's glibc floor, and every virtual package a locked package depends
// on (__cuda, __linux, __osx, __archspec…) is satisfied by the host.
func Doctor(l *lockfile.Lock, plat string, h *host.Host) *Diagnosis {
	if plat == "" {
		plat = h.Platform
	}
	d := &Diagnosis{Platform: plat, Host: h, OK: true}
	add := func(c Check) {
		d.Checks = append(d.Checks, c)
		if !c.OK {
			d.OK = false
		}
	}
	pl := l.Platform(plat)
	if pl == nil {
		add(Check{Name: "platform", Need: plat, Have: "the lock has " + lockPlatforms(l),
			Fix: fmt.Sprintf("add %q to platforms in env.cue and run \"envlock lock\"", plat)})
		return d
	}
	add(Check{Name: "platform", OK: true, Need: plat, Have: h.Platform})
	if plat != h.Platform {
		d.Checks[len(d.Checks)-1].OK = false
		d.Checks[len(d.Checks)-1].Fix = fmt.Sprintf("this host is %s; check the %s platform of the lock here (--platform %s), or run on a %s host", h.Platform, h.Platform, h.Platform, plat)
		d.OK = false
	}

	if platform.Platform(plat).IsLinux() {
		add(glibcCheck(pl, h))
	}

	// Needs on other virtual packages, grouped by spec.
	hostRecs := virtual.Records(h.Virtual)
	type need struct {
		spec *matchspec.MatchSpec
		pkgs []string
	}
	needs := map[string]*need{}
	for _, pk := range pl.Packages {
		for _, dep := range pk.Depends {
			if !strings.HasPrefix(dep, "__") || strings.HasPrefix(dep, virtual.Glibc) {
				continue
			}
			ms, err := matchspec.Parse(dep)
			if err != nil {
				continue
			}
			key := ms.String()
			n := needs[key]
			if n == nil {
				n = &need{spec: ms}
				needs[key] = n
			}
			n.pkgs = append(n.pkgs, pk.Name+"-"+pk.Version+"-"+pk.Build)
		}
	}
	keys := make([]string, 0, len(needs))
	for k := range needs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n := needs[k]
		c := Check{Name: n.spec.Name, Need: k, Packages: n.pkgs, Have: "none"}
		for _, r := range hostRecs {
			if r.Name != n.spec.Name {
				continue
			}
			c.Have = r.Name + " " + r.Version
			if n.spec.Match(r) {
				c.OK = true
			}
		}
		if !c.OK {
			c.Fix = virtualFix(n.spec.Name, h)
		}
		add(c)
	}
	return d
}

func glibcCheck(pl *lockfile.Platform, h *host.Host) Check {
	floor := pl.GlibcFloor
	if floor == "" {
		for _, v := range pl.Virtual {
			if v.Name == virtual.Glibc {
				floor = v.Version
			}
		}
	}
	c := Check{Name: "glibc", Need: "glibc >= " + floor}
	if floor == "" {
		c.Need, c.OK, c.Have = "no glibc needs", true, describeLibc(h)
		return c
	}
	c.Have = describeLibc(h)
	switch {
	case h.Libc == "musl":
		c.Fix = "this host uses musl, not glibc; conda's linux packages need glibc: run on a glibc host, or in a glibc container"
	case h.Glibc == "":
		c.Fix = "the host's glibc version could not be read; set CONDA_OVERRIDE_GLIBC to it if you know it"
	default:
		hv, err1 := version.Parse(h.Glibc)
		fv, err2 := version.Parse(floor)
		if err1 == nil && err2 == nil && hv.Compare(fv) >= 0 {
			c.OK = true
			return c
		}
		c.Fix = fmt.Sprintf("the lock's packages need glibc %s but this host has %s: set system: glibc: %q in env.cue and run \"envlock lock\" to pick builds for this host, or run on a newer node", floor, h.Glibc, h.Glibc)
	}
	return c
}

func describeLibc(h *host.Host) string {
	switch {
	case h.Glibc != "":
		s := "glibc " + h.Glibc
		if h.GlibcSource == "CONDA_OVERRIDE_GLIBC" {
			s += " (CONDA_OVERRIDE_GLIBC)"
		}
		return s
	case h.Libc == "musl":
		return "musl " + h.Musl
	}
	return "unknown"
}

func virtualFix(name string, h *host.Host) string {
	switch name {
	case virtual.Cuda:
		if h.Cuda == "" {
			return "this host has no NVIDIA driver: run on a GPU node, or lock CPU builds (remove system.cuda from env.cue and re-lock)"
		}
		return fmt.Sprintf("this host's NVIDIA driver %s supports CUDA %s: run on a node with a newer driver, or set system: cuda: %q in env.cue and re-lock", h.Driver, h.Cuda, h.Cuda)
	case virtual.Linux:
		return fmt.Sprintf("this host's kernel is %s: run on a newer node, or set system: linux: %q in env.cue and re-lock", h.Kernel, h.Kernel)
	case virtual.Archspec:
		return fmt.Sprintf("this CPU is %s: set system: archspec: %q in env.cue and re-lock for builds that run on it", h.Archspec, h.Archspec)
	}
	return "run on a host that provides " + name
}
