package foreign

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/platform"
)

// Format names the tool a lock file comes from.
type Format string

// The formats Parse reads.
const (
	CondaLock Format = "conda-lock"
	Pixi      Format = "pixi"
)

// A File is one environment of another tool's lock file.
type File struct {
	// Name is the file name given to Parse, for messages.
	Name string
	// Format and Version say what the file is ("pixi", 6).
	Format  Format
	Version int
	// Environment is the environment read ("default" for conda-lock).
	Environment string
	// Channels are the channels as the file names them, highest priority
	// first ("conda-forge", "https://prefix.dev/conda-forge").
	Channels []string
	// Platforms hold the packages of each platform, sorted by platform.
	Platforms []*Platform
}

// A Platform is the locked packages of one platform.
type Platform struct {
	Platform string
	// Packages are the conda packages, sorted by name.
	Packages []*lockfile.Package
	// Wheels are the PyPI distributions, sorted by name.
	Wheels []*lockfile.Wheel
	// wheelDeps maps a wheel's normalized name to the normalized names
	// it requires, as far as the file says.
	wheelDeps map[string][]string
}

// An Error is a problem in a lock file, at a line when known.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ErrUnsupported is wrapped by the error for a format version Parse does
// not read.
var ErrUnsupported = errors.New("unsupported lock file version")

// Detect tells whether data is a lock file Parse reads, and of which
// format: a YAML mapping with "metadata" and "package" (conda-lock) or
// with "version" and "environments" (pixi).
func Detect(data []byte) (Format, bool) {
	if !bytes.Contains(data, []byte("package")) {
		return "", false // cheap answer for environment.yml and friends
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return "", false
	}
	keys := map[string]bool{}
	for i := 0; i+1 < len(doc.Content[0].Content); i += 2 {
		keys[doc.Content[0].Content[i].Value] = true
	}
	switch {
	case keys["metadata"] && keys["package"]:
		return CondaLock, true
	case keys["version"] && keys["environments"] && keys["packages"]:
		return Pixi, true
	}
	return "", false
}

// Parse reads the lock file data (named filename in messages) and returns
// the environment named environment ("" means "default"; conda-lock files
// have that one only).
func Parse(filename string, data []byte, environment string) (*File, error) {
	if environment == "" {
		environment = "default"
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: filename, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{File: filename, Line: 1, Msg: "not a conda-lock.yml or pixi.lock: want a YAML mapping"}
	}
	top := doc.Content[0]
	vnode := field(top, "version")
	if vnode == nil {
		return nil, &Error{File: filename, Line: 1, Msg: "no \"version\" field: envlock reads conda-lock.yml (versions 1–3) and pixi.lock (versions 4–7), which say their version"}
	}
	v, err := strconv.Atoi(vnode.Value)
	if err != nil || vnode.Kind != yaml.ScalarNode {
		return nil, &Error{File: filename, Line: vnode.Line, Msg: fmt.Sprintf("version %q is not a number", vnode.Value)}
	}
	switch {
	case v >= 1 && v <= 3:
		if field(top, "package") == nil {
			return nil, &Error{File: filename, Line: vnode.Line, Msg: fmt.Sprintf("version %d file without a \"package\" list: not a conda-lock.yml", v)}
		}
		if environment != "default" {
			return nil, &Error{File: filename, Msg: fmt.Sprintf("no environment %q: a conda-lock.yml holds one environment, \"default\"", environment)}
		}
		return parseCondaLock(filename, top, v)
	case v >= 4 && v <= 7:
		return parsePixi(filename, top, v, environment)
	}
	return nil, &Error{File: filename, Line: vnode.Line, Msg: fmt.Sprintf("lock file version %d: %v; envlock reads conda-lock.yml versions 1–3 and pixi.lock versions 4–7 (write an older version, or import the pixi.toml / environment.yml instead)", v, ErrUnsupported)}
}

// field returns the value of key k in mapping node m, or nil.
func field(m *yaml.Node, k string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

// decode decodes node n into v, with the file name and line in errors.
func decode(filename string, n *yaml.Node, what string, v any) error {
	if err := n.Decode(v); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
		return &Error{File: filename, Line: n.Line, Msg: what + ": " + msg}
	}
	return nil
}

// archive is what a conda package's URL says about it.
type archive struct {
	name, version, build string
	subdir, channel      string // "" when the URL has no subdir directory
}

// parseArchiveURL reads CHANNEL/SUBDIR/NAME-VERSION-BUILD.conda (or
// .tar.bz2). ok is false when the last path element is not a conda
// archive name.
func parseArchiveURL(u string) (a archive, ok bool) {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	dir, file := path.Split(u)
	stem, isConda := strings.CutSuffix(file, ".conda")
	if !isConda {
		var isBz2 bool
		if stem, isBz2 = strings.CutSuffix(file, ".tar.bz2"); !isBz2 {
			return a, false
		}
	}
	b := strings.LastIndex(stem, "-")
	if b <= 0 || b == len(stem)-1 {
		return a, false
	}
	v := strings.LastIndex(stem[:b], "-")
	if v <= 0 || v == b-1 {
		return a, false
	}
	a.name, a.version, a.build = stem[:v], stem[v+1:b], stem[b+1:]
	dir = strings.TrimSuffix(dir, "/")
	if j := strings.LastIndex(dir, "/"); j >= 0 {
		sub := dir[j+1:]
		if _, err := platform.Parse(sub); err == nil || sub == "noarch" {
			a.subdir, a.channel = sub, dir[:j]
		}
	}
	return a, true
}

// buildNumber reads the build number from a build string, for files
// that leave build_number out: the last "_"-separated part that is all
// digits, as conda-build writes build strings ("h7f98852_4" → 4,
// "he550d4f_1_cpython" → 1, "2_gnu" → 2), else 0. (rattler_lock takes the
// trailing digits, which reads "hbbac1ca_101_cp313" as 313.)
func buildNumber(build string) int64 {
	parts := strings.Split(build, "_")
	for i := len(parts) - 1; i >= 0; i-- {
		if p := parts[i]; p != "" && strings.Trim(p, "0123456789") == "" {
			if n, err := strconv.ParseInt(p, 10, 64); err == nil {
				return n
			}
		}
	}
	return 0
}

// noarchOf guesses the noarch kind of a package from a noarch subdir:
// "python" when the build string says "py", else "generic".
func noarchOf(subdir, build string) string {
	if subdir != "noarch" {
		return ""
	}
	if strings.Contains(build, "py") {
		return "python"
	}
	return "generic"
}

// conda is a conda package record as the formats spell it; each parser
// fills it from its own shape.
type conda struct {
	Name        string   `yaml:"name"`
	Version     string   `yaml:"version"`
	Build       string   `yaml:"build"`
	BuildNumber *int64   `yaml:"build_number"`
	Subdir      string   `yaml:"subdir"`
	Noarch      string   `yaml:"noarch"`
	Channel     string   `yaml:"channel"`
	URL         string   `yaml:"url"`
	SHA256      string   `yaml:"sha256"`
	MD5         string   `yaml:"md5"`
	Depends     []string `yaml:"depends"`
	Constrains  []string `yaml:"constrains"`
	Features    string   `yaml:"features"`
	Track       []string `yaml:"track_features"`
	License     string   `yaml:"license"`
	Size        int64    `yaml:"size"`
	Timestamp   int64    `yaml:"timestamp"`
	SitePkgs    string   `yaml:"python_site_packages_path"`
}

// pkg completes a record from its URL and checks it can be installed.
func (c *conda) pkg(filename string, line int) (*lockfile.Package, error) {
	fail := func(format string, args ...any) error {
		return &Error{File: filename, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if c.URL == "" {
		return nil, fail("package %s has no URL", c.Name)
	}
	a, ok := parseArchiveURL(c.URL)
	if !ok {
		return nil, fail("%s is not a conda package archive (NAME-VERSION-BUILD.conda or .tar.bz2); source packages cannot be pinned without building them", c.URL)
	}
	c.Name = cmpOr(c.Name, a.name)
	c.Version = cmpOr(c.Version, a.version)
	c.Build = cmpOr(c.Build, a.build)
	c.Subdir = cmpOr(c.Subdir, a.subdir)
	c.Channel = strings.TrimRight(cmpOr(c.Channel, a.channel), "/")
	if c.Subdir == "" {
		return nil, fail("%s: no subdir, and the URL has no subdir directory", c.URL)
	}
	if c.Channel == "" {
		return nil, fail("%s: cannot tell its channel from the URL", c.URL)
	}
	if c.Name != a.name || c.Version != a.version || c.Build != a.build {
		return nil, fail("record says %s %s %s but its URL is %s", c.Name, c.Version, c.Build, c.URL)
	}
	if !isHex(c.SHA256, 64) {
		return nil, fail("%s %s %s has no valid sha256 (%q): envlock checks every download by sha256, so it cannot pin it", c.Name, c.Version, c.Build, c.SHA256)
	}
	if c.MD5 != "" && !isHex(c.MD5, 32) {
		return nil, fail("%s %s %s: invalid md5 %q", c.Name, c.Version, c.Build, c.MD5)
	}
	bn := buildNumber(c.Build)
	if c.BuildNumber != nil {
		bn = *c.BuildNumber
	}
	noarch := c.Noarch
	if noarch == "" {
		noarch = noarchOf(c.Subdir, c.Build)
	}
	return &lockfile.Package{
		Name: c.Name, Version: c.Version, Build: c.Build, BuildNumber: bn,
		Subdir: c.Subdir, Channel: c.Channel, URL: c.URL,
		SHA256: strings.ToLower(c.SHA256), MD5: strings.ToLower(c.MD5), Size: c.Size,
		Depends: append([]string{}, c.Depends...), Constrains: c.Constrains, TrackFeatures: c.Track,
		Noarch: noarch, License: c.License, Timestamp: c.Timestamp, PythonSitePackagesPath: c.SitePkgs,
	}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range strings.ToLower(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// wheel checks a PyPI distribution record.
func wheel(filename string, line int, name, version, url, sha string) (*lockfile.Wheel, error) {
	switch {
	case name == "" || version == "":
		return nil, &Error{File: filename, Line: line, Msg: fmt.Sprintf("PyPI package %q has no name or version", url)}
	case url == "":
		return nil, &Error{File: filename, Line: line, Msg: fmt.Sprintf("PyPI package %s %s has no URL", name, version)}
	case !isHex(sha, 64):
		return nil, &Error{File: filename, Line: line, Msg: fmt.Sprintf("PyPI package %s %s has no valid sha256 (%q): pip --require-hashes could not install it", name, version, sha)}
	}
	return &lockfile.Wheel{Name: name, Version: version, URL: url, SHA256: strings.ToLower(sha)}, nil
}

// platformOf returns f's platform p, adding it when new.
func (f *File) platformOf(p string) *Platform {
	for _, pl := range f.Platforms {
		if pl.Platform == p {
			return pl
		}
	}
	pl := &Platform{Platform: p, wheelDeps: map[string][]string{}}
	f.Platforms = append(f.Platforms, pl)
	return pl
}

// Platform returns the packages of platform p, or nil.
func (f *File) Platform(p string) *Platform {
	for _, pl := range f.Platforms {
		if pl.Platform == p {
			return pl
		}
	}
	return nil
}

// packageNamed returns the conda package named name, or nil.
func (p *Platform) packageNamed(name string) *lockfile.Package {
	for _, pk := range p.Packages {
		if pk.Name == name {
			return pk
		}
	}
	return nil
}

// finish sorts and checks for names locked twice on one platform.
func (f *File) finish() error {
	slices.SortFunc(f.Platforms, func(a, b *Platform) int { return strings.Compare(a.Platform, b.Platform) })
	for _, p := range f.Platforms {
		slices.SortStableFunc(p.Packages, func(a, b *lockfile.Package) int { return strings.Compare(a.Name, b.Name) })
		slices.SortStableFunc(p.Wheels, func(a, b *lockfile.Wheel) int { return strings.Compare(a.Name, b.Name) })
		for i := 1; i < len(p.Packages); i++ {
			if a, b := p.Packages[i-1], p.Packages[i]; a.Name == b.Name {
				return &Error{File: f.Name, Msg: fmt.Sprintf("%s: %s is locked twice (%s and %s)", p.Platform, a.Name, a.URL, b.URL)}
			}
		}
		for i := 1; i < len(p.Wheels); i++ {
			if a, b := p.Wheels[i-1], p.Wheels[i]; normalize(a.Name) == normalize(b.Name) {
				return &Error{File: f.Name, Msg: fmt.Sprintf("%s: PyPI package %s is locked twice (%s and %s)", p.Platform, a.Name, a.Version, b.Version)}
			}
		}
	}
	if len(f.Platforms) == 0 {
		return &Error{File: f.Name, Msg: fmt.Sprintf("environment %q locks no packages for any platform", f.Environment)}
	}
	return nil
}

// normalize is PEP 503's normalized project name.
func normalize(name string) string {
	var b strings.Builder
	sep := false
	for _, c := range strings.ToLower(name) {
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(c)
	}
	return b.String()
}

// requirementName returns the normalized project name a PEP 508
// requirement starts with, and whether it applies without extras
// ("pkg>=1; extra == 'x'" does not).
func requirementName(req string) (string, bool) {
	if strings.Contains(req, "extra ==") || strings.Contains(req, "extra==") {
		return "", false
	}
	end := strings.IndexFunc(req, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	})
	if end < 0 {
		end = len(req)
	}
	if end == 0 {
		return "", false
	}
	return normalize(req[:end]), true
}
