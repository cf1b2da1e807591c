// Package bundle writes and reads offline bundles: one reproducible tar
// that carries a lock, its signature and manifest, and every artifact the
// lock names, laid out as a conda file channel (channel/<subdir>/ with a
// repodata.json each) that conda, mamba or pixi can install from too.
//
// The same lock and platforms give the same bytes on any machine and any
// day: entries are sorted, mtimes fixed, owners zero, modes normalized,
// and nothing names the host or its paths. Reading streams the tar: each
// artifact goes straight into the package cache, checked against the
// lock's sha256, with no temporary copy of the bundle.
package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/ident"
)

// FormatVersion is the bundle format this envlock writes and reads.
const FormatVersion = 1

// WheelDir holds the lock's wheels in a bundle, flat, as pip's
// --find-links reads a directory.
const WheelDir = "pypi/"

// wheelArtifact is the cache entry of a locked wheel.
func wheelArtifact(w *lockfile.Wheel) cache.Artifact {
	return cache.Artifact{Fn: w.FileName(), URL: w.URL, SHA256: w.SHA256, Size: w.Size}
}

// ManifestName is the first entry of every bundle.
const ManifestName = "envlock-bundle.json"

// Manifest is envlock-bundle.json.
type Manifest struct {
	Version    int      `json:"version"`
	LockSHA256 string   `json:"lock_sha256"`
	Platforms  []string `json:"platforms"`
	Files      []File   `json:"files"`
}

// A File is one entry of the bundle other than the manifest.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// mtime is the fixed modification time of every entry.
var mtime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Input is what goes into a bundle.
type Input struct {
	Lock      *lockfile.Lock
	LockData  []byte
	Signature []byte            // env.lock.sig or env.lock.sigstore.json (lockfile.SignatureName), or nil
	Extra     map[string][]byte // other files by name, e.g. "env.cue"
	Platforms []string          // default: all of the lock's
	Fetcher   *download.Fetcher // brings artifacts into the cache
	Zstd      bool
}

type entry struct {
	path string
	data []byte          // small files
	art  *cache.Artifact // or an artifact from the cache,
	file string          // at this path once fetched
	size int64
	sum  string
}

// Write writes the bundle to w.
func Write(ctx context.Context, w io.Writer, in Input) error {
	plats := in.Platforms
	if len(plats) == 0 {
		plats = in.Lock.PlatformNames()
	}
	plats = slices.Clone(plats)
	sort.Strings(plats)
	arts := map[string]*lockfile.Package{} // channel/<subdir>/<fn> → package
	wheels := map[string]*lockfile.Wheel{} // pypi/<fn> → wheel
	for _, p := range plats {
		pl := in.Lock.Platform(p)
		if pl == nil {
			return fmt.Errorf("the lock has no platform %s", p)
		}
		for _, pk := range pl.Packages {
			arts["channel/"+pk.Subdir+"/"+FileName(pk)] = pk
		}
		for _, w := range pl.PyPI {
			wheels[WheelDir+w.FileName()] = w
		}
	}
	var names []string
	for n := range arts {
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]cache.Artifact, len(names))
	for i, n := range names {
		pk := arts[n]
		list[i] = cache.Artifact{Fn: FileName(pk), URL: pk.URL, SHA256: pk.SHA256, Size: pk.Size}
	}
	var wheelNames []string
	for n := range wheels {
		wheelNames = append(wheelNames, n)
	}
	sort.Strings(wheelNames)
	wheelList := make([]cache.Artifact, len(wheelNames))
	for i, n := range wheelNames {
		wheelList[i] = wheelArtifact(wheels[n])
	}
	if _, err := in.Fetcher.Fetch(ctx, wheelList); err != nil {
		return err
	}
	paths, err := in.Fetcher.Fetch(ctx, list)
	if err != nil {
		return err
	}
	var entries []entry
	add := func(p string, data []byte) {
		s := sha256.Sum256(data)
		entries = append(entries, entry{path: p, data: data, size: int64(len(data)), sum: hex.EncodeToString(s[:])})
	}
	add("env.lock", in.LockData)
	if in.Signature != nil {
		add(lockfile.SignatureName(in.Signature), in.Signature)
	}
	var extra []string
	for n := range in.Extra {
		extra = append(extra, n)
	}
	sort.Strings(extra)
	for _, n := range extra {
		add("manifest/"+n, in.Extra[n])
	}
	subdirs := map[string][]*lockfile.Package{}
	for i, n := range names {
		pk := arts[n]
		entries = append(entries, entry{path: n, art: &list[i], size: pk.Size, sum: strings.ToLower(pk.SHA256)})
		subdirs[pk.Subdir] = append(subdirs[pk.Subdir], pk)
		if pk.Size == 0 {
			fi, err := os.Stat(paths[i])
			if err != nil {
				return err
			}
			entries[len(entries)-1].size = fi.Size()
		}
	}
	for i, n := range wheelNames {
		w := wheels[n]
		e := entry{path: n, art: &wheelList[i], size: w.Size, sum: strings.ToLower(w.SHA256)}
		if w.Size == 0 {
			p, err := in.Fetcher.FetchOne(ctx, wheelList[i])
			if err != nil {
				return err
			}
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			e.size = fi.Size()
		}
		entries = append(entries, e)
	}
	if _, ok := subdirs["noarch"]; !ok {
		subdirs["noarch"] = nil // a channel needs noarch
	}
	for sub, pkgs := range subdirs {
		add("channel/"+sub+"/repodata.json", repodata(sub, pkgs))
	}
	// The lock, its signature and the manifest come first, so a reader can
	// check them before it stores any artifact; then the channel, sorted.
	group := func(p string) int {
		switch {
		case p == "env.lock":
			return 0
		case isSignature(p):
			return 1
		case strings.HasPrefix(p, "manifest/"):
			return 2
		}
		return 3
	}
	sort.Slice(entries, func(i, j int) bool {
		gi, gj := group(entries[i].path), group(entries[j].path)
		if gi != gj {
			return gi < gj
		}
		return entries[i].path < entries[j].path
	})
	ls := sha256.Sum256(in.LockData)
	m := Manifest{Version: FormatVersion, LockSHA256: hex.EncodeToString(ls[:]), Platforms: plats}
	for _, e := range entries {
		m.Files = append(m.Files, File{Path: e.path, Size: e.size, SHA256: e.sum})
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	mb = append(mb, '\n')

	var out io.Writer = w
	var zw *zstd.Encoder
	if in.Zstd {
		// One encoder goroutine: the output must not depend on timing.
		zw, err = zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
		if err != nil {
			return err
		}
		out = zw
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	tw := tar.NewWriter(bw)
	if err := writeEntry(tw, entry{path: ManifestName, data: mb, size: int64(len(mb))}); err != nil {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.art != nil {
			// Fetch again just before writing: it is a cache hit unless
			// another platform's package of the same file name took the
			// cache entry since.
			p, err := in.Fetcher.FetchOne(ctx, *e.art)
			if err != nil {
				return err
			}
			e.file = p
		}
		if err := writeEntry(tw, e); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if zw != nil {
		return zw.Close()
	}
	return nil
}

func writeEntry(tw *tar.Writer, e entry) error {
	h := &tar.Header{Name: e.path, Mode: 0o644, Size: e.size, ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if e.file == "" {
		_, err := tw.Write(e.data)
		return err
	}
	f, err := os.Open(e.file)
	if err != nil {
		return err
	}
	defer f.Close()
	// FetchOne has just verified the entry (by its hash, or by a stamp
	// the cache wrote when it hashed it); hashing again would cost a fifth
	// of the time (BenchmarkWrite).
	n, err := io.Copy(tw, f)
	if err == nil && n != e.size {
		err = fmt.Errorf("%s changed while bundling; try again", e.file)
	}
	return err
}

// FileName is a locked package's file name.
func FileName(pk *lockfile.Package) string {
	u := pk.URL
	if i := strings.LastIndexByte(u, '/'); i >= 0 {
		u = u[i+1:]
	}
	return u
}

// repodata writes a channel subdir index of the bundled packages.
func repodata(sub string, pkgs []*lockfile.Package) []byte {
	conda := map[string]any{}
	bz2 := map[string]any{}
	for _, pk := range pkgs {
		r := map[string]any{
			"name": pk.Name, "version": pk.Version, "build": pk.Build, "build_number": pk.BuildNumber,
			"depends": pk.Depends, "subdir": pk.Subdir, "sha256": pk.SHA256, "size": pk.Size,
		}
		if pk.MD5 != "" {
			r["md5"] = pk.MD5
		}
		if len(pk.Constrains) > 0 {
			r["constrains"] = pk.Constrains
		}
		if pk.Noarch != "" {
			r["noarch"] = pk.Noarch
		}
		if pk.License != "" {
			r["license"] = pk.License
		}
		if pk.Timestamp != 0 {
			r["timestamp"] = pk.Timestamp
		}
		if len(pk.TrackFeatures) > 0 {
			r["track_features"] = strings.Join(pk.TrackFeatures, " ")
		}
		if strings.HasSuffix(FileName(pk), ".conda") {
			conda[FileName(pk)] = r
		} else {
			bz2[FileName(pk)] = r
		}
	}
	b, _ := json.MarshalIndent(map[string]any{
		"info": map[string]any{"subdir": sub}, "packages": bz2, "packages.conda": conda, "repodata_version": 1,
	}, "", " ")
	return append(b, '\n')
}

// An Error says what is wrong with a bundle and what to do.
type Error struct {
	Entry string
	Msg   string
	Err   error // a sentinel callers can test, or nil
}

// Unwrap returns the sentinel error, if any.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Entry != "" {
		return fmt.Sprintf("bundle entry %s: %s", e.Entry, e.Msg)
	}
	return "bundle: " + e.Msg
}

// ErrIncomplete is wrapped when a bundle lacks an artifact its lock needs.
var ErrIncomplete = errors.New("bundle lacks an artifact of its lock")

// checkEntry refuses a tar entry that is not a regular file at a clean,
// relative path inside the bundle.
func checkEntry(h *tar.Header) error {
	if h.Typeflag != tar.TypeReg {
		return fmt.Errorf("is a %s, not a regular file", typeName(h.Typeflag))
	}
	return checkPath(h.Name)
}

// checkPath refuses a path that is absolute, not clean, or leaves the
// bundle.
func checkPath(p string) error {
	switch {
	case p == "" || len(p) > 1024:
		return fmt.Errorf("%q is not a path", p)
	case p[0] == '/' || strings.ContainsAny(p, "\\\x00") || strings.Contains(p, ":"):
		return fmt.Errorf("%q is an absolute or non-portable path", p)
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("%q is not a clean path inside the bundle", p)
	}
	return nil
}

// checkFile checks one file of the bundle manifest.
func checkFile(f File) error {
	if err := checkPath(f.Path); err != nil {
		return err
	}
	if f.Size < 0 {
		return fmt.Errorf("%s: size %d is negative", f.Path, f.Size)
	}
	if err := ident.SHA256(f.SHA256); err != nil {
		return fmt.Errorf("%s: %v", f.Path, err)
	}
	return nil
}

func typeName(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeDir:
		return "directory"
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return "device or pipe"
	}
	return fmt.Sprintf("tar entry of type %q", t)
}

// ErrNewerFormat is wrapped for a bundle made by a newer envlock.
var ErrNewerFormat = errors.New("bundle format is newer than this envlock reads")

// Contents is what Read found.
type Contents struct {
	Manifest  Manifest
	Lock      *lockfile.Lock
	LockData  []byte
	Signature []byte
	Extra     map[string][]byte
}

// Read reads a bundle from r (plain tar or zstd-compressed tar), putting
// each artifact of platform into the cache. check is called with the
// lock and signature before any artifact is stored; an error from it
// stops the read. Every artifact is checked against the lock; a missing,
// extra or altered one is an error naming it.
func Read(ctx context.Context, r io.Reader, c *cache.Cache, platform string, check func(*Contents) error) (*Contents, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, _ := br.Peek(4)
	var src io.Reader = br
	if bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		src = zr
	}
	tr := tar.NewReader(src)
	next := func() (*tar.Header, error) {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("the file is truncated or not a bundle (%v); copy it again", err)}
		}
		return h, nil
	}
	h, err := next()
	if err != nil || h.Name != ManifestName {
		return nil, &Error{Msg: "does not start with " + ManifestName + "; not an envlock bundle"}
	}
	mb, err := io.ReadAll(io.LimitReader(tr, 64<<20))
	if err != nil {
		return nil, &Error{Entry: ManifestName, Msg: err.Error()}
	}
	out := &Contents{Extra: map[string][]byte{}}
	if err := json.Unmarshal(mb, &out.Manifest); err != nil {
		return nil, &Error{Entry: ManifestName, Msg: err.Error()}
	}
	if out.Manifest.Version > FormatVersion {
		return nil, &Error{Entry: ManifestName, Msg: fmt.Sprintf("format version %d: %v (it reads %d); upgrade envlock", out.Manifest.Version, ErrNewerFormat, FormatVersion), Err: ErrNewerFormat}
	}
	found := false
	for _, p := range out.Manifest.Platforms {
		if err := ident.Subdir(p); err != nil {
			return nil, &Error{Entry: ManifestName, Msg: "platforms: " + err.Error() + "; the bundle was altered"}
		}
		found = found || p == platform
	}
	if !found {
		return nil, &Error{Msg: fmt.Sprintf("made for %s, not for this platform (%s); bundle again with --platform %s", strings.Join(out.Manifest.Platforms, ", "), platform, platform)}
	}
	listed := map[string]File{}
	for _, f := range out.Manifest.Files {
		if err := checkFile(f); err != nil {
			return nil, &Error{Entry: ManifestName, Msg: err.Error() + "; the bundle was altered"}
		}
		if _, dup := listed[f.Path]; dup {
			return nil, &Error{Entry: ManifestName, Msg: fmt.Sprintf("lists %s twice; the bundle was altered", f.Path)}
		}
		listed[f.Path] = f
	}
	seen := map[string]bool{}
	stored := map[string]bool{}        // artifacts of platform read into the cache
	var want map[string]cache.Artifact // artifacts of platform, by entry path
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		// A bundle holds regular files at clean relative paths, nothing
		// else: no link, directory or device, no "..", no absolute path.
		if err := checkEntry(h); err != nil {
			return nil, &Error{Entry: h.Name, Msg: err.Error() + "; the bundle was altered"}
		}
		name := h.Name
		f, ok := listed[name]
		if !ok {
			return nil, &Error{Entry: h.Name, Msg: "is not listed in " + ManifestName + "; the bundle was altered"}
		}
		if seen[name] {
			return nil, &Error{Entry: h.Name, Msg: "appears twice; the bundle was altered"}
		}
		seen[name] = true
		if h.Size != f.Size {
			return nil, &Error{Entry: name, Msg: fmt.Sprintf("is %d bytes, the bundle manifest says %d", h.Size, f.Size)}
		}
		switch {
		case name == "env.lock" || isSignature(name) || strings.HasPrefix(name, "manifest/") || strings.HasSuffix(name, "/repodata.json"):
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, &Error{Entry: name, Msg: "truncated: " + err.Error()}
			}
			if s := sha256.Sum256(data); hex.EncodeToString(s[:]) != f.SHA256 {
				return nil, &Error{Entry: name, Msg: "sha256 differs from the bundle manifest; the bundle was altered or damaged"}
			}
			switch {
			case name == "env.lock":
				if hex.EncodeToString(sha256Of(data)) != out.Manifest.LockSHA256 {
					return nil, &Error{Entry: name, Msg: "is not the lock the bundle was made from"}
				}
				l, err := lockfile.Parse(data)
				if err != nil {
					return nil, &Error{Entry: name, Msg: err.Error()}
				}
				out.Lock, out.LockData = l, data
			case isSignature(name):
				if out.Signature != nil {
					return nil, &Error{Entry: name, Msg: "is a second signature of the lock; the bundle was altered"}
				}
				out.Signature = data
			case strings.HasPrefix(name, "manifest/"):
				out.Extra[strings.TrimPrefix(name, "manifest/")] = data
			}
		case strings.HasPrefix(name, "channel/"), strings.HasPrefix(name, WheelDir):
			if out.Lock == nil {
				return nil, &Error{Entry: name, Msg: "comes before env.lock; the bundle was altered"}
			}
			if want == nil {
				if check != nil {
					if err := check(out); err != nil {
						return nil, err
					}
				}
				want = map[string]cache.Artifact{}
				if pl := out.Lock.Platform(platform); pl != nil {
					for _, pk := range pl.Packages {
						want["channel/"+pk.Subdir+"/"+FileName(pk)] = cache.Artifact{Fn: FileName(pk), URL: pk.URL, SHA256: pk.SHA256, Size: pk.Size}
					}
					for _, w := range pl.PyPI {
						want[WheelDir+w.FileName()] = wheelArtifact(w)
					}
				}
			}
			a, needed := want[name]
			if !needed {
				if _, err := io.Copy(io.Discard, tr); err != nil {
					return nil, &Error{Entry: name, Msg: "truncated: " + err.Error()}
				}
				continue // another platform's artifact
			}
			if !strings.EqualFold(a.SHA256, f.SHA256) {
				return nil, &Error{Entry: name, Msg: "the bundle manifest's sha256 is not the lock's; the bundle was altered"}
			}
			if err := store(c, a, tr); err != nil {
				return nil, &Error{Entry: name, Msg: err.Error()}
			}
			stored[name] = true
		default:
			if _, err := io.Copy(io.Discard, tr); err != nil {
				return nil, &Error{Entry: name, Msg: "truncated: " + err.Error()}
			}
		}
	}
	for p := range listed {
		if !seen[p] {
			return nil, &Error{Entry: p, Msg: "is listed in " + ManifestName + " but missing; the bundle is truncated or incomplete"}
		}
	}
	if out.Lock == nil {
		return nil, &Error{Msg: "holds no env.lock"}
	}
	if want == nil && check != nil { // a lock with no artifacts
		if err := check(out); err != nil {
			return nil, err
		}
	}
	// Everything the lock needs for platform must come from the bundle: an
	// install from a bundle never falls back to the lock's URLs.
	if pl := out.Lock.Platform(platform); pl != nil {
		var missing []string
		for _, pk := range pl.Packages {
			if p := "channel/" + pk.Subdir + "/" + FileName(pk); !stored[p] {
				missing = append(missing, p)
			}
		}
		for _, w := range pl.PyPI {
			if p := WheelDir + w.FileName(); !stored[p] {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			more := ""
			if len(missing) > 3 {
				more = fmt.Sprintf(" and %d more", len(missing)-3)
				missing = missing[:3]
			}
			return nil, &Error{Msg: fmt.Sprintf("the lock names %s%s for %s, which the bundle lacks; nothing is fetched from elsewhere: bundle again with 'envlock bundle --platform %s'", strings.Join(missing, ", "), more, platform, platform), Err: ErrIncomplete}
		}
	}
	return out, nil
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// store streams one artifact into the cache, verified.
func store(c *cache.Cache, a cache.Artifact, r io.Reader) error {
	w, _, err := c.Create(a)
	if err != nil {
		return err
	}
	if w == nil {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Abort()
		return fmt.Errorf("truncated: %v", err)
	}
	_, err = w.Commit()
	return err
}

// isSignature reports whether a bundle entry is the lock's signature:
// env.lock.sig (cosign's base64 signature) or env.lock.sigstore.json (a
// Sigstore bundle), named as lockfile.SignatureName names them.
func isSignature(name string) bool {
	return name == lockfile.FileName+".sig" || name == lockfile.FileName+".sigstore.json"
}
