package foreign

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/envlock/envlock/spec/platform"
)

// Prefix is the Format of an installed conda environment read by
// FromPrefix: its conda-meta records stand for a lock.
const Prefix Format = "conda-meta"

// prefixRecord is the part of a conda-meta/<name>-<version>-<build>.json
// record FromPrefix reads (conda, mamba, pixi and envlock write them).
type prefixRecord struct {
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Build       string          `json:"build"`
	BuildNumber *int64          `json:"build_number"`
	Subdir      string          `json:"subdir"`
	Noarch      json.RawMessage `json:"noarch"`
	URL         string          `json:"url"`
	SHA256      string          `json:"sha256"`
	MD5         string          `json:"md5"`
	Size        int64           `json:"size"`
	Depends     []string        `json:"depends"`
	Constrains  []string        `json:"constrains"`
	Track       json.RawMessage `json:"track_features"`
	License     string          `json:"license"`
	Timestamp   int64           `json:"timestamp"`
	SitePkgs    string          `json:"python_site_packages_path"`
	Tarball     string          `json:"package_tarball_full_path"`
}

// FromPrefix reads the conda environment at prefix as a lock of one
// platform: every package its conda-meta records, pinned by the URL and
// hashes conda recorded (a record without a sha256 gets the one of its
// archive in the package cache, when that is still there). The platform
// is the records' subdir, else the host's. Channels are those the URLs
// name, the one most packages come from first. PyPI distributions
// installed by pip into the environment are not part of conda-meta and
// are not read; notes say what was not.
func FromPrefix(prefix string) (f *File, notes []string, err error) {
	meta := filepath.Join(prefix, "conda-meta")
	ents, err := os.ReadDir(meta)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, fmt.Errorf("%s is not a conda environment (it has no conda-meta directory)", prefix)
		}
		return nil, nil, err
	}
	f = &File{Name: prefix, Format: Prefix, Version: 1, Environment: "default"}
	var pkgs []*conda
	subdir := ""
	count := map[string]int{}
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".json") || n == "envlock.json" {
			continue
		}
		path := filepath.Join(meta, n)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, err
		}
		var r prefixRecord
		if err := json.Unmarshal(data, &r); err != nil || r.Name == "" {
			if err == nil {
				err = fmt.Errorf("no package name")
			}
			return nil, nil, fmt.Errorf("%s: not a package record: %v", path, err)
		}
		if r.SHA256 == "" && r.Tarball != "" {
			if sum, md, err := hashArchive(r.Tarball); err == nil && (r.MD5 == "" || strings.EqualFold(md, r.MD5)) {
				r.SHA256 = sum
				notes = append(notes, fmt.Sprintf("%s records no sha256; took the one of %s", n, r.Tarball))
			}
		}
		if r.SHA256 == "" {
			return nil, nil, fmt.Errorf("%s: %s %s %s has no sha256 and its archive is not in the package cache; envlock pins every package by sha256", path, r.Name, r.Version, r.Build)
		}
		c := &conda{
			Name: r.Name, Version: r.Version, Build: r.Build, BuildNumber: r.BuildNumber, Subdir: r.Subdir,
			Noarch: noarchString(r.Noarch), URL: r.URL, SHA256: r.SHA256, MD5: r.MD5, Size: r.Size,
			Depends: r.Depends, Constrains: r.Constrains, Track: trackList(r.Track), License: r.License,
			Timestamp: r.Timestamp, SitePkgs: r.SitePkgs,
		}
		pkgs = append(pkgs, c)
		if r.Subdir != "" && r.Subdir != "noarch" {
			if subdir != "" && subdir != r.Subdir {
				return nil, nil, fmt.Errorf("%s holds packages for %s and for %s; a lock pins one set a platform", prefix, subdir, r.Subdir)
			}
			subdir = r.Subdir
		}
	}
	if subdir == "" {
		subdir = string(platform.Host())
	}
	pl := f.platformOf(subdir)
	for _, c := range pkgs {
		pk, err := c.pkg(f.Name+"/conda-meta/"+c.Name+"-"+c.Version+"-"+c.Build+".json", 0)
		if err != nil {
			return nil, nil, err
		}
		pl.Packages = append(pl.Packages, pk)
		count[pk.Channel]++
	}
	for ch := range count {
		f.Channels = append(f.Channels, ch)
	}
	slices.SortFunc(f.Channels, func(a, b string) int {
		if count[a] != count[b] {
			return count[b] - count[a]
		}
		return strings.Compare(a, b)
	})
	if dists, _ := filepath.Glob(filepath.Join(prefix, "lib", "python*", "site-packages", "*.dist-info", "INSTALLER")); len(dists) > 0 {
		for _, d := range dists {
			if b, err := os.ReadFile(d); err == nil && strings.TrimSpace(string(b)) != "conda" {
				notes = append(notes, fmt.Sprintf("%s was installed by %s, not conda; it is not imported (add it to pypi in env.cue)", filepath.Base(filepath.Dir(d)), strings.TrimSpace(string(b))))
			}
		}
	}
	return f, notes, f.finish()
}

// noarchString reads conda's noarch field: "python", "generic", or true
// (old records, generic).
func noarchString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil && b {
		return "generic"
	}
	return ""
}

// trackList reads track_features, a space-separated string or a list.
func trackList(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.Fields(strings.ReplaceAll(s, ",", " "))
	}
	var l []string
	json.Unmarshal(raw, &l)
	return l
}

// hashArchive returns the sha256 and md5 of a file.
func hashArchive(p string) (sha, md string, err error) {
	fh, err := os.Open(p)
	if err != nil {
		return "", "", err
	}
	defer fh.Close()
	s, m := sha256.New(), md5.New()
	if _, err := io.Copy(io.MultiWriter(s, m), fh); err != nil {
		return "", "", err
	}
	return hex.EncodeToString(s.Sum(nil)), hex.EncodeToString(m.Sum(nil)), nil
}
