package verify

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/verify/elfscan"
	"github.com/envlock/envlock/verify/host"
)

// Options say which prefix to check and against what.
type Options struct {
	// Prefix is the environment's root directory.
	Prefix string
	// Lock is what the prefix should hold; nil checks the prefix against
	// its own conda-meta records only (any conda environment).
	Lock     *lockfile.Lock
	LockData []byte
	LockPath string
	// Platform of the lock to compare with; "" means the one recorded at
	// install time, else the host's.
	Platform string
	// Quick compares sizes and modification times instead of hashing.
	Quick bool
	// Host enables the ELF scan against it; nil skips the scan.
	Host *host.Host
	// Trusted public keys (PEM); when set the lock's Signature (nil for an
	// unsigned lock) is checked against them.
	Trusted   [][]byte
	Signature []byte
	// Trust, when set, says who may sign instead of Trusted: keys and
	// keyless identities (lock/sign.Policy).
	Trust *sign.Policy
	// Workers bounds parallel hashing; 0 means two a core (GOMAXPROCS).
	Workers int
}

// owned is what the records say a path should be.
type owned struct {
	owner string // name-version-build, or pypi:name==version
	want  metaPath
	alts  []metaPath // other records of a clobbered path
	pyc   bool       // generated: presence only
}

// Prefix checks a prefix: its package set against the lock, Python
// distributions nobody locked, every recorded file's size and sha256, the
// files no record owns, the ELF files against the host, and the lock's
// signature. It returns an error only when the check itself cannot run
// (no such prefix, not a conda environment).
func Prefix(ctx context.Context, o Options) (*Report, error) {
	prefix, err := filepath.Abs(o.Prefix)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(prefix); err != nil {
		return nil, fmt.Errorf("no environment at %s: %w", prefix, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", prefix)
	}
	tr, err := openTree(prefix)
	if err != nil {
		return nil, err
	}
	defer tr.close()
	recs, badMeta, err := readCondaMeta(tr, prefix)
	if err != nil {
		return nil, err
	}
	r := &Report{Version: ReportVersion, Prefix: prefix, Quick: o.Quick, Host: o.Host}
	r.Packages.Unreadable = badMeta
	r.Packages.Installed = len(recs)

	var installedAt time.Time
	marker, merr := install.ReadMarker(prefix)
	if merr == nil {
		installedAt = marker.Installed
	}

	// Which packages and wheels should be here.
	var lockedWheels map[string]*lockfile.Wheel
	if o.Lock != nil {
		plat := o.Platform
		if plat == "" && marker != nil {
			plat = marker.Platform
		}
		if plat == "" {
			plat = string(platform.Host())
		}
		pl := o.Lock.Platform(plat)
		if pl == nil {
			return nil, fmt.Errorf("the lock has no platform %s (it has %s)", plat, lockPlatforms(o.Lock))
		}
		r.Lock = &LockInfo{Path: o.LockPath, SHA256: lockfile.Hash(o.LockData), Name: o.Lock.Name, Platform: plat, GlibcFloor: GlibcFloor(pl)}
		if marker != nil {
			r.Lock.InstalledSHA256 = marker.LockHash
			if marker.LockHash != "" && marker.LockHash != r.Lock.SHA256 {
				r.Notes = append(r.Notes, "the lock changed since this prefix was installed from it (sha256 "+short(marker.LockHash)+" then, "+short(r.Lock.SHA256)+" now)")
			}
		}
		comparePackages(r, pl, recs)
		lockedWheels = map[string]*lockfile.Wheel{}
		for _, w := range pl.PyPI {
			lockedWheels[normalize(w.Name)] = w
		}
	} else if merr == nil && marker != nil {
		r.Notes = append(r.Notes, "checked against conda-meta only; pass --lock to compare the package set with a lock")
	}

	// What each path should be: the entries in one slab, the map sized
	// for them (ten thousands of paths in a large environment).
	total := 0
	for _, rec := range recs {
		total += len(rec.paths())
	}
	own := make(map[string]*owned, total)
	slab := make([]owned, 0, total)
	for _, rec := range recs {
		id := rec.ID()
		for _, p := range rec.paths() {
			key := path.Clean(filepath.ToSlash(p.Path))
			if prev := own[key]; prev != nil {
				// Clobbering: two packages ship the path and the later
				// one won; the file may match either record.
				prev.alts = append(prev.alts, p)
				prev.owner += ", " + id
				continue
			}
			// Byte-code conda compiled is checked for presence; envlock
			// records the hash of what it compiled, checked like any file.
			slab = append(slab, owned{owner: id, want: p, pyc: p.Type == "pyc_file" && p.SHA256 == ""})
			own[key] = &slab[len(slab)-1]
		}
	}

	// Python distributions: owned by a conda package, locked wheels
	// installed by envlock, or drift.
	dists := findDists(tr)
	distOf := map[string]string{} // path → "name version (installer)" for untracked dists
	seenWheel := map[string]bool{}
	for _, d := range dists {
		if ownerOfDir(own, d.Dir) != "" {
			continue // part of a conda package (conda's own pip, say)
		}
		key := normalize(d.Name)
		w := lockedWheels[key]
		entries, _ := readRecord(tr, d)
		if w != nil && d.Installer == "envlock" && w.Version == d.Version {
			seenWheel[key] = true
			id := "pypi:" + d.Name + "==" + d.Version
			for _, e := range entries {
				mp := metaPath{Path: e.Path, Type: "hardlink", SHA256: e.SHA256}
				if e.Size >= 0 {
					sz := e.Size
					mp.Size = &sz
				}
				own[e.Path] = &owned{owner: id, want: mp, pyc: strings.HasSuffix(e.Path, ".pyc") && e.SHA256 == ""}
			}
			own[d.Dir+"/RECORD"] = &owned{owner: id, want: metaPath{Path: d.Dir + "/RECORD", Type: "hardlink"}}
			continue
		}
		inst := d.Installer
		if inst == "" {
			inst = "unknown"
		}
		r.PyPI.Untracked = append(r.PyPI.Untracked, Dist{Name: d.Name, Version: d.Version, Installer: inst, Path: d.Dir})
		label := d.Name + " " + d.Version + " (installed by " + inst + ")"
		for _, e := range entries {
			distOf[e.Path] = label
		}
		distOf[d.Dir] = label
	}
	for key, w := range lockedWheels {
		if !seenWheel[key] {
			r.PyPI.Missing = append(r.PyPI.Missing, Dist{Name: w.Name, Version: w.Version, Installer: "envlock"})
		}
	}
	sort.Slice(r.PyPI.Missing, func(i, j int) bool { return r.PyPI.Missing[i].Name < r.PyPI.Missing[j].Name })

	// Walk the prefix once: untracked files, and the file list for the
	// ELF scan.
	ownedDirs := map[string]bool{}
	for p := range own {
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			if ownedDirs[d] {
				break
			}
			ownedDirs[d] = true
		}
	}
	var regular []string
	var untracked []FileIssue
	under := prefix + string(filepath.Separator)
	walk := func() error {
		return filepath.WalkDir(prefix, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrPermission) {
					return nil
				}
				return err
			}
			rp, ok := strings.CutPrefix(p, under)
			if ok {
				rp = filepath.ToSlash(rp)
			} else {
				rp = rel(prefix, p)
			}
			if d.IsDir() {
				if rp == "conda-meta" || d.Name() == "__pycache__" {
					return filepath.SkipDir
				}
				if _, ok := distOf[rp]; ok {
					return filepath.SkipDir // reported as an untracked distribution
				}
				return nil
			}
			if d.Type().IsRegular() {
				regular = append(regular, rp)
			}
			if _, ok := own[rp]; ok || rp == "." {
				return nil
			}
			if _, ok := distOf[rp]; ok {
				return nil
			}
			if strings.HasSuffix(rp, ".pyc") && own[strings.TrimSuffix(rp, "c")] != nil {
				return nil
			}
			if !ownedDirs[path.Dir(rp)] && !hasOwnedAncestor(ownedDirs, rp) {
				return nil
			}
			untracked = append(untracked, FileIssue{Path: rp, Kind: FileUntracked})
			return nil
		})
	}

	// Check each owned path, walking the prefix meanwhile.
	seen, err := checkFiles(ctx, tr, own, o, installedAt, r, walk)
	if err != nil {
		return nil, err
	}
	r.Files.Issues = append(r.Files.Issues, untracked...)
	sort.Slice(r.Files.Issues, func(i, j int) bool {
		a, b := r.Files.Issues[i], r.Files.Issues[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Kind < b.Kind
	})

	if o.Host != nil {
		res, err := elfscan.Scan(ctx, elfscan.Options{
			Prefix: prefix, Files: regular, Known: seen, Libc: o.Host.Libc, Glibc: o.Host.Glibc, LibDirs: o.Host.LibDirs, Floor: r.lockFloor(),
			Owner: func(p string) string {
				if w := own[p]; w != nil {
					return w.owner
				}
				return distOf[p]
			},
		})
		if err != nil {
			return nil, err
		}
		r.ELF = &ELFReport{Result: res, HostGlibc: o.Host.Glibc, HostLibc: o.Host.Libc, Floor: r.lockFloor()}
	}

	if o.Trusted != nil || !o.Trust.IsEmpty() {
		r.Signature = checkSignature(o)
	}
	r.setStatus()
	r.normalize()
	return r, nil
}

func hasOwnedAncestor(dirs map[string]bool, p string) bool {
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if dirs[d] {
			return true
		}
	}
	return false
}

// ownerOfDir returns the owner of any recorded file inside dir.
func ownerOfDir(own map[string]*owned, dir string) string {
	for _, f := range []string{"METADATA", "RECORD", "INSTALLER", "PKG-INFO", "WHEEL"} {
		if w := own[dir+"/"+f]; w != nil {
			return w.owner
		}
	}
	return ""
}

func comparePackages(r *Report, pl *lockfile.Platform, recs []*metaRecord) {
	r.Packages.Locked = len(pl.Packages)
	have := map[string]*metaRecord{}
	for _, rec := range recs {
		have[rec.Name] = rec
	}
	for _, pk := range pl.Packages {
		rec := have[pk.Name]
		switch {
		case rec == nil:
			r.Packages.Missing = append(r.Packages.Missing, Package{pk.Name, pk.Version, pk.Build})
		case rec.Version != pk.Version || rec.Build != pk.Build:
			r.Packages.Changed = append(r.Packages.Changed, PackageChange{Name: pk.Name, Locked: pk.Version + "-" + pk.Build, Installed: rec.Version + "-" + rec.Build})
		}
		delete(have, pk.Name)
	}
	for _, rec := range recs {
		if have[rec.Name] != nil {
			r.Packages.Extra = append(r.Packages.Extra, Package{rec.Name, rec.Version, rec.Build})
		}
	}
}

type fileJob struct {
	path string
	w    *owned
}

// size is what the records say the file weighs, for scheduling: a file
// of unknown size may be large, so it counts as the largest.
func (j fileJob) size() int64 {
	if j.w.want.Size == nil {
		return math.MaxInt64
	}
	return *j.w.want.Size
}

// checkFiles checks every owned path: presence and type always, then
// size and sha256 (or size and mtime with Quick), on a fixed pool of
// workers while during runs beside them. The workers share one queue of the
// files, largest first by their records: the order that keeps every
// core busy to the end, as the last files taken are the smallest. With
// o.Host each worker also inspects the regular files it opens for the
// ELF scan, from the bytes it read to hash them where it did; it
// returns those inspections.
func checkFiles(ctx context.Context, tr *tree, own map[string]*owned, o Options, installedAt time.Time, r *Report, during func() error) (map[string]elfscan.Inspection, error) {
	jobs := make([]fileJob, 0, len(own))
	for k, w := range own {
		jobs = append(jobs, fileJob{k, w})
	}
	slices.SortFunc(jobs, func(a, b fileJob) int {
		if c := cmp.Compare(b.size(), a.size()); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	workers := o.Workers
	if workers <= 0 {
		// Two a core: from a warm page cache one a core would do (the
		// CPU time is the same, BenchmarkVerify), but a prefix on a
		// network file system, read cold, waits on every open, and the
		// second worker hashes meanwhile.
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	type tally struct {
		checked, unverifiable int
		hashed                int64
		issues                []FileIssue
		d                     *digester
		_                     [64]byte // one cache line a worker's counters
	}
	tallies := make([]tally, workers)
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for i := range tallies {
		t := &tallies[i]
		t.d = newDigester(o.Host != nil)
		g.Go(func() error {
			for {
				k := next.Add(1) - 1
				if k >= int64(len(jobs)) {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				j := jobs[k]
				n, u, issue := checkOne(tr, j, o.Quick, installedAt, t.d)
				t.checked++
				t.hashed += n
				t.unverifiable += u
				if issue != nil {
					issue.Package = j.w.owner
					t.issues = append(t.issues, *issue)
				}
			}
		})
	}
	g.Go(during)
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var seen map[string]elfscan.Inspection
	for i := range tallies {
		t := &tallies[i]
		r.Files.Checked += t.checked
		r.Files.Bytes += t.hashed
		r.Files.Unverifiable += t.unverifiable
		r.Files.Issues = append(r.Files.Issues, t.issues...)
		if seen == nil {
			seen = t.d.seen
			continue
		}
		maps.Copy(seen, t.d.seen)
	}
	return seen, nil
}

// checkOne checks one path, returning the bytes hashed, 1 when it could
// only be checked for presence, and the issue found, if any. Every
// access goes through the prefix's tree: a recorded path with "../", or
// one through a link out of the prefix, is reported, never read.
func checkOne(tr *tree, j fileJob, quick bool, installedAt time.Time, d *digester) (int64, int, *FileIssue) {
	outsideIssue := &FileIssue{Path: j.path, Kind: FileType, Want: "a path inside the prefix", Got: "a path out of the prefix (not read)"}
	want := j.w.want
	// A regular file to hash is opened by the same call that stats it.
	// With the ELF scan on, a regular file is opened even when it is
	// not hashed, and inspected through the same descriptor.
	needContent := (!quick && !j.w.pyc || d.elf) && want.Type != "directory" && want.Type != "softlink"
	fi, content, err := tr.lstatOpen(j.path, needContent)
	if outside(err) {
		return 0, 0, outsideIssue
	}
	if err != nil {
		return 0, 0, &FileIssue{Path: j.path, Kind: FileMissing}
	}
	if content != nil {
		defer func() {
			if d.elf {
				if _, done := d.seen[j.path]; !done {
					content.inspect(d, j.path)
				}
			}
			content.close()
		}()
	}
	switch want.Type {
	case "directory":
		if !fi.IsDir() {
			return 0, 0, &FileIssue{Path: j.path, Kind: FileType, Want: "directory", Got: kindOf(fi)}
		}
		return 0, 0, nil
	case "softlink":
		// A link's target is all conda records of it; its presence is
		// what can be checked.
		if fi.IsDir() {
			return 0, 0, &FileIssue{Path: j.path, Kind: FileType, Want: "link", Got: kindOf(fi)}
		}
		return 0, 0, nil
	}
	if fi.IsDir() {
		return 0, 0, &FileIssue{Path: j.path, Kind: FileType, Want: "file", Got: "directory"}
	}
	if j.w.pyc {
		return 0, 1, nil
	}
	if fi.Mode()&fs.ModeSymlink != 0 && want.linkSource != "" {
		return checkSoftlinked(tr, j, want)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		// conda may record a symlink as a plain path (old records,
		// noarch links); follow it for the contents.
		if fi, err = tr.Stat(j.path); outside(err) {
			return 0, 0, outsideIssue
		} else if err != nil {
			return 0, 0, &FileIssue{Path: j.path, Kind: FileMissing, Got: "dangling link"}
		}
	}
	wantHash := want.SHA256
	rewritten := want.SHA256InPrefix != "" && want.SHA256InPrefix != want.SHA256
	if want.SHA256InPrefix != "" {
		wantHash = want.SHA256InPrefix
	} else if want.Placeholder != "" {
		wantHash = "" // rewritten at install, and the record has no new hash
	}
	if want.Size != nil && !rewritten && want.Placeholder == "" && fi.Size() != *want.Size && !anySize(j.w.alts, fi.Size()) {
		return 0, 0, &FileIssue{Path: j.path, Kind: FileModified, Want: "size " + strconv.FormatInt(*want.Size, 10), Got: "size " + strconv.FormatInt(fi.Size(), 10)}
	}
	if quick {
		if !installedAt.IsZero() && fi.ModTime().After(installedAt.Add(2*time.Second)) {
			return 0, 0, &FileIssue{Path: j.path, Kind: FileModified, Want: "unchanged since " + installedAt.UTC().Format(time.RFC3339), Got: "modified " + fi.ModTime().UTC().Format(time.RFC3339)}
		}
		if wantHash == "" && want.Size == nil {
			return 0, 1, nil
		}
		return 0, 0, nil
	}
	if wantHash == "" {
		return 0, 1, nil
	}
	d.h.Reset()
	var n int64
	if content != nil {
		n, err = content.digest(d, j.path)
	} else {
		n, err = tr.hashFile(j.path, d) // through a link
	}
	if outside(err) {
		return n, 0, outsideIssue
	}
	if err != nil {
		return n, 0, &FileIssue{Path: j.path, Kind: FileModified, Got: "unreadable: " + err.Error()}
	}
	if sum := d.h.Sum(d.sum[:0]); !isHex(sum, wantHash) {
		if got := hex.EncodeToString(sum); !anyHash(j.w.alts, got) {
			return n, 0, &FileIssue{Path: j.path, Kind: FileModified, Want: "sha256 " + wantHash, Got: "sha256 " + got}
		}
	}
	return n, 0, nil
}

// isHex reports whether s is b in lower-case hex, as hex.EncodeToString
// writes it, without making that string.
func isHex(b []byte, s string) bool {
	const digits = "0123456789abcdef"
	if len(s) != 2*len(b) {
		return false
	}
	for i, c := range b {
		if s[2*i] != digits[c>>4] || s[2*i+1] != digits[c&15] {
			return false
		}
	}
	return true
}

// anySize and anyHash accept a clobbered file that matches another
// package's record of it.
func anySize(alts []metaPath, n int64) bool {
	for _, a := range alts {
		if a.Size != nil && *a.Size == n {
			return true
		}
	}
	return false
}

func anyHash(alts []metaPath, sum string) bool {
	for _, a := range alts {
		if a.SHA256 == sum || a.SHA256InPrefix == sum {
			return true
		}
	}
	return false
}

func kindOf(fi fs.FileInfo) string {
	switch {
	case fi.IsDir():
		return "directory"
	case fi.Mode()&fs.ModeSymlink != 0:
		return "link"
	default:
		return "file"
	}
}

func checkSignature(o Options) *Signature {
	s := &Signature{}
	p := o.Trust
	if p == nil {
		p = &sign.Policy{Keys: o.Trusted}
	}
	for _, k := range p.Keys {
		s.Keys = append(s.Keys, sign.Fingerprint(k))
	}
	signer, err := p.Verify(o.Signature, o.LockData)
	s.Signer = signer
	switch {
	case err == nil:
		s.Status = "verified"
	case o.Signature == nil:
		s.Status, s.Message = "unsigned", err.Error()
	default:
		s.Status, s.Message = "invalid", err.Error()
	}
	return s
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func lockPlatforms(l *lockfile.Lock) string { return strings.Join(l.PlatformNames(), ", ") }

// checkSoftlinked checks a file conda linked into its package cache
// (always_softlink): the link must point into the package directory the
// record names, and the file there must have the recorded sha256. It is
// read through a root of that directory, so the link cannot lead the
// read anywhere else.
func checkSoftlinked(tr *tree, j fileJob, want metaPath) (int64, int, *FileIssue) {
	outsideIssue := &FileIssue{Path: j.path, Kind: FileType, Want: "a link into " + want.linkSource, Got: "a link elsewhere (not read)"}
	target, err := tr.root.Readlink(j.path)
	if err != nil {
		return 0, 0, &FileIssue{Path: j.path, Kind: FileMissing, Got: "unreadable link: " + err.Error()}
	}
	rel, err := filepath.Rel(want.linkSource, target)
	if err != nil || !filepath.IsAbs(target) || !filepath.IsLocal(rel) {
		return 0, 0, outsideIssue
	}
	src, err := os.OpenRoot(want.linkSource)
	if err != nil {
		return 0, 0, &FileIssue{Path: j.path, Kind: FileMissing, Got: "dangling link: " + err.Error()}
	}
	defer src.Close()
	f, err := src.Open(rel)
	if err != nil {
		return 0, 0, &FileIssue{Path: j.path, Kind: FileMissing, Got: "dangling link"}
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return n, 0, &FileIssue{Path: j.path, Kind: FileModified, Got: "unreadable: " + err.Error()}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return n, 0, &FileIssue{Path: j.path, Kind: FileModified, Want: "sha256 " + want.SHA256, Got: "sha256 " + got}
	}
	return n, 0, nil
}
