package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/envlock/envlock/fetch/progress"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/verify"
	"github.com/envlock/envlock/verify/elfscan"
	"github.com/envlock/envlock/verify/host"
)

var hostFlags struct{ json bool }

var cmdHost = &Command{
	Name:  "host",
	Usage: "host [--json]",
	Short: "show what this host offers: platform, glibc, kernel, CUDA, as virtual packages",
	Long: `
Host probes this machine the way a solve sees it: its conda platform, its
C library (the glibc version read from libc.so.6 itself, or musl), kernel,
CPU level and NVIDIA driver with the CUDA version it supports, and prints
them with the virtual packages (__glibc, __linux, __cuda, __archspec, …)
they make. CONDA_OVERRIDE_GLIBC, CONDA_OVERRIDE_CUDA, CONDA_OVERRIDE_LINUX
and CONDA_OVERRIDE_ARCHSPEC replace what is probed, as in conda.

Example:

	envlock host
	CONDA_OVERRIDE_GLIBC=2.17 envlock host --json
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.BoolVar(&hostFlags.json, "json", false, "print JSON")
	},
	Run: runHost,
}

func probe(ctx context.Context, env *Env) (*host.Host, error) {
	h, err := host.Probe(ctx, host.Options{Getenv: env.Getenv})
	if err != nil {
		return nil, &exitError{code: exitInput, msg: err.Error()}
	}
	return h, nil
}

func runHost(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected arguments %q", args)
	}
	h, err := probe(ctx, env)
	if err != nil {
		return err
	}
	if hostFlags.json {
		return writeJSON(env.Stdout, struct {
			*host.Host
			Virtual []virtualJSON `json:"virtual_packages"`
		}{h, virtualList(h)})
	}
	w := env.Stdout
	fmt.Fprintf(w, "platform   %s\n", h.Platform)
	fmt.Fprintf(w, "libc       %s\n", libcLine(h))
	if h.Kernel != "" {
		fmt.Fprintf(w, "kernel     %s\n", h.Kernel)
	}
	if h.Archspec != "" {
		fmt.Fprintf(w, "cpu        %s\n", h.Archspec)
	}
	switch {
	case h.Cuda != "":
		fmt.Fprintf(w, "cuda       %s (%s)\n", h.Cuda, h.CudaSource)
	case h.Driver != "":
		fmt.Fprintf(w, "cuda       none (NVIDIA driver %s is older than any CUDA envlock knows)\n", h.Driver)
	case platform.Platform(h.Platform).IsLinux():
		fmt.Fprintf(w, "cuda       none (no NVIDIA driver)\n")
	}
	if len(h.Overrides) > 0 {
		fmt.Fprintf(w, "overrides  %s\n", strings.Join(h.Overrides, " "))
	}
	fmt.Fprintln(w, "\nvirtual packages:")
	for _, v := range h.Virtual {
		fmt.Fprintf(w, "  %s=%s=%s\n", v.Name, v.Version, v.Build)
	}
	return nil
}

type virtualJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Build   string `json:"build"`
}

func virtualList(h *host.Host) []virtualJSON {
	out := []virtualJSON{}
	for _, v := range h.Virtual {
		out = append(out, virtualJSON{v.Name, v.Version, v.Build})
	}
	return out
}

func libcLine(h *host.Host) string {
	switch {
	case h.Glibc != "":
		return fmt.Sprintf("glibc %s (%s)", h.Glibc, h.GlibcSource)
	case h.Libc == "musl":
		v := h.Musl
		if v == "" {
			v = "(version unknown)"
		}
		return "musl " + v + " (" + h.LibcPath + "); conda's linux packages need glibc"
	case platform.Platform(h.Platform).IsLinux():
		return "unknown (no libc.so.6 found and getconf failed)"
	}
	return "n/a"
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

var doctorFlags struct {
	lock     string
	prefix   string
	platform string
	json     bool
}

var cmdDoctor = &Command{
	Name:  "doctor",
	Usage: "doctor [--lock env.lock] [-p PATH] [--platform P] [--json]",
	Short: "check whether a lock can run on this host",
	Long: `
Doctor answers "can this lock run here?" before anything is installed:
the lock has this host's platform, the host's glibc is at least the
lock's glibc floor (the newest __glibc its packages need), and every
other virtual package a locked package depends on (__cuda for GPU builds,
__linux, __archspec, …) is provided by this host. Each failed check says
what is needed, what the host has, and how to fix it.

With -p PATH it also checks what is installed there: every ELF file's
GLIBC_x.y needs against this host and against the glibc floor the lock
promises (system: glibc in env.cue), and its libraries, one line per file
naming its package or wheel. A file that loads here but needs a newer
glibc than the floor is reported apart: the environment runs here, not
on the oldest nodes the lock was made for. The lock is then the one the
environment was installed from, unless --lock says otherwise.

Exit codes: 0 the lock can run here, 2 it cannot, 5 it runs here but
something installed needs a newer glibc than the lock's floor, 4 usage
or input error.

Example:

	envlock doctor --lock env.lock
	CONDA_OVERRIDE_GLIBC=2.12 envlock doctor   # as an old node would see it
	envlock doctor -p /blue/mylab/envs/proj     # and what is installed there
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&doctorFlags.lock, "lock", "", "lock file (default: env.lock, or with -p the one the environment was installed from)")
		prefixFlag(fs, &doctorFlags.prefix, "also check the ELF files of the environment at this path")
		fs.StringVar(&doctorFlags.platform, "platform", "", "the lock's platform to check (default: this host's)")
		fs.BoolVar(&doctorFlags.json, "json", false, "print JSON")
	},
	Run:       runDoctor,
	UsageExit: exitInput,
	FailExit:  exitInput,
}

func runDoctor(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected arguments %q", args)
	}
	lockPath := doctorFlags.lock
	var (
		l    *lockfile.Lock
		data []byte
		err  error
	)
	switch {
	case lockPath == "" && doctorFlags.prefix != "":
		l, data, lockPath, err = verify.InstalledLock(abs(env, doctorFlags.prefix))
		if errors.Is(err, verify.ErrLockGone) {
			return withHint(err, "pass --lock FILE")
		}
	default:
		if lockPath == "" {
			lockPath = lockfile.FileName
		}
		lockPath = abs(env, lockPath)
		l, data, err = lockfile.Read(lockPath)
	}
	if err != nil {
		return err
	}
	h, err := probe(ctx, env)
	if err != nil {
		return err
	}
	d := verify.Doctor(l, doctorFlags.platform, h)
	if doctorFlags.prefix != "" && d.OK {
		err := verify.DoctorPrefix(ctx, d, verify.Options{Prefix: abs(env, doctorFlags.prefix), Lock: l, LockData: data, LockPath: lockPath, Platform: doctorFlags.platform})
		if err != nil {
			return err
		}
	}
	if doctorFlags.json {
		if err := writeJSON(env.Stdout, d); err != nil {
			return err
		}
	} else {
		printChecks(env.Stdout, d.Checks)
	}
	if !d.OK {
		msg := ""
		if !doctorFlags.json {
			msg = fmt.Sprintf("%s cannot run on this host", filepath.Base(lockPath))
		}
		return &exitError{code: exitHost, msg: msg}
	}
	if d.BelowFloor {
		msg := ""
		if !doctorFlags.json {
			msg = fmt.Sprintf("%s runs here, but not on the glibc floor %s promises", doctorFlags.prefix, filepath.Base(lockPath))
		}
		return &exitError{code: exitFloor, msg: msg}
	}
	return nil
}

func printChecks(w io.Writer, checks []verify.Check) {
	for _, c := range checks {
		mark := "ok  "
		switch {
		case !c.OK:
			mark = "FAIL"
		case c.BelowFloor:
			mark = "FLOOR"
		}
		fmt.Fprintf(w, "%-4s  %-10s needs %s; host has %s\n", mark, c.Name, c.Need, c.Have)
		if !c.OK || c.BelowFloor {
			if len(c.Packages) > 0 {
				fmt.Fprintf(w, "      needed by %s\n", strings.Join(c.Packages, ", "))
			}
			fmt.Fprintf(w, "      fix: %s\n", c.Fix)
		}
	}
}

var verifyFlags struct {
	prefix   string
	lock     string
	platform string
	quick    bool
	noELF    bool
	trust    trustFlags
	json     bool
}

var cmdVerify = &Command{
	Name:  "verify",
	Usage: "verify [-p PATH | -n NAME] [--lock env.lock] [--platform P] [--quick] [--no-elf] [--key PUB]… [--json]",
	Short: "check that an environment is exactly what was locked, and runs here",
	Long: `
Verify checks the environment at PATH:

  - its conda packages against the lock: missing, extra, other builds;
  - Python distributions the lock did not install (a stray "pip install"),
    naming the tool that installed them;
  - every file conda-meta records: present, same size and sha256 (the
    rewritten hash for files whose prefix was replaced), and files nobody
    recorded in the packages' directories;
  - every ELF file: the GLIBC_x.y versions it needs against this host's
    glibc and against the glibc floor the lock promises, and its DT_NEEDED
    libraries resolved through RPATH/RUNPATH, the environment's lib/ and
    the host's library directories;
  - with --key (or $ENVLOCK_TRUSTED_KEYS), keyless identities
    (--certificate-identity[-regexp] with --certificate-oidc-issuer) or a
    site policy's trust section ($ENVLOCK_POLICY), the lock's signature,
    and who made it (see 'envlock verify-lock').

The lock is --lock, else the one recorded in conda-meta/envlock.json at
install. A prefix without envlock's marker (any conda environment) is
checked against its own conda-meta records. --quick compares sizes and
modification times instead of hashing.

Exit codes: 0 clean, 1 drift (the environment differs from what was
installed), 2 it is as installed but will not run on this host, 5 it runs
here but some ELF file needs a newer glibc than the lock's floor (system:
glibc in env.cue) promises, 3 the lock's signature is missing or wrong,
4 usage or input error. When several apply, 3 wins, then 1, then 2, then
5. --json prints the report described by schemas/verify.cue.

Example:

	envlock verify -p /blue/mylab/envs/proj
	envlock verify -p ~/miniconda3/envs/old --json > report.json
`,
	SetFlags: func(fs *flag.FlagSet) {
		prefixFlag(fs, &verifyFlags.prefix, "environment path (required)")
		fs.StringVar(&verifyFlags.lock, "lock", "", "lock file (default: the one the environment was installed from)")
		fs.StringVar(&verifyFlags.platform, "platform", "", "the lock's platform (default: the installed one)")
		fs.BoolVar(&verifyFlags.quick, "quick", false, "compare sizes and modification times, not hashes")
		fs.BoolVar(&verifyFlags.noELF, "no-elf", false, "skip the ELF scan")
		verifyFlags.trust.set(fs)
		fs.BoolVar(&verifyFlags.json, "json", false, "print the report as JSON")
	},
	Run:       runVerify,
	UsageExit: exitInput,
	FailExit:  exitInput,
}

func runVerify(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected arguments %q", args)
	}
	if verifyFlags.prefix == "" {
		return errNoPrefix
	}
	prefix := abs(env, verifyFlags.prefix)
	o := verify.Options{Prefix: prefix, Quick: verifyFlags.quick, Platform: verifyFlags.platform}

	lockPath := verifyFlags.lock
	if lockPath == "" {
		l, data, p, err := verify.InstalledLock(prefix)
		if errors.Is(err, verify.ErrLockGone) {
			return withHint(err, "pass --lock FILE")
		}
		if err != nil {
			return err
		}
		o.Lock, o.LockData, o.LockPath, lockPath = l, data, p, p
	} else {
		lockPath = abs(env, lockPath)
		l, data, err := lockfile.Read(lockPath)
		if err != nil {
			return err
		}
		o.Lock, o.LockData, o.LockPath = l, data, lockPath
	}
	trust, err := trustPolicy(env, &verifyFlags.trust, sitePolicyPath(env, ""))
	if err != nil {
		return err
	}
	if !trust.IsEmpty() {
		if o.Lock == nil {
			return usagef("--key needs a lock to check (--lock FILE)")
		}
		sig, err := sign.ReadSignature(lockPath)
		if err != nil {
			return err
		}
		o.Trust, o.Signature = trust, sig
	}
	if !verifyFlags.noELF {
		if o.Host, err = probe(ctx, env); err != nil {
			return err
		}
	}
	r, err := verify.Prefix(ctx, o)
	if err != nil {
		return err
	}
	if verifyFlags.json {
		if err := writeJSON(env.Stdout, r); err != nil {
			return err
		}
	} else {
		printReport(env.Stdout, r)
	}
	if code := verify.ExitCode(r.Status); code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// printReport writes the human summary: what is wrong, grouped, with
// what to do about it.
func printReport(w io.Writer, r *verify.Report) {
	fmt.Fprintf(w, "environment %s\n", r.Prefix)
	if r.Lock != nil {
		fmt.Fprintf(w, "lock        %s (%s, sha256 %s)\n", r.Lock.Path, r.Lock.Platform, r.Lock.SHA256[:12])
	} else {
		fmt.Fprintf(w, "lock        none: checked against conda-meta\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	p := r.Packages
	if r.Lock != nil {
		fmt.Fprintf(w, "\npackages: %d locked, %d installed", p.Locked, p.Installed)
	} else {
		fmt.Fprintf(w, "\npackages: %d installed", p.Installed)
	}
	if n := len(p.Missing) + len(p.Extra) + len(p.Changed) + len(p.Unreadable); n == 0 {
		fmt.Fprintln(w, ", as locked")
	} else {
		fmt.Fprintln(w)
		for _, m := range p.Missing {
			fmt.Fprintf(w, "  missing   %s %s %s\n", m.Name, m.Version, m.Build)
		}
		for _, m := range p.Changed {
			fmt.Fprintf(w, "  changed   %s: locked %s, installed %s\n", m.Name, m.Locked, m.Installed)
		}
		for _, m := range p.Extra {
			fmt.Fprintf(w, "  extra     %s %s %s (not in the lock)\n", m.Name, m.Version, m.Build)
		}
		for _, m := range p.Unreadable {
			fmt.Fprintf(w, "  unreadable %s\n", m)
		}
	}
	if len(r.PyPI.Untracked)+len(r.PyPI.Missing) > 0 {
		fmt.Fprintln(w, "\npython distributions:")
		for _, d := range r.PyPI.Untracked {
			fmt.Fprintf(w, "  untracked %s %s, installed by %s (%s)\n", d.Name, d.Version, d.Installer, d.Path)
		}
		for _, d := range r.PyPI.Missing {
			fmt.Fprintf(w, "  missing   %s %s (locked wheel)\n", d.Name, d.Version)
		}
	}
	how := "sha256"
	if r.Quick {
		how = "size and mtime"
	}
	fmt.Fprintf(w, "\nfiles: %d checked (%s), %s hashed", r.Files.Checked, how, progress.Bytes(r.Files.Bytes))
	if r.Files.Unverifiable > 0 {
		fmt.Fprintf(w, ", %d with no hash recorded (presence checked)", r.Files.Unverifiable)
	}
	if len(r.Files.Issues) == 0 {
		fmt.Fprintln(w, ", all intact")
	} else {
		fmt.Fprintln(w)
		pkgs, byPkg := byPackage(r.Files.Issues, func(fi verify.FileIssue) string { return fi.Package })
		for _, k := range pkgs {
			fmt.Fprintf(w, "  %s:\n", k)
			for _, fi := range byPkg[k] {
				detail := ""
				if fi.Want != "" || fi.Got != "" {
					detail = fmt.Sprintf(" (want %s, got %s)", orDash(fi.Want), orDash(fi.Got))
				}
				fmt.Fprintf(w, "    %-9s %s%s\n", fi.Kind, fi.Path, detail)
			}
		}
	}
	if r.ELF != nil {
		e := r.ELF
		fmt.Fprintf(w, "\nELF: %d files; newest glibc needed %s", e.ELF, orDash(e.Glibc))
		if e.GlibcFile != "" {
			fmt.Fprintf(w, " (%s)", e.GlibcFile)
		}
		fmt.Fprintf(w, "; host %s", libcSummary(e))
		if e.Floor != "" {
			fmt.Fprintf(w, "; lock's floor glibc %s", e.Floor)
		}
		fmt.Fprintln(w)
		printELFProblems(w, e.Problems)
		for _, u := range e.Unreadable {
			fmt.Fprintf(w, "  unreadable %s\n", u)
		}
	}
	if s := r.Signature; s != nil {
		fmt.Fprintf(w, "\nsignature: %s", s.Status)
		if s.Signer != nil {
			fmt.Fprintf(w, ", signed by %s", s.Signer)
		}
		if s.Message != "" {
			fmt.Fprintf(w, ": %s", s.Message)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n%s\n", verdict(r))
}

func libcSummary(e *verify.ELFReport) string {
	if e.HostGlibc != "" {
		return "glibc " + e.HostGlibc
	}
	if e.HostLibc != "" {
		return e.HostLibc
	}
	return "libc unknown"
}

// printELFProblems prints the problems by package, one line per file and
// kind of problem, all the versions it needs together.
func printELFProblems(w io.Writer, ps []elfscan.Problem) {
	pkgs, byPkg := byPackage(ps, func(p elfscan.Problem) string { return p.Package })
	for _, k := range pkgs {
		fmt.Fprintf(w, "  %s:\n", k)
		for _, p := range mergeNeeds(byPkg[k]) {
			fmt.Fprintf(w, "    %s\n", p)
		}
	}
}

// mergeNeeds joins the problems of one file that differ only in the
// version needed ("GLIBC_2.33, GLIBC_2.34"), keeping the first one's
// place.
func mergeNeeds(ps []elfscan.Problem) []elfscan.Problem {
	type key struct{ file, kind, lib, have string }
	at := map[key]int{}
	var out []elfscan.Problem
	for _, p := range ps {
		k := key{p.File, p.Kind, p.Library, p.Have}
		switch p.Kind {
		case elfscan.KindMissingLibrary:
			k.lib = p.Need
		case elfscan.KindGlibc, elfscan.KindFloor:
			k.lib = "" // libc.so.6, libm.so.6…: all glibc
		}
		if i, ok := at[k]; ok && p.Kind != elfscan.KindMissingLibrary {
			if !slices.Contains(strings.Split(out[i].Need, ", "), p.Need) {
				out[i].Need += ", " + p.Need
			}
			continue
		}
		at[k] = len(out)
		out = append(out, p)
	}
	return out
}

// byPackage groups findings by the package they belong to, packages
// sorted, "(no package)" for files no package owns.
func byPackage[T any](items []T, pkg func(T) string) ([]string, map[string][]T) {
	by := map[string][]T{}
	var keys []string
	for _, it := range items {
		k := pkg(it)
		if k == "" {
			k = "(no package)"
		}
		if by[k] == nil {
			keys = append(keys, k)
		}
		by[k] = append(by[k], it)
	}
	sort.Strings(keys)
	return keys, by
}

func verdict(r *verify.Report) string {
	switch r.Status {
	case verify.StatusClean:
		return "clean: the environment is exactly what was locked"
	case verify.StatusSignature:
		return "signature problem: the lock is not signed by a trusted key; do not trust this environment until it is re-signed or re-installed from a signed lock"
	case verify.StatusDrift:
		fix := "repair it with 'envlock install'"
		if r.Lock != nil {
			fix = fmt.Sprintf("repair it with 'envlock install --lock %s -p %s'", r.Lock.Path, r.Prefix)
		}
		if len(r.PyPI.Untracked) > 0 {
			fix += "; to keep the extra Python packages, add them to pypi in env.cue and re-lock"
		}
		return "drift: the environment is not what was installed; " + fix
	case verify.StatusHost:
		return "host incompatible: the environment is as installed but some of its programs will not load on this host; run 'envlock doctor' and see the fixes there"
	case verify.StatusFloor:
		floor := "the lock's glibc floor"
		if r.Lock != nil && r.Lock.GlibcFloor != "" {
			floor = "glibc " + r.Lock.GlibcFloor
		}
		return "floor incompatible: the environment runs here, but not on " + floor + ", the oldest nodes the lock promises; raise system: glibc in env.cue and re-lock, or lock builds of the packages above that need no newer glibc"
	}
	return r.Status
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
