package verify

import (
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/spec/virtual"
	"github.com/envlock/envlock/verify/elfscan"
	"github.com/envlock/envlock/verify/host"
)

// ReportVersion is the version of the JSON report format (schemas/verify.cue).
const ReportVersion = 1

// Statuses of a report, from the most to the least serious. Exit codes
// follow them: see Status.ExitCode.
const (
	StatusSignature = "signature"         // the lock's signature failed
	StatusDrift     = "drift"             // the prefix is not what was locked
	StatusHost      = "host-incompatible" // the prefix is as locked, but will not run here
	// StatusFloor: the prefix is as locked and runs here, but some ELF
	// file needs a newer glibc than the floor the lock promises (its
	// system: glibc), so it will not run on the oldest nodes.
	StatusFloor = "floor-incompatible"
	StatusClean = "clean"
)

// ExitCode maps a status to the exit code "envlock verify" documents:
// 0 clean, 1 drift, 2 host incompatible, 3 signature problem, 5 below
// the lock's glibc floor (4 is a usage or input error, decided before any
// report exists).
func ExitCode(status string) int {
	switch status {
	case StatusClean:
		return 0
	case StatusDrift:
		return 1
	case StatusHost:
		return 2
	case StatusSignature:
		return 3
	case StatusFloor:
		return 5
	}
	return 4
}

// Report is what Prefix found; its JSON form is documented by
// schemas/verify.cue.
type Report struct {
	Version int    `json:"version"`
	Prefix  string `json:"prefix"`
	Status  string `json:"status"`
	// Lock is nil when the prefix was checked against its conda-meta
	// records alone.
	Lock      *LockInfo     `json:"lock,omitempty"`
	Quick     bool          `json:"quick"`
	Packages  PackageReport `json:"packages"`
	PyPI      PyPIReport    `json:"pypi"`
	Files     FileReport    `json:"files"`
	ELF       *ELFReport    `json:"elf,omitempty"`
	Signature *Signature    `json:"signature,omitempty"`
	Host      *host.Host    `json:"host,omitempty"`
	// Notes are facts worth knowing that are not drift (a lock that
	// changed since the install, records conda-meta lacks hashes for).
	Notes []string `json:"notes,omitempty"`
}

// LockInfo names the lock a prefix was checked against.
type LockInfo struct {
	Path     string `json:"path"`
	SHA256   string `json:"sha256"`
	Name     string `json:"name"`
	Platform string `json:"platform"`
	// InstalledSHA256 is the hash conda-meta/envlock.json recorded at
	// install time ("" when the prefix has no marker).
	InstalledSHA256 string `json:"installed_sha256,omitempty"`
	// GlibcFloor is the glibc the lock promises to run on (see
	// GlibcFloor); "" when it promises none.
	GlibcFloor string `json:"glibc_floor,omitempty"`
}

// GlibcFloor is the oldest glibc a locked platform promises to run on:
// the __glibc virtual package its solve assumed (env.cue's system:
// glibc), else the newest __glibc its packages depend on.
func GlibcFloor(pl *lockfile.Platform) string {
	for _, v := range pl.Virtual {
		if v.Name == virtual.Glibc && v.Version != "" {
			return v.Version
		}
	}
	return pl.GlibcFloor
}

// Package identifies a conda package.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Build   string `json:"build"`
}

// PackageChange is a package present in another version or build than
// the lock's.
type PackageChange struct {
	Name      string `json:"name"`
	Locked    string `json:"locked"`    // version-build
	Installed string `json:"installed"` // version-build
}

// PackageReport compares the prefix's conda packages with the lock's.
type PackageReport struct {
	Locked    int             `json:"locked"`
	Installed int             `json:"installed"`
	Missing   []Package       `json:"missing"`
	Extra     []Package       `json:"extra"`
	Changed   []PackageChange `json:"changed"`
	// Unreadable conda-meta records.
	Unreadable []string `json:"unreadable"`
}

// Dist is a Python distribution in site-packages.
type Dist struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Installer string `json:"installer"` // from INSTALLER: "pip", "uv", "envlock", "conda"…
	Path      string `json:"path"`      // its .dist-info directory
}

// PyPIReport lists Python distributions that are not what was locked.
type PyPIReport struct {
	// Untracked distributions: installed by something other than the
	// lock (typically "pip install").
	Untracked []Dist `json:"untracked"`
	// Missing locked wheels.
	Missing []Dist `json:"missing"`
}

// File problem kinds.
const (
	FileModified  = "modified"  // contents (sha256 or size) differ
	FileMissing   = "missing"   // recorded but not on disk
	FileUntracked = "untracked" // on disk in a package's directory, recorded by none
	FileType      = "type"      // a file became a link or a directory, or the reverse
)

// FileIssue is one file that is not as installed.
type FileIssue struct {
	Path    string `json:"path"`
	Kind    string `json:"kind"`
	Package string `json:"package,omitempty"` // owner: name-version-build, or "pypi:name==version"
	Want    string `json:"want,omitempty"`    // sha256 or size expected
	Got     string `json:"got,omitempty"`
}

// FileReport is the outcome of the integrity check.
type FileReport struct {
	// Checked files, and the bytes hashed.
	Checked int   `json:"checked"`
	Bytes   int64 `json:"bytes_hashed"`
	// Unverifiable counts recorded files with no hash or size to check
	// against (old conda-meta, generated files); their presence is checked.
	Unverifiable int         `json:"unverifiable"`
	Issues       []FileIssue `json:"issues"`
}

// ELFReport is the ELF scan, with its problems grouped by package.
type ELFReport struct {
	*elfscan.Result
	HostGlibc string `json:"host_glibc,omitempty"`
	HostLibc  string `json:"host_libc,omitempty"`
	// Floor is the lock's glibc floor the files were compared with.
	Floor string `json:"glibc_floor,omitempty"`
}

// hostProblems counts the problems that stop a file loading here (all
// but the floor's).
func (e *ELFReport) hostProblems() (host, floor int) {
	for _, p := range e.Problems {
		if p.Kind == elfscan.KindFloor {
			floor++
		} else {
			host++
		}
	}
	return host, floor
}

// Signature is the outcome of checking the lock's signature.
type Signature struct {
	// Status is "verified", "unsigned", "invalid" or "not-checked".
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	// Keys are the fingerprints of the trusted keys tried.
	Keys []string `json:"keys,omitempty"`
	// Signer says who signed the lock, when the signature verified.
	Signer *sign.Signer `json:"signer,omitempty"`
}

// drifted reports whether anything about the prefix differs from what
// was installed.
func (r *Report) drifted() bool {
	p := r.Packages
	return len(p.Missing)+len(p.Extra)+len(p.Changed)+len(p.Unreadable)+
		len(r.PyPI.Untracked)+len(r.PyPI.Missing)+len(r.Files.Issues) > 0
}

func (r *Report) setStatus() {
	switch {
	case r.Signature != nil && r.Signature.Status != "verified" && r.Signature.Status != "not-checked":
		r.Status = StatusSignature
	case r.drifted():
		r.Status = StatusDrift
	case r.ELF != nil && len(r.ELF.Problems) > 0:
		if host, _ := r.ELF.hostProblems(); host > 0 {
			r.Status = StatusHost
		} else {
			r.Status = StatusFloor
		}
	default:
		r.Status = StatusClean
	}
}

// normalize makes every list non-nil, so the JSON report has [] rather
// than null for "none".
func (r *Report) normalize() {
	p := &r.Packages
	p.Missing, p.Extra, p.Unreadable = nonNil(p.Missing), nonNil(p.Extra), nonNil(p.Unreadable)
	p.Changed = nonNil(p.Changed)
	r.PyPI.Untracked, r.PyPI.Missing = nonNil(r.PyPI.Untracked), nonNil(r.PyPI.Missing)
	r.Files.Issues = nonNil(r.Files.Issues)
	if r.ELF != nil {
		r.ELF.Problems = nonNil(r.ELF.Problems)
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// lockFloor is the lock's glibc floor, "" without a lock.
func (r *Report) lockFloor() string {
	if r.Lock == nil {
		return ""
	}
	return r.Lock.GlibcFloor
}
