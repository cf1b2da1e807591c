// Package export writes an env.lock in other tools' formats so that
// conda, micromamba and friends can recreate the same environment.
//
// It owns only the conversion from a lockfile.Lock to bytes; it reads no
// network and solves nothing. Packages are listed in install order:
// dependencies before dependents (topological over Depends by name, ties
// broken by name), which is what conda's @EXPLICIT reader expects.
package export

import (
	"bytes"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/envlock/envlock/lock/lockfile"
)

// Order returns the platform's packages dependencies first; ties and
// cycles are broken by name so the result is deterministic.
func Order(p *lockfile.Platform) []*lockfile.Package {
	byName := map[string]*lockfile.Package{}
	for _, pk := range p.Packages {
		byName[pk.Name] = pk
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	state := map[string]int{} // 1 visiting, 2 done
	var out []*lockfile.Package
	var visit func(string)
	visit = func(n string) {
		if state[n] != 0 {
			return
		}
		state[n] = 1
		pk := byName[n]
		deps := make([]string, 0, len(pk.Depends))
		for _, d := range pk.Depends {
			dn, _, _ := strings.Cut(strings.TrimSpace(d), " ")
			if _, ok := byName[dn]; ok {
				deps = append(deps, dn)
			}
		}
		sort.Strings(deps)
		for _, d := range deps {
			visit(d)
		}
		state[n] = 2
		out = append(out, pk)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}

// AbsURL makes a package URL absolute: relative URLs (channels inside
// the project) are resolved against dir, the lock's directory.
func AbsURL(raw, dir string) (string, error) {
	u, err := url.Parse(raw)
	if err == nil && u.Scheme != "" {
		return raw, nil
	}
	if dir == "" {
		return "", fmt.Errorf("package URL %q is relative and the lock's directory is unknown", raw)
	}
	p := filepath.ToSlash(filepath.Join(dir, filepath.FromSlash(raw)))
	return (&url.URL{Scheme: "file", Path: p}).String(), nil
}

// Explicit returns an @EXPLICIT file for platform p of l, one URL per
// package in install order with its #sha256 (or #md5 when no sha256 is
// known). dir is the lock's directory, for relative URLs.
func Explicit(l *lockfile.Lock, platform, dir string) ([]byte, error) {
	p := l.Platform(platform)
	if p == nil {
		return nil, fmt.Errorf("lock has no platform %q", platform)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# This file may be used to create an environment using:\n# $ conda create --name <env> --file <this file>\n# env: %s\n# platform: %s\n@EXPLICIT\n", l.Name, platform)
	for _, pk := range Order(p) {
		u, err := AbsURL(pk.URL, dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pk.Name, err)
		}
		switch {
		case pk.SHA256 != "":
			fmt.Fprintf(&b, "%s#sha256:%s\n", u, pk.SHA256)
		case pk.MD5 != "":
			fmt.Fprintf(&b, "%s#%s\n", u, pk.MD5)
		default:
			fmt.Fprintf(&b, "%s\n", u)
		}
	}
	if len(p.PyPI) > 0 {
		b.WriteString("# PyPI wheels (install with requirements.txt):\n")
		for _, w := range p.PyPI {
			fmt.Fprintf(&b, "# %s==%s %s\n", w.Name, w.Version, w.URL)
		}
	}
	return b.Bytes(), nil
}
