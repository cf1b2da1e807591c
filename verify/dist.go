package verify

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/envlock/envlock/install/wheel"
)

// dist is one Python distribution found in a site-packages directory.
type dist struct {
	Name      string
	Version   string
	Installer string // INSTALLER's first line; "" when absent
	Dir       string // the .dist-info/.egg-info directory, relative to the prefix
	Site      string // its site-packages directory, relative to the prefix
	Egg       bool
}

// recordEntry is one line of a wheel's RECORD (PEP 376/627): a path
// relative to site-packages, its "sha256=<urlsafe base64>" hash, size.
type recordEntry struct {
	Path   string // relative to the prefix, cleaned, with /
	SHA256 string // hex; "" when RECORD gives none (RECORD itself, .pyc)
	Size   int64  // -1 when RECORD gives none
}

// findDists lists the .dist-info and .egg-info directories of every
// site-packages directory of the prefix (lib/pythonX.Y/site-packages on
// Unix, Lib/site-packages on Windows), reading through the prefix's tree.
func findDists(tr *tree) []dist {
	var sites []string
	if d, err := tr.Open("lib"); err == nil {
		names, _ := d.Readdirnames(-1)
		d.Close()
		sort.Strings(names)
		for _, n := range names {
			if ok, _ := path.Match("python*", n); ok {
				sites = append(sites, "lib/"+n+"/site-packages")
			}
		}
	}
	sites = append(sites, "Lib/site-packages")
	var out []dist
	for _, site := range sites {
		if fi, err := tr.Stat(site); err != nil || !fi.IsDir() {
			continue
		}
		d, err := tr.Open(site)
		if err != nil {
			continue
		}
		ents, _ := d.ReadDir(-1)
		d.Close()
		for _, e := range ents {
			n := e.Name()
			egg := strings.HasSuffix(n, ".egg-info")
			if !strings.HasSuffix(n, ".dist-info") && !egg {
				continue
			}
			d := dist{Dir: site + "/" + n, Site: site, Egg: egg}
			d.Name, d.Version = distName(tr, d.Dir, n)
			if b, err := tr.ReadFile(d.Dir + "/INSTALLER"); err == nil {
				d.Installer = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
			}
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out
}

var metaField = regexp.MustCompile(`(?m)^(Name|Version):\s*(.+?)\s*$`)

// distName reads Name and Version from METADATA (PKG-INFO for eggs),
// else from the directory name "name-version.dist-info".
func distName(tr *tree, dir, base string) (name, version string) {
	for _, f := range []string{"METADATA", "PKG-INFO"} {
		b, err := tr.ReadFile(dir + "/" + f)
		if err != nil {
			continue
		}
		// Headers end at the first blank line (RFC 822 style).
		if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
			b = b[:i]
		}
		for _, m := range metaField.FindAllSubmatch(b, -1) {
			switch string(m[1]) {
			case "Name":
				if name == "" {
					name = string(m[2])
				}
			case "Version":
				if version == "" {
					version = string(m[2])
				}
			}
		}
		if name != "" {
			return name, version
		}
	}
	stem := strings.TrimSuffix(strings.TrimSuffix(base, ".dist-info"), ".egg-info")
	name, version, _ = strings.Cut(stem, "-")
	return name, version
}

// normalize is PEP 503 name normalization.
func normalize(name string) string {
	return strings.ToLower(pep503.ReplaceAllString(name, "-"))
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// readRecord reads a dist-info's RECORD; paths come back relative to the
// prefix. Entries that point outside the prefix are dropped.
func readRecord(tr *tree, d dist) ([]recordEntry, error) {
	f, err := tr.Open(d.Dir + "/RECORD")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseRecord(bufio.NewReader(f), d.Site)
}

// parseRecord parses RECORD (install/wheel reads the format); site is
// the site-packages directory (relative to the prefix, with /) that its
// paths are relative to.
func parseRecord(r io.Reader, site string) ([]recordEntry, error) {
	es, err := wheel.ReadRecord(r)
	if err != nil {
		return nil, err
	}
	var out []recordEntry
	for _, re := range es {
		p := path.Clean(path.Join(site, filepath.ToSlash(re.Path)))
		if p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) {
			continue
		}
		e := recordEntry{Path: p, Size: re.Size}
		if h, ok := strings.CutPrefix(re.Hash, "sha256="); ok {
			if raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(h, "=")); err == nil {
				e.SHA256 = hex.EncodeToString(raw)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// rel returns p relative to prefix, with forward slashes.
func rel(prefix, p string) string {
	r, err := filepath.Rel(prefix, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}
