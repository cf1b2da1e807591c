// Package lockfile reads and writes env.lock: the exact packages a
// manifest resolved to, per platform, with everything needed to install
// them without any repodata.
//
// The encoding is canonical so that the same inputs give the same bytes
// on any machine and any day, and a lock reads well in a code review
// diff: UTF-8 JSON, keys in the fixed order of the Go structs below,
// two-space indent, no HTML escaping, platforms sorted by name, packages
// sorted by name, and a trailing newline. Write always produces that
// form; Read rejects unknown fields and newer format versions with a
// message saying what to do.
//
// A lock is outside input (it comes from pull requests, bundles, other
// machines): Parse checks every field against the schema and every
// identity against conda's grammar (Check, spec/ident) before anything
// uses it, and the writer refuses what the reader would, so a null, a
// build string that is a path or a negative size is an error naming the
// field ("platforms[0].packages[3].build: …"), never a panic.
package lockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/envlock/envlock/internal/atomicfile"
)

// FormatVersion is the env.lock format this envlock writes and reads.
const FormatVersion = 1

// FileName is the lock's conventional name beside env.cue.
const FileName = "env.lock"

// SignatureName is the name a lock's signature takes beside it, in an
// offline bundle or a registry artifact as in a project:
// "env.lock.sigstore.json" for a Sigstore bundle (a JSON object), else
// "env.lock.sig" (cosign's base64 signature), as cosign names them.
func SignatureName(sig []byte) string {
	if t := bytes.TrimLeft(sig, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return FileName + ".sigstore.json"
	}
	return FileName + ".sig"
}

// A Lock is the content of env.lock.
type Lock struct {
	// Version is the format version (FormatVersion).
	Version int `json:"version"`
	// Name is the environment's name from the manifest.
	Name string `json:"name"`
	// Manifest identifies the manifest the lock was made from.
	Manifest Manifest `json:"manifest"`
	// Channels are the channels, highest priority first.
	Channels []Channel `json:"channels"`
	// ChannelPriority is "strict" or "flexible".
	ChannelPriority string `json:"channel_priority"`
	// Env are the manifest's variables, set when the environment is used
	// ("envlock run", shell hooks, kernels, modulefiles).
	Env map[string]string `json:"env,omitempty"`
	// Kernel is the Jupyter kernel the manifest asks for, nil for none;
	// "envlock install" writes it.
	Kernel *Kernel `json:"kernel,omitempty"`
	// Platforms hold the resolution for each platform, sorted by name.
	Platforms []*Platform `json:"platforms"`
}

// Manifest identifies the manifest a lock was made from.
type Manifest struct {
	// SHA256 is the hash of the normalized manifest (spec's Hash): when
	// env.cue changes in any value, it no longer matches.
	SHA256 string `json:"sha256"`
}

// A Kernel is the manifest's Jupyter kernel: its kernelspec directory
// name, the name Jupyter shows, and variables set for the kernel only (on
// top of the lock's Env).
type Kernel struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"display_name"`
	Env         map[string]string `json:"env,omitempty"`
}

// A Channel is one channel of the lock.
type Channel struct {
	Name     string `json:"name"`     // as the manifest names it
	URL      string `json:"url"`      // resolved base URL
	Priority int    `json:"priority"` // 0 is the highest
}

// A Platform is the resolution for one platform.
type Platform struct {
	Platform string `json:"platform"`
	// Virtual are the virtual packages assumed at lock time.
	Virtual []VirtualPackage `json:"virtual_packages"`
	// GlibcFloor is the lowest glibc every package can run on (the
	// highest lower bound of their __glibc dependencies), "" when none
	// depends on __glibc.
	GlibcFloor string `json:"glibc_floor,omitempty"`
	// Requested are the conda MatchSpecs asked for on this platform.
	Requested []string `json:"requested"`
	// Packages are the conda packages, sorted by name.
	Packages []*Package `json:"packages"`
	// PyPI are the wheels, sorted by name.
	PyPI []*Wheel `json:"pypi"`
}

// A VirtualPackage is one virtual package assumed at lock time.
type VirtualPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Build   string `json:"build"`
}

// A Package is one locked conda package: its repodata record, and the
// spec that asked for it when it was requested directly.
type Package struct {
	Name                   string   `json:"name"`
	Version                string   `json:"version"`
	Build                  string   `json:"build"`
	BuildNumber            int64    `json:"build_number"`
	Subdir                 string   `json:"subdir"`
	Channel                string   `json:"channel"`
	URL                    string   `json:"url"`
	SHA256                 string   `json:"sha256,omitempty"`
	MD5                    string   `json:"md5,omitempty"`
	Size                   int64    `json:"size,omitempty"`
	Depends                []string `json:"depends"`
	Constrains             []string `json:"constrains,omitempty"`
	TrackFeatures          []string `json:"track_features,omitempty"`
	Noarch                 string   `json:"noarch,omitempty"`
	License                string   `json:"license,omitempty"`
	Timestamp              int64    `json:"timestamp,omitempty"`
	PythonSitePackagesPath string   `json:"python_site_packages_path,omitempty"`
	// Requested is the MatchSpec that asked for this package, "" when it
	// came in as a dependency.
	Requested string `json:"requested,omitempty"`
}

// A Wheel is one locked PyPI distribution.
type Wheel struct {
	Name           string   `json:"name"`
	Version        string   `json:"version"`
	URL            string   `json:"url"`
	SHA256         string   `json:"sha256"`
	Size           int64    `json:"size,omitempty"`
	RequiresPython string   `json:"requires_python,omitempty"`
	Tags           []string `json:"tags,omitempty"`
	Requested      string   `json:"requested,omitempty"`
}

// FileName is the wheel's file name: the last element of its URL path,
// without query or fragment.
func (w *Wheel) FileName() string {
	fn := w.URL
	if j := strings.IndexAny(fn, "?#"); j >= 0 {
		fn = fn[:j]
	}
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		fn = fn[i+1:]
	}
	// Local versions are escaped in URLs: torch-2.3.1%2Bcu121-….whl.
	if d, err := url.PathUnescape(fn); err == nil {
		return d
	}
	return fn
}

// Platform returns the resolution for platform p, or nil.
func (l *Lock) Platform(p string) *Platform {
	for _, pl := range l.Platforms {
		if pl.Platform == p {
			return pl
		}
	}
	return nil
}

// PlatformNames returns the lock's platforms, in the lock's order.
func (l *Lock) PlatformNames() []string {
	out := make([]string, len(l.Platforms))
	for i, pl := range l.Platforms {
		out[i] = pl.Platform
	}
	return out
}

// Package returns the package named name, or nil.
func (p *Platform) Package(name string) *Package {
	for _, pk := range p.Packages {
		if pk.Name == name {
			return pk
		}
	}
	return nil
}

// Canonicalize sorts platforms and packages and fills empty lists, so
// that Encode's output depends only on the content. Null platforms,
// packages and wheels (which Check refuses) are dropped.
func (l *Lock) Canonicalize() {
	l.Version = FormatVersion
	l.Platforms = slices.DeleteFunc(l.Platforms, func(p *Platform) bool { return p == nil })
	sort.Slice(l.Platforms, func(i, j int) bool { return l.Platforms[i].Platform < l.Platforms[j].Platform })
	for _, p := range l.Platforms {
		p.Packages = slices.DeleteFunc(p.Packages, func(pk *Package) bool { return pk == nil })
		p.PyPI = slices.DeleteFunc(p.PyPI, func(w *Wheel) bool { return w == nil })
		sort.Slice(p.Packages, func(i, j int) bool { return p.Packages[i].Name < p.Packages[j].Name })
		sort.Slice(p.PyPI, func(i, j int) bool { return p.PyPI[i].Name < p.PyPI[j].Name })
		sort.Slice(p.Virtual, func(i, j int) bool { return p.Virtual[i].Name < p.Virtual[j].Name })
		if p.Packages == nil {
			p.Packages = []*Package{}
		}
		if p.PyPI == nil {
			p.PyPI = []*Wheel{}
		}
		if p.Virtual == nil {
			p.Virtual = []VirtualPackage{}
		}
		if p.Requested == nil {
			p.Requested = []string{}
		}
		for _, pk := range p.Packages {
			if pk.Depends == nil {
				pk.Depends = []string{}
			}
		}
	}
	if l.Channels == nil {
		l.Channels = []Channel{}
	}
}

// lowerHashes writes hex digests in lower case, as conda does; a tool
// that wrote upper case meant the same digest.
func (l *Lock) lowerHashes() {
	for _, p := range l.Platforms {
		if p == nil {
			continue
		}
		for _, pk := range p.Packages {
			if pk != nil {
				pk.SHA256, pk.MD5 = strings.ToLower(pk.SHA256), strings.ToLower(pk.MD5)
			}
		}
		for _, w := range p.PyPI {
			if w != nil {
				w.SHA256 = strings.ToLower(w.SHA256)
			}
		}
	}
}

// Encode returns the canonical bytes of the lock. It refuses a lock that
// breaks the schema (see Check): envlock never writes a lock it would
// refuse to read.
func (l *Lock) Encode() ([]byte, error) {
	l.Version = FormatVersion
	l.lowerHashes()
	if err := l.Check(); err != nil {
		return nil, fmt.Errorf("refusing to write a lock outside its schema: %w", err)
	}
	l.Canonicalize()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep ">=1.26,<2" readable
	if err := enc.Encode(l); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write encodes the lock and writes it to path atomically.
func Write(path string, l *Lock) error {
	data, err := l.Encode()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// ErrNewerFormat is wrapped by Read for a lock written by a newer envlock.
var ErrNewerFormat = errors.New("lock format is newer than this envlock supports")

// Parse reads a lock from its bytes and checks it (see Check): a lock
// that breaks the schema is refused with a *FieldError naming the field.
func Parse(data []byte) (*Lock, error) {
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a valid env.lock: %v", jsonPos(data, err))
	}
	if probe.Version > FormatVersion {
		return nil, fmt.Errorf("format version %d: %w (it reads version %d); upgrade envlock", probe.Version, ErrNewerFormat, FormatVersion)
	}
	if probe.Version < 1 {
		return nil, fmt.Errorf("not a valid env.lock: missing or bad \"version\" field")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var l Lock
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("not a valid env.lock: %v", jsonPos(data, err))
	}
	// Every field is checked before any use: a null, a build string that
	// is a path, a hash that is not one are refused here, by field.
	if err := l.Check(); err != nil {
		return nil, err
	}
	return &l, nil
}

// Read reads the lock at path.
func Read(path string) (*Lock, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	l, err := Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, data, nil
}

// Hash returns the sha256 of a lock's bytes, hex-encoded.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// jsonPos adds a line and column to JSON errors that carry an offset.
func jsonPos(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return err
	}
	line, col := 1, 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return fmt.Errorf("line %d, column %d: %v", line, col, err)
}
