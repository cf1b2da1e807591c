package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// normalForm is the normalized manifest: every default applied, keys in a
// fixed order (struct fields in this order, map keys sorted), names and
// specs in canonical form. It is what Hash hashes and "envlock check
// --json" prints.
type normalForm struct {
	Name            string                  `json:"name"`
	Channels        []string                `json:"channels"`
	ChannelPriority string                  `json:"channel_priority"`
	Platforms       []string                `json:"platforms"`
	Dependencies    map[string]string       `json:"dependencies"`
	PyPI            map[string]string       `json:"pypi"`
	PyPIIndex       normalIndex             `json:"pypi_index"`
	System          normalSystem            `json:"system"`
	Env             map[string]string       `json:"env"`
	Kernel          any                     `json:"kernel"`
	Target          map[string]normalTarget `json:"target"`
}

type normalIndex struct {
	URL       string   `json:"url"`
	ExtraURLs []string `json:"extra_urls"`
	// FindLinks is left out when empty, so that manifests without it
	// keep the hash they had before the field existed.
	FindLinks []string `json:"find_links,omitempty"`
	// Strategy likewise, when it is the default; Explicit and Sources
	// when empty.
	Strategy string            `json:"strategy,omitempty"`
	Explicit map[string]string `json:"explicit,omitempty"`
	Sources  map[string]string `json:"sources,omitempty"`
}

type normalSystem struct {
	Glibc    string `json:"glibc,omitempty"`
	Cuda     string `json:"cuda,omitempty"`
	Linux    string `json:"linux,omitempty"`
	Osx      string `json:"osx,omitempty"`
	Archspec string `json:"archspec,omitempty"`
}

type normalKernel struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"display_name"`
	Env         map[string]string `json:"env"`
}

type normalTarget struct {
	Dependencies map[string]string `json:"dependencies"`
	PyPI         map[string]string `json:"pypi"`
}

func (m *Manifest) normalForm() *normalForm {
	n := &normalForm{
		Name:            m.Name,
		Channels:        nonNil(m.Channels),
		ChannelPriority: m.ChannelPriority,
		Dependencies:    normalDeps(m.Dependencies),
		PyPI:            normalReqs(m.PyPI),
		PyPIIndex: normalIndex{URL: m.PyPIIndex.URL, ExtraURLs: nonNil(m.PyPIIndex.ExtraURLs), FindLinks: m.PyPIIndex.FindLinks, Strategy: strings.TrimPrefix(m.PyPIIndex.Strategy, "first-index"),
			Explicit: m.PyPIIndex.Explicit, Sources: m.PyPIIndex.Sources},
		System: normalSystem{
			Glibc:    m.System.Glibc,
			Cuda:     m.System.Cuda,
			Linux:    m.System.Linux,
			Osx:      m.System.Osx,
			Archspec: m.System.Archspec,
		},
		Env:    nonNilMap(m.Env),
		Kernel: false,
		Target: map[string]normalTarget{},
	}
	// The order of platforms means nothing: each is locked on its own.
	n.Platforms = []string{}
	for _, p := range m.Platforms {
		n.Platforms = append(n.Platforms, string(p))
	}
	slices.Sort(n.Platforms)
	if k := m.Kernel; k != nil {
		n.Kernel = normalKernel{Name: k.Name, DisplayName: k.DisplayName, Env: nonNilMap(k.Env)}
	}
	for p, t := range m.Target {
		n.Target[string(p)] = normalTarget{Dependencies: normalDeps(t.Dependencies), PyPI: normalReqs(t.PyPI)}
	}
	return n
}

// normalDeps maps each name to its MatchSpec in conda's canonical form, so
// "=1.26" and "1.26.*" are the same dependency.
func normalDeps(ds []Dependency) map[string]string {
	out := make(map[string]string, len(ds))
	for _, d := range ds {
		out[d.Name] = d.Spec.String()
	}
	return out
}

// normalReqs maps each normalized project name to its requirement.
func normalReqs(rs []Requirement) map[string]string {
	out := make(map[string]string, len(rs))
	for _, r := range rs {
		out[r.Key()] = r.Spec
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func encode(v any, indent bool) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // ">=1.26", not "\u003e=1.26"
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		panic("spec: encoding the normalized manifest: " + err.Error()) // only strings, maps and slices
	}
	return b.Bytes()
}

// Normalized returns the manifest's normalized form as indented JSON:
// every default applied, keys in a fixed order, dependencies as canonical
// MatchSpecs, PyPI names normalized (PEP 503), platforms sorted. Two
// manifests that mean the same have the same normalized form, however
// they are formatted, ordered or commented.
func (m *Manifest) Normalized() []byte {
	return encode(m.normalForm(), true)
}

// Hash returns the hex sha256 of the normalized form (in compact JSON).
// The lock stores it: a manifest whose hash differs from its lock's has
// changed since it was locked.
func (m *Manifest) Hash() string {
	sum := sha256.Sum256(bytes.TrimSuffix(encode(m.normalForm(), false), []byte("\n")))
	return hex.EncodeToString(sum[:])
}
