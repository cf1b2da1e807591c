package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/install"
)

// metaRecord is the part of a conda-meta/<name>-<version>-<build>.json
// record that verify reads. conda, mamba, pixi and envlock all write it.
type metaRecord struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Build   string `json:"build"`
	// FilesJSON is the files list, decoded into Files only where it is
	// read (see decodeFiles): paths_data says the same of each file, and
	// a record's ten thousand names are most of its decoding time.
	FilesJSON json.RawMessage `json:"files"`
	Files     []string        `json:"-"`
	PathsData *struct {
		Paths []metaPath `json:"paths"`
	} `json:"paths_data"`
	// Noarch is "python", "generic", or true in old records.
	Noarch      json.RawMessage `json:"noarch"`
	PackageType string          `json:"package_type"`
	// SitePackages is python's python_site_packages_path (CEP 17).
	SitePackages string `json:"python_site_packages_path"`
	// Link is how conda linked the package: type 2 for symbolic links
	// into the package cache (always_softlink).
	Link *struct {
		Type   int    `json:"type"`
		Source string `json:"source"`
	} `json:"link"`

	file string // conda-meta file name
}

// metaPath is one entry of paths_data.paths.
type metaPath struct {
	Path           string `json:"_path"`
	Type           string `json:"path_type"`
	SHA256         string `json:"sha256"`
	SHA256InPrefix string `json:"sha256_in_prefix"`
	Size           *int64 `json:"size_in_bytes"`
	Placeholder    string `json:"prefix_placeholder"`

	// linkSource is the package cache directory an always_softlink
	// record's links point into: the one place outside the prefix that
	// verify reads, through a root of that directory.
	linkSource string
}

// ID is the record's name-version-build.
func (r *metaRecord) ID() string { return r.Name + "-" + r.Version + "-" + r.Build }

// paths returns the record's files with whatever is known of each:
// paths_data when present, else the bare files list (old conda).
func (r *metaRecord) paths() []metaPath {
	if r.PathsData != nil && len(r.PathsData.Paths) > 0 {
		return r.PathsData.Paths
	}
	out := make([]metaPath, len(r.Files))
	for i, f := range r.Files {
		out[i] = metaPath{Path: f, Type: "hardlink"}
	}
	return out
}

// readCondaMeta reads every package record in prefix/conda-meta. Records
// that cannot be read are returned as problems, not errors: a damaged
// record is drift to report, and the rest of the prefix still verifies.
func readCondaMeta(tr *tree, prefix string) (recs []*metaRecord, bad []string, err error) {
	var ents []os.DirEntry
	d, err := tr.Open("conda-meta")
	if err == nil {
		ents, err = d.ReadDir(-1)
		d.Close()
	}
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, fmt.Errorf("%s is not a conda environment (it has no conda-meta directory)", prefix)
		}
		return nil, nil, err
	}
	// Records are decoded in parallel: a large environment's are
	// megabytes of JSON, and the files cannot be checked before them.
	type slot struct {
		rec *metaRecord
		bad string
	}
	slots := make([]slot, len(ents))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".json") || e.IsDir() || n == install.LegacyMarkerFile {
			continue
		}
		g.Go(func() error {
			b, err := tr.ReadFile("conda-meta/" + n)
			if err != nil {
				slots[i].bad = fmt.Sprintf("conda-meta/%s: %v", n, err)
				return nil
			}
			r := &metaRecord{file: n}
			err = decodeMetaRecord(b, r)
			if err == nil {
				err = r.decodeFiles()
			}
			if err != nil || r.Name == "" {
				if err == nil {
					err = fmt.Errorf("no package name")
				}
				slots[i].bad = fmt.Sprintf("conda-meta/%s: not a package record: %v", n, err)
				return nil
			}
			slots[i].rec = r
			return nil
		})
	}
	g.Wait()
	for _, s := range slots {
		switch {
		case s.rec != nil:
			recs = append(recs, s.rec)
		case s.bad != "":
			bad = append(bad, s.bad)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Name < recs[j].Name })
	sp := sitePackages(recs)
	// normalize stats the byte-code files conda lists: tens of thousands
	// in an environment with many Python packages.
	for _, r := range recs {
		g.Go(func() error {
			r.normalize(prefix, sp)
			return nil
		})
	}
	g.Wait()
	return recs, bad, nil
}

// decodeFiles decodes the files list where it is read: a record without
// paths_data (old conda), and a noarch python one (normalize). Elsewhere
// it is only checked to be a list or null.
func (r *metaRecord) decodeFiles() error {
	raw := bytes.TrimSpace(r.FilesJSON)
	if r.PathsData == nil || len(r.PathsData.Paths) == 0 || r.isNoarchPython() {
		if len(raw) == 0 {
			return nil
		}
		return json.Unmarshal(raw, &r.Files)
	}
	if len(raw) > 0 && raw[0] != '[' && string(raw) != "null" {
		return fmt.Errorf("files: %.20s is not a list", raw)
	}
	return nil
}

// isNoarchPython says whether the record is of a noarch python package.
func (r *metaRecord) isNoarchPython() bool {
	return r.PackageType == "noarch_python" || strings.Trim(string(r.Noarch), `" `) == "python"
}

// sitePackages is the prefix's site-packages directory, from its python
// record: python_site_packages_path, else lib/pythonX.Y/site-packages
// ("" without python).
func sitePackages(recs []*metaRecord) string {
	for _, r := range recs {
		if r.Name != "python" {
			continue
		}
		if r.SitePackages != "" {
			return strings.TrimSuffix(r.SitePackages, "/")
		}
		parts := strings.SplitN(r.Version, ".", 3)
		if len(parts) >= 2 {
			return "lib/python" + parts[0] + "." + parts[1] + "/site-packages"
		}
	}
	return ""
}

// normalize makes paths_data prefix-relative, as verify compares it:
// conda records a noarch python package's paths as they are in the
// package ("site-packages/…", "python-scripts/…") while its files list,
// in the same order, says where they went; rattler and envlock before
// 0.x record them where they went. It also drops pyc_file entries whose
// file does not exist: conda lists the byte-code it meant to compile, and
// a missing one is regenerated by python, not drift.
func (r *metaRecord) normalize(prefix, sp string) {
	if r.PathsData == nil {
		return
	}
	ps := r.PathsData.Paths
	if r.isNoarchPython() {
		aligned := len(r.Files) == len(ps)
		for i := range ps {
			p := ps[i].Path
			if !strings.HasPrefix(p, "site-packages/") && !strings.HasPrefix(p, "python-scripts/") {
				continue
			}
			switch {
			case aligned && noarchTail(r.Files[i]) == noarchTail(p):
				ps[i].Path = r.Files[i]
			case strings.HasPrefix(p, "python-scripts/"):
				ps[i].Path = "bin/" + strings.TrimPrefix(p, "python-scripts/")
			case sp != "":
				ps[i].Path = sp + strings.TrimPrefix(p, "site-packages")
			}
		}
	}
	// conda's always_softlink installs link each file to the package
	// cache and records it as a softlink with the file's sha256: check the
	// content it points at, which is what the package holds, reading only
	// inside the package directory the record names (link.source).
	if r.Link != nil && r.Link.Type == 2 && filepath.IsAbs(r.Link.Source) {
		for i := range ps {
			if ps[i].Type == "softlink" && ps[i].SHA256 != "" {
				ps[i].Type = "hardlink"
				ps[i].linkSource = r.Link.Source
			}
		}
	}
	kept := ps[:0]
	for _, p := range ps {
		if p.Type == "pyc_file" {
			// A .pyc conda lists but never wrote is not drift; a path
			// that is not local stays for the confined check to report.
			if !filepath.IsLocal(filepath.FromSlash(p.Path)) {
				kept = append(kept, p)
				continue
			}
			if _, err := os.Lstat(filepath.Join(prefix, filepath.FromSlash(p.Path))); err != nil {
				continue
			}
		}
		kept = append(kept, p)
	}
	r.PathsData.Paths = kept
}

// noarchTail is a noarch path without its site-packages or scripts
// directory: what stays the same between the package and the prefix.
func noarchTail(p string) string {
	if i := strings.Index(p, "site-packages/"); i >= 0 {
		return p[i+len("site-packages/"):]
	}
	if strings.HasPrefix(p, "python-scripts/") {
		return "scripts:" + strings.TrimPrefix(p, "python-scripts/")
	}
	if strings.HasPrefix(p, "bin/") {
		return "scripts:" + strings.TrimPrefix(p, "bin/")
	}
	return p
}
