// Package condapkg writes real conda packages (.conda and .tar.bz2) and
// channels for tests and examples: info/index.json, info/paths.json with
// hashes and prefix placeholders, info/link.json for noarch python, the
// files themselves, and a repodata.json per subdir.
package condapkg

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	dsbzip2 "github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"
)

// TextPlaceholder and BinaryPlaceholder are the build prefixes written
// into files, as conda-build does; the binary one is long so that any
// reasonable install path fits.
const (
	TextPlaceholder   = "/opt/anaconda1anaconda2anaconda3"
	BinaryPlaceholder = "/home/conda/feedstock_root/build_artifacts/demo_1700000000/_h_env_placehold_placehold_placehold_placehold_placehold_placehold_placehold_placehold_placehold_placehold_placehold_placehold_placehold_placehold_placehold_placehold_pla"
)

// A File is one file of a package.
type File struct {
	Path string
	Data []byte
	Exec bool
	// Placeholder marks a file holding the build prefix: "text" or
	// "binary" (the placeholder is the matching constant above).
	Placeholder string
	// Symlink makes the file a symbolic link to this target.
	Symlink string
	// HardlinkTo makes the entry a tar hard link to another file of the
	// package.
	HardlinkTo string
	// ModTime is the entry's mtime in the archive (zero: the epoch).
	ModTime time.Time
}

// A Package is a package to write.
type Package struct {
	Name, Version, Build string
	BuildNumber          int
	Subdir               string // default noarch when Noarch is set, else linux-64
	Depends              []string
	Noarch               string // "", "python", "generic"
	EntryPoints          []string
	Files                []File
	Timestamp            int64
}

// Fn returns the package's file name for a format (".conda" or ".tar.bz2").
func (p *Package) Fn(ext string) string {
	return p.Name + "-" + p.Version + "-" + p.Build + ext
}

func (p *Package) subdir() string {
	if p.Subdir != "" {
		return p.Subdir
	}
	if p.Noarch != "" {
		return "noarch"
	}
	return "linux-64"
}

type pathEntry struct {
	Path        string `json:"_path"`
	Type        string `json:"path_type"`
	SHA256      string `json:"sha256,omitempty"`
	Size        int64  `json:"size_in_bytes"`
	Placeholder string `json:"prefix_placeholder,omitempty"`
	FileMode    string `json:"file_mode,omitempty"`
}

func (p *Package) index() map[string]any {
	m := map[string]any{
		"name": p.Name, "version": p.Version, "build": p.Build, "build_number": p.BuildNumber,
		"depends": nonNil(p.Depends), "subdir": p.subdir(), "license": "BSD-3-Clause",
		"timestamp": p.Timestamp,
	}
	if p.Noarch != "" {
		m["noarch"] = p.Noarch
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// entries returns the info/ and payload tar entries.
func (p *Package) entries() (info, pkg []tarEntry) {
	var paths []pathEntry
	for _, f := range p.Files {
		e := tarEntry{name: f.Path, data: f.Data, exec: f.Exec, link: f.Symlink, hard: f.HardlinkTo, mtime: f.ModTime}
		pe := pathEntry{Path: f.Path, Type: "hardlink"}
		switch {
		case f.Symlink != "":
			pe.Type = "softlink"
		case f.HardlinkTo != "":
			for _, g := range p.Files {
				if g.Path == f.HardlinkTo {
					e.data = g.Data
				}
			}
			sum := sha256.Sum256(e.data)
			pe.SHA256, pe.Size = hex.EncodeToString(sum[:]), int64(len(e.data))
		default:
			sum := sha256.Sum256(f.Data)
			pe.SHA256, pe.Size = hex.EncodeToString(sum[:]), int64(len(f.Data))
		}
		switch f.Placeholder {
		case "text":
			pe.Placeholder, pe.FileMode = TextPlaceholder, "text"
		case "binary":
			pe.Placeholder, pe.FileMode = BinaryPlaceholder, "binary"
		}
		paths = append(paths, pe)
		pkg = append(pkg, e)
	}
	pj, _ := json.MarshalIndent(map[string]any{"paths_version": 1, "paths": paths}, "", "  ")
	ij, _ := json.MarshalIndent(p.index(), "", "  ")
	info = append(info, tarEntry{name: "info/index.json", data: ij}, tarEntry{name: "info/paths.json", data: pj})
	var files []string
	for _, f := range p.Files {
		files = append(files, f.Path)
	}
	info = append(info, tarEntry{name: "info/files", data: []byte(strings.Join(files, "\n") + "\n")})
	if p.Noarch == "python" {
		lj, _ := json.MarshalIndent(map[string]any{"noarch": map[string]any{"type": "python", "entry_points": nonNil(p.EntryPoints)}, "package_metadata_version": 1}, "", "  ")
		info = append(info, tarEntry{name: "info/link.json", data: lj})
	}
	return info, pkg
}

type tarEntry struct {
	name       string
	data       []byte
	exec       bool
	link, hard string
	mtime      time.Time
}

func tarOf(entries []tarEntry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg, Uname: "root", Gname: "root", ModTime: e.mtime}
		if e.exec {
			h.Mode = 0o755
		}
		switch {
		case e.link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		case e.hard != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeLink, e.hard, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(e.data)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Bytes returns the package archive in the format of ext.
func (p *Package) Bytes(ext string) ([]byte, error) {
	info, pkg := p.entries()
	switch ext {
	case ".tar.bz2":
		t, err := tarOf(append(info, pkg...))
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		zw, err := dsbzip2.NewWriter(&buf, &dsbzip2.WriterConfig{Level: 9})
		if err != nil {
			return nil, err
		}
		zw.Write(t)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case ".conda":
		enc, _ := zstd.NewWriter(nil)
		it, err := tarOf(info)
		if err != nil {
			return nil, err
		}
		pt, err := tarOf(pkg)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		stem := strings.TrimSuffix(p.Fn(".conda"), ".conda")
		for _, part := range []struct {
			name string
			data []byte
		}{
			{"metadata.json", []byte(`{"conda_pkg_format_version": 2}`)},
			{"pkg-" + stem + ".tar.zst", enc.EncodeAll(pt, nil)},
			{"info-" + stem + ".tar.zst", enc.EncodeAll(it, nil)},
		} {
			// Sizes and CRC in the local header, no data descriptor:
			// rattler reads a .conda's members by the local header alone
			// (conda writes them so too).
			n := uint64(len(part.data))
			w, err := zw.CreateRaw(&zip.FileHeader{Name: part.name, Method: zip.Store,
				CRC32: crc32.ChecksumIEEE(part.data), CompressedSize64: n, UncompressedSize64: n})
			if err != nil {
				return nil, err
			}
			if _, err := w.Write(part.data); err != nil {
				return nil, err
			}
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("unknown package format %q", ext)
}

// WriteChannel writes the packages into dir as a conda channel: each
// archive in its subdir, and a repodata.json per subdir (linux-64, osx-arm64
// and noarch always exist). ext picks the format per package name
// (default ".conda").
func WriteChannel(dir string, pkgs []*Package, ext func(*Package) string) error {
	idx := NewRepodata()
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Fn("") < pkgs[j].Fn("") })
	for _, p := range pkgs {
		e := ".conda"
		if ext != nil {
			e = ext(p)
		}
		data, err := p.Bytes(e)
		if err != nil {
			return err
		}
		sub := p.subdir()
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, sub, p.Fn(e)), data, 0o644); err != nil {
			return err
		}
		idx.Add(sub, p.Fn(e), e == ".conda", data, p.index())
	}
	return idx.Write(dir)
}

// Repodata collects a channel's records, subdir by subdir, for
// WriteChannel and for writers of other kinds of package
// (internal/hostile). linux-64, osx-arm64 and noarch always exist.
type Repodata struct {
	subs map[string]*subdirRepodata
}

type subdirRepodata struct {
	Info          map[string]string         `json:"info"`
	Packages      map[string]map[string]any `json:"packages"`
	PackagesConda map[string]map[string]any `json:"packages.conda"`
	Version       int                       `json:"repodata_version"`
}

// NewRepodata returns an empty channel index.
func NewRepodata() *Repodata {
	r := &Repodata{subs: map[string]*subdirRepodata{}}
	for _, s := range []string{"linux-64", "osx-arm64", "noarch"} {
		r.sub(s)
	}
	return r
}

func (r *Repodata) sub(s string) *subdirRepodata {
	if r.subs[s] == nil {
		r.subs[s] = &subdirRepodata{Info: map[string]string{"subdir": s}, Packages: map[string]map[string]any{}, PackagesConda: map[string]map[string]any{}, Version: 1}
	}
	return r.subs[s]
}

// Add records the archive data as fn in subdir sub: rec (its index.json
// fields) gains the archive's sha256, md5 and size, under
// "packages.conda" when conda is set, else "packages". It returns rec,
// which callers may still change before Write.
func (r *Repodata) Add(sub, fn string, conda bool, data []byte, rec map[string]any) map[string]any {
	sha := sha256.Sum256(data)
	m := md5.Sum(data)
	rec["sha256"], rec["md5"], rec["size"] = hex.EncodeToString(sha[:]), hex.EncodeToString(m[:]), len(data)
	if conda {
		r.sub(sub).PackagesConda[fn] = rec
	} else {
		r.sub(sub).Packages[fn] = rec
	}
	return rec
}

// Write writes a repodata.json into each subdir of dir.
func (r *Repodata) Write(dir string) error {
	for s, rd := range r.subs {
		if err := os.MkdirAll(filepath.Join(dir, s), 0o755); err != nil {
			return err
		}
		b, err := json.MarshalIndent(rd, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, s, "repodata.json"), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
