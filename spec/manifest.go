package spec

import (
	"path/filepath"
	"slices"

	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/virtual"
)

// A Manifest is a loaded and validated env.cue: what the user asks for,
// with the schema's defaults applied. Load returns it; the lock stage
// resolves it per platform.
type Manifest struct {
	// Name names the environment.
	Name string
	// Channels are canonical channel names or URLs, highest priority first
	// ("conda-forge", "https://conda.example.org/internal").
	Channels []string
	// ChannelPriority is "strict" or "flexible".
	ChannelPriority string
	// Platforms are the platforms to lock for, in the manifest's order.
	Platforms []platform.Platform
	// Dependencies are the conda packages asked for on every platform,
	// sorted by name.
	Dependencies []Dependency
	// PyPI are the PyPI requirements on every platform, sorted by
	// normalized name.
	PyPI []Requirement
	// PyPIIndex says where PyPI requirements are resolved.
	PyPIIndex PyPIIndex
	// System holds the virtual package floors assumed at lock time.
	System virtual.System
	// Env are the variables set when the environment is used.
	Env map[string]string
	// Kernel is the Jupyter kernel to install, or nil for none.
	Kernel *Kernel
	// Target holds per-platform overrides of Dependencies and PyPI.
	Target map[platform.Platform]*Target
	// Prefix is the environment's default path as written ("" when
	// unset): absolute, or relative to the directory of the manifest
	// (see PrefixIn). It is not part of the normalized form or the hash.
	Prefix string
	// PrefixPos is where Prefix is written.
	PrefixPos Position

	// Files are the files the manifest was read from, as Load named them,
	// the site policy last when there is one.
	Files []string
}

// A Dependency is one conda package asked for.
type Dependency struct {
	// Name is the package name (the key in env.cue).
	Name string
	// Spec is the full MatchSpec: name, version, build and channel.
	Spec *matchspec.MatchSpec
	// Pos is where the dependency is written.
	Pos Position
}

// A Requirement is one PyPI project asked for.
type Requirement struct {
	// Name is the project name as written ("torch_geometric").
	Name string
	// Spec is the rest of the PEP 508 requirement: extras, specifiers, a
	// URL or a marker ("==2.5.3", "[gpu]>=1"); "" means any version.
	Spec string
	// Pos is where the requirement is written.
	Pos Position
}

// Key returns the project's normalized name (PEP 503): lower case, runs of
// "-", "_" and "." as one "-".
func (r Requirement) Key() string { return normalizePyPI(r.Name) }

// String returns the PEP 508 requirement: "torch-geometric==2.5.3".
func (r Requirement) String() string {
	if r.Spec == "" {
		return r.Name
	}
	if r.Spec[0] == '@' || r.Spec[0] == ';' {
		return r.Name + " " + r.Spec
	}
	return r.Name + r.Spec
}

// PyPIIndex is where PyPI requirements are resolved.
type PyPIIndex struct {
	URL       string   // the index (pip's --index-url)
	ExtraURLs []string // further indexes (--extra-index-url)
	FindLinks []string // directories or pages of wheels (--find-links)
	// Strategy is how the indexes are searched for a project: "" (or
	// "first-index", uv's default) takes every version from the first
	// index that has the project, extra_urls before url, so a public
	// index cannot shadow a private one; "unsafe-best-match" merges all
	// of them, as pip does.
	Strategy string
	// Explicit are named indexes (name → URL) searched only for the
	// projects Sources pins to them (normalized project → name).
	Explicit map[string]string
	Sources  map[string]string
}

// BestMatch reports whether every index is searched for every project
// (pypi_index.strategy: "unsafe-best-match").
func (p PyPIIndex) BestMatch() bool { return p.Strategy == "unsafe-best-match" }

// A Kernel is the Jupyter kernel an environment installs.
type Kernel struct {
	Name        string
	DisplayName string
	Env         map[string]string
}

// A Target holds one platform's overrides: an entry replaces the
// manifest-wide entry of the same name, or adds one.
type Target struct {
	Dependencies []Dependency
	PyPI         []Requirement
}

// DependenciesFor returns the dependencies in force on platform p: the
// manifest-wide ones with p's target overrides applied, sorted by name.
func (m *Manifest) DependenciesFor(p platform.Platform) []Dependency {
	out := slices.Clone(m.Dependencies)
	if t := m.Target[p]; t != nil {
		out = overlay(out, t.Dependencies, func(d Dependency) string { return d.Name })
	}
	return out
}

// PyPIFor returns the PyPI requirements in force on platform p, sorted by
// normalized name.
func (m *Manifest) PyPIFor(p platform.Platform) []Requirement {
	out := slices.Clone(m.PyPI)
	if t := m.Target[p]; t != nil {
		out = overlay(out, t.PyPI, Requirement.Key)
	}
	return out
}

// overlay replaces or adds the entries of over in base by key and returns
// the result sorted by key.
func overlay[T any](base, over []T, key func(T) string) []T {
	for _, o := range over {
		i := slices.IndexFunc(base, func(b T) bool { return key(b) == key(o) })
		if i >= 0 {
			base[i] = o
		} else {
			base = append(base, o)
		}
	}
	slices.SortFunc(base, func(a, b T) int {
		switch ka, kb := key(a), key(b); {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return base
}

// PrefixIn returns the manifest's default environment path for a
// manifest read from dir: Prefix itself when absolute, else Prefix
// joined to dir (cleaned); "" when the manifest sets none.
func (m *Manifest) PrefixIn(dir string) string {
	if m.Prefix == "" {
		return ""
	}
	if filepath.IsAbs(m.Prefix) {
		return filepath.Clean(m.Prefix)
	}
	return filepath.Join(dir, m.Prefix)
}
