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
// cycles are broken by name so the result is deterministic. Like conda's
// toposort (conda/common/toposort.py), python's dependency on pip is
// ignored, so python comes before pip and the noarch packages pip needs.
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
			if n == "python" && dn == "pip" {
				continue
			}
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

// Hash is the checksum an @EXPLICIT line carries after its URL.
type Hash string

const (
	// MD5 writes "URL#<md5>", the form every conda, micromamba and
	// conda-lock reads (conda-lock render writes it). Older conda releases,
	// whose explicit-URL pattern took an md5 only, reject "#sha256:" lines
	// ("Could not parse explicit URL"), and micromamba 2.0's explicit
	// reader also stores the text after "#sha256:" as the md5.
	MD5 Hash = "md5"
	// SHA256 writes "URL#sha256:<hex>", which current conda
	// (conda/misc.py url_pat) and micromamba check as a sha256.
	SHA256 Hash = "sha256"
)

// Explicit returns an @EXPLICIT file for platform p of l, one URL per
// package in install order with its checksum: the one h names, else the
// other one the lock has. dir is the lock's directory, for relative URLs.
// The platform's wheels follow in a comment block: conda does not install
// them; "envlock export --format requirements" writes them for pip.
func Explicit(l *lockfile.Lock, platform, dir string, h Hash) ([]byte, error) {
	p := l.Platform(platform)
	if p == nil {
		return nil, noPlatform(l, platform)
	}
	if h != MD5 && h != SHA256 {
		return nil, fmt.Errorf("unknown hash %q: want md5 or sha256", h)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# This file may be used to create an environment using:\n# $ conda create --name <env> --file <this file>\n# env: %s\n# platform: %s\n@EXPLICIT\n", l.Name, platform)
	for _, pk := range Order(p) {
		u, err := AbsURL(pk.URL, dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pk.Name, err)
		}
		md5, sha := pk.MD5, pk.SHA256
		if h == SHA256 && sha != "" {
			md5 = ""
		}
		switch {
		case md5 != "":
			fmt.Fprintf(&b, "%s#%s\n", u, md5)
		case sha != "":
			fmt.Fprintf(&b, "%s#sha256:%s\n", u, sha)
		default:
			fmt.Fprintf(&b, "%s\n", u)
		}
	}
	if len(p.PyPI) > 0 {
		b.WriteString("# PyPI wheels: conda does not install these. Write them as a requirements\n")
		b.WriteString("# file with \"envlock export --format requirements\" and run, in the\n")
		b.WriteString("# environment: pip install --require-hashes --no-deps -r requirements.txt\n")
		for _, w := range p.PyPI {
			u, err := AbsURL(w.URL, dir)
			if err != nil {
				return nil, fmt.Errorf("wheel %s: %w", w.Name, err)
			}
			fmt.Fprintf(&b, "#   %s==%s %s", w.Name, w.Version, u)
			if w.SHA256 != "" {
				fmt.Fprintf(&b, " sha256:%s", w.SHA256)
			}
			b.WriteString("\n")
		}
	}
	return b.Bytes(), nil
}

// noPlatform is the error for a platform the lock does not have.
func noPlatform(l *lockfile.Lock, platform string) error {
	return fmt.Errorf("the lock has no platform %q (it has %s)", platform, strings.Join(l.PlatformNames(), ", "))
}
