package envfile

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

// An Explicit is an @EXPLICIT file: the exact package archives of one
// platform's environment, as "conda list --explicit [--md5|--sha256]" and
// "conda-lock render" write them and "conda create --file" reads them.
//
//	# platform: linux-64
//	@EXPLICIT
//	https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-h7f98852_4.tar.bz2#a1fd65c7ccbf10880423d82bca54eb54
type Explicit struct {
	// Platform is the "# platform:" header, or "" when absent.
	Platform string
	// Packages are the archives, in file order (conda's install order).
	Packages []Package
}

// A Package is one line of an @EXPLICIT file.
type Package struct {
	// URL is the archive's URL without the "#hash" fragment.
	URL string
	// Channel is the URL's channel part: the URL up to the subdir
	// ("https://conda.anaconda.org/conda-forge").
	Channel string
	// Subdir is the platform directory ("linux-64", "noarch").
	Subdir string
	// Filename is the archive's name ("bzip2-1.0.8-h7f98852_4.tar.bz2").
	Filename string
	// Name, Version and Build are read from Filename.
	Name, Version, Build string
	// MD5 and SHA256 are the hex digests the fragment gives, if any.
	MD5, SHA256 string
	// Line is the line number in the file.
	Line int
}

// ParseExplicit parses an @EXPLICIT file. Lines before "@EXPLICIT" are
// comments or headers; after it, every line that is not blank or a
// comment is a package URL, optionally followed by "#<md5>" or
// "#sha256:<hex>" (conda/misc.py explicit()).
func ParseExplicit(filename string, data []byte) (*Explicit, error) {
	ex := &Explicit{}
	explicit := false
	n := 0
	for line := range bytes.Lines(data) {
		n++
		s := strings.TrimSpace(string(line))
		switch {
		case s == "":
			continue
		case s == "@EXPLICIT":
			explicit = true
			continue
		case strings.HasPrefix(s, "#"):
			if k, v, ok := strings.Cut(strings.TrimSpace(s[1:]), ":"); ok && strings.TrimSpace(k) == "platform" {
				ex.Platform = strings.TrimSpace(v)
			}
			continue
		case !explicit:
			return nil, &Error{Pos{filename, n, 1}, fmt.Sprintf("%q before the @EXPLICIT line: an explicit file lists package URLs after @EXPLICIT", s)}
		}
		p, col, err := parsePackageURL(s)
		if err != nil {
			return nil, &Error{Pos{filename, n, col}, err.Error()}
		}
		p.Line = n
		ex.Packages = append(ex.Packages, p)
	}
	if !explicit {
		return nil, &Error{Pos{filename, 1, 1}, "no @EXPLICIT line: not an explicit file"}
	}
	return ex, nil
}

// parsePackageURL reads "URL[#hash]" and returns the column (from 1) of a
// problem with its error.
func parsePackageURL(s string) (Package, int, error) {
	var p Package
	raw, frag, hasFrag := strings.Cut(s, "#")
	if hasFrag {
		col := len(raw) + 2
		switch h := strings.TrimSpace(frag); {
		case strings.HasPrefix(h, "sha256:"):
			p.SHA256 = strings.ToLower(h[len("sha256:"):])
			if !isHex(p.SHA256, 64) {
				return p, col, fmt.Errorf("invalid sha256 %q: want 64 hex digits", p.SHA256)
			}
		case isHex(h, 32):
			p.MD5 = strings.ToLower(h)
		case isHex(h, 64):
			p.SHA256 = strings.ToLower(h)
		default:
			return p, col, fmt.Errorf("invalid hash %q: want an md5 (32 hex digits) or sha256:<64 hex digits>", h)
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return p, 1, fmt.Errorf("%q is not a package URL", raw)
	}
	p.URL = raw
	i := strings.LastIndex(raw, "/")
	p.Filename = raw[i+1:]
	dir := strings.TrimSuffix(raw[:i+1], "/")
	j := strings.LastIndex(dir, "/")
	if j < 0 {
		return p, 1, fmt.Errorf("%q is not a package URL: want CHANNEL/SUBDIR/NAME-VERSION-BUILD.conda", raw)
	}
	p.Subdir = dir[j+1:]
	p.Channel = dir[:j]
	if p.Subdir == "" || p.Channel == "" || strings.HasSuffix(p.Channel, ":/") || strings.HasSuffix(p.Channel, ":") {
		return p, 1, fmt.Errorf("%q is not a package URL: want CHANNEL/SUBDIR/NAME-VERSION-BUILD.conda", raw)
	}
	stem, ok := strings.CutSuffix(p.Filename, ".conda")
	if !ok {
		stem, ok = strings.CutSuffix(p.Filename, ".tar.bz2")
	}
	col := i + 2
	if !ok {
		return p, col, fmt.Errorf("%q is not a conda package: want a .conda or .tar.bz2 file", p.Filename)
	}
	// NAME-VERSION-BUILD: names may hold "-", versions and builds not.
	b := strings.LastIndex(stem, "-")
	if b <= 0 {
		return p, col, fmt.Errorf("%q: want NAME-VERSION-BUILD", p.Filename)
	}
	v := strings.LastIndex(stem[:b], "-")
	if v <= 0 || b-v < 2 || b == len(stem)-1 {
		return p, col, fmt.Errorf("%q: want NAME-VERSION-BUILD", p.Filename)
	}
	p.Name, p.Version, p.Build = stem[:v], stem[v+1:b], stem[b+1:]
	return p, 0, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// ParseSpecList parses a spec list, the file "conda create --file" reads
// when it has no @EXPLICIT line: one MatchSpec a line, "#" comments.
func ParseSpecList(filename string, data []byte) ([]Item, error) {
	var out []Item
	n := 0
	for line := range bytes.Lines(data) {
		n++
		s := string(line)
		if i := strings.Index(s, "#"); i >= 0 {
			s = s[:i]
		}
		trimmed := strings.TrimSpace(s)
		if trimmed == "" {
			continue
		}
		if trimmed == "@EXPLICIT" {
			return nil, &Error{Pos{filename, n, 1}, "an @EXPLICIT file, not a spec list"}
		}
		col := strings.Index(s, trimmed) + 1
		out = append(out, Item{trimmed, Pos{filename, n, col}})
	}
	return out, nil
}
