package main

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/envlock/envlock/fetch"
	"github.com/envlock/envlock/fetch/pypi"
	"github.com/envlock/envlock/spec"
)

// newPyPI returns the PyPI index client for a manifest: its extra
// indexes, then its index (as uv orders them), and find_links (relative paths against the project
// directory), through the same HTTP cache and credentials as channels.
// Wheels on disk inside the project directory, where env.lock is
// written, are locked with URLs relative to it.
func newPyPI(env *Env, projectDir string, m *spec.Manifest, offline bool) *pypi.Client {
	c := &pypi.Client{HTTP: newClient(env, offline), CacheDir: fetch.CacheDir(env.Getenv), BaseDir: projectDir}
	c.Indexes = append(slices.Clone(m.PyPIIndex.ExtraURLs), m.PyPIIndex.URL)
	c.BestMatch = m.PyPIIndex.BestMatch()
	for proj, name := range m.PyPIIndex.Sources {
		if c.Sources == nil {
			c.Sources = map[string]string{}
		}
		c.Sources[proj] = m.PyPIIndex.Explicit[name]
	}
	for _, fl := range m.PyPIIndex.FindLinks {
		if !strings.Contains(fl, "://") && !filepath.IsAbs(fl) {
			fl = filepath.Join(projectDir, fl)
		}
		c.FindLinks = append(c.FindLinks, fl)
	}
	return c
}
