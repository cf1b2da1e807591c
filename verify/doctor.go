package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/version"
	"github.com/envlock/envlock/spec/virtual"
	"github.com/envlock/envlock/verify/elfscan"
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
	// BelowFloor marks a check that passes here but fails on the glibc
	// floor the lock promises (an ELF file needing a newer GLIBC_).
	BelowFloor bool `json:"below_floor,omitempty"`
}

// Diagnosis is the outcome of Doctor.
type Diagnosis struct {
	Platform string     `json:"platform"`
	OK       bool       `json:"ok"`
	Checks   []Check    `json:"checks"`
	Host     *host.Host `json:"host"`
	// BelowFloor is set when everything runs here but some ELF file of
	// the environment (DoctorPrefix) needs a newer glibc than the lock's
	// floor.
	BelowFloor bool `json:"below_floor,omitempty"`
}

// DoctorPrefix adds to d the ELF files of the environment at o.Prefix
// (installed from o.Lock): one check per file and kind of problem, its
// needs against this host and against the lock's glibc floor, naming the
// package or wheel that owns it. Files are compared by size and mtime
// only (verify's --quick); drift is verify's business, not doctor's.
func DoctorPrefix(ctx context.Context, d *Diagnosis, o Options) error {
	o.Quick, o.Host = true, d.Host
	if o.Platform == "" {
		o.Platform = d.Platform
	}
	r, err := Prefix(ctx, o)
	if err != nil {
		return err
	}
	if r.ELF == nil {
		return nil
	}
	floor := r.lockFloor()
	type key struct{ file, kind, lib string }
	at := map[key]int{}
	var checks []Check
	for _, p := range r.ELF.Problems {
		k := key{p.File, p.Kind, p.Library}
		switch p.Kind {
		case elfscan.KindMissingLibrary:
			k.lib = p.Need
		case elfscan.KindGlibc, elfscan.KindFloor:
			k.lib = "" // libc.so.6, libm.so.6…: all glibc
		}
		if i, ok := at[k]; ok {
			if !strings.Contains(", "+checks[i].Need+", ", ", "+p.Need+", ") {
				checks[i].Need += ", " + p.Need
			}
			continue
		}
		c := Check{Name: "elf " + p.File, Need: p.Need, Have: p.Have}
		if p.Package != "" {
			c.Packages = []string{p.Package}
		}
		switch p.Kind {
		case elfscan.KindFloor:
			c.OK, c.BelowFloor = true, true
			c.Have = describeLibc(d.Host) + "; the lock's floor is glibc " + floor
			c.Fix = fmt.Sprintf("runs here, but not on glibc %s nodes: raise system: glibc in env.cue to at least the version needed and re-lock, or lock another build or version of %s", floor, orPackage(p.Package))
		case elfscan.KindGlibc:
			c.Fix = fmt.Sprintf("run on a node with a newer glibc, or lock another build or version of %s", orPackage(p.Package))
		case elfscan.KindSymbolVersion:
			c.Need = p.Need + " from " + p.Library
			c.Fix = fmt.Sprintf("%s needs a newer %s than the environment or the host provides: lock a newer package providing it", p.File, p.Library)
		default:
			c.Fix = fmt.Sprintf("%s is found nowhere: lock the package that provides it, or install the host library", p.Need)
		}
		at[k] = len(checks)
		checks = append(checks, c)
	}
	for _, c := range checks {
		d.Checks = append(d.Checks, c)
		if !c.OK {
			d.OK = false
		}
		if c.BelowFloor {
			d.BelowFloor = true
		}
	}
	if len(checks) == 0 {
		d.Checks = append(d.Checks, Check{Name: "elf", OK: true, Need: fmt.Sprintf("what its %d ELF files need", r.ELF.ELF), Have: "all of it, here and on the lock's floor glibc " + orDash(floor)})
	}
	return nil
}

func orPackage(p string) string {
	if p == "" {
		return "the package that owns it"
	}
	return p
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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
