// Package hostile builds conda packages and channels that break the rules
// on purpose, for the tests that prove envlock confines what it installs:
// archives with any tar entries (absolute names, "..", symlink chains,
// hard links out of the tree), info/index.json and info/paths.json that
// disagree with the payload, and repodata records whose identities are
// not conda's grammar. Everything it writes is a real archive a real
// channel could serve; only the content lies.
//
// internal/condapkg writes well-formed packages; this package is for the
// other kind.
package hostile

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"

	dsbzip2 "github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/internal/condapkg"
)

// An Entry is one tar entry, written exactly as given.
type Entry struct {
	Name     string
	Type     byte // tar.TypeReg (default), tar.TypeDir, tar.TypeSymlink, tar.TypeLink, …
	Linkname string
	Data     []byte
	Mode     int64 // default 0o644 (0o755 for directories)
}

// Reg, Dir, Symlink and Hardlink are shorthands for entries.
func Reg(name, data string) Entry { return Entry{Name: name, Data: []byte(data)} }
func Dir(name string) Entry       { return Entry{Name: name, Type: tar.TypeDir} }
func Symlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeSymlink, Linkname: target}
}
func Hardlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeLink, Linkname: target}
}

// A PathEntry is one record of info/paths.json.
type PathEntry struct {
	Path        string `json:"_path"`
	Type        string `json:"path_type"`
	SHA256      string `json:"sha256,omitempty"`
	Size        int64  `json:"size_in_bytes"`
	Placeholder string `json:"prefix_placeholder,omitempty"`
	FileMode    string `json:"file_mode,omitempty"`
}

// A Package is a conda package built from raw entries.
type Package struct {
	Name, Version, Build string
	Subdir               string // default linux-64
	Depends              []string
	// Files are the payload entries, in archive order.
	Files []Entry
	// Paths replaces the info/paths.json generated from Files (which
	// lists every regular file, symlink and hard link with its true
	// hash and size).
	Paths []PathEntry
	// Index is merged over the generated info/index.json.
	Index map[string]any
	// Info entries are added to info/ after the generated ones; one with
	// the same name as a generated entry replaces it.
	Info []Entry
	// Record is merged over the repodata record WriteChannel computes
	// (name, version, build, fn, sha256, …): the way to make a channel
	// lie about a package.
	Record map[string]any
	// Fn overrides the archive's file name in the channel.
	Fn string
}

func (p *Package) subdir() string {
	if p.Subdir != "" {
		return p.Subdir
	}
	return "linux-64"
}

// FileName is the archive's name in the channel.
func (p *Package) FileName(ext string) string {
	if p.Fn != "" {
		return p.Fn
	}
	return p.Name + "-" + p.Version + "-" + p.Build + ext
}

func (p *Package) index() map[string]any {
	deps := p.Depends
	if deps == nil {
		deps = []string{}
	}
	m := map[string]any{
		"name": p.Name, "version": p.Version, "build": p.Build, "build_number": 0,
		"depends": deps, "subdir": p.subdir(), "timestamp": int64(1700000000000),
	}
	maps.Copy(m, p.Index)
	return m
}

// TruePaths returns info/paths.json's records as they truly are for
// Files: every non-directory entry with its type, and hash and size for
// regular files and hard links (the linked file's content).
func (p *Package) TruePaths() []PathEntry {
	data := map[string][]byte{}
	var out []PathEntry
	for _, e := range p.Files {
		switch e.Type {
		case tar.TypeDir:
			continue
		case tar.TypeSymlink:
			out = append(out, PathEntry{Path: e.Name, Type: "softlink"})
			continue
		case tar.TypeLink:
			d := data[e.Linkname]
			sum := sha256.Sum256(d)
			out = append(out, PathEntry{Path: e.Name, Type: "hardlink", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(d))})
			continue
		}
		data[e.Name] = e.Data
		sum := sha256.Sum256(e.Data)
		out = append(out, PathEntry{Path: e.Name, Type: "hardlink", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(e.Data))})
	}
	return out
}

func (p *Package) infoEntries() []Entry {
	paths := p.Paths
	if paths == nil {
		paths = p.TruePaths()
	}
	pj, _ := json.MarshalIndent(map[string]any{"paths_version": 1, "paths": paths}, "", "  ")
	ij, _ := json.MarshalIndent(p.index(), "", "  ")
	var files []string
	for _, pe := range paths {
		files = append(files, pe.Path)
	}
	gen := []Entry{
		{Name: "info/index.json", Data: ij},
		{Name: "info/paths.json", Data: pj},
		{Name: "info/files", Data: []byte(strings.Join(files, "\n") + "\n")},
	}
	var out []Entry
	for _, g := range gen {
		replaced := false
		for _, e := range p.Info {
			if e.Name == g.Name {
				replaced = true
			}
		}
		if !replaced {
			out = append(out, g)
		}
	}
	return append(out, p.Info...)
}

// Tar returns entries as an uncompressed tar stream.
func Tar(entries []Entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Linkname, Mode: e.Mode, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(fmt.Sprintf("hostile: tar header %q: %v", e.Name, err))
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(e.Data)
		}
	}
	tw.Close()
	return buf.Bytes()
}

// Bzip2 compresses b as one bzip2 stream.
func Bzip2(b []byte) []byte {
	var buf bytes.Buffer
	zw, err := dsbzip2.NewWriter(&buf, &dsbzip2.WriterConfig{Level: 9})
	if err != nil {
		panic(err)
	}
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// Zstd compresses b as one zstd frame.
func Zstd(b []byte) []byte {
	enc, _ := zstd.NewWriter(nil)
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// Conda returns a .conda archive named stem.conda holding info and pkg
// tar streams compressed with zstd, with sizes in the local headers.
func Conda(stem string, infoTar, pkgTar []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, part := range []struct {
		name string
		data []byte
	}{
		{"metadata.json", []byte(`{"conda_pkg_format_version": 2}`)},
		{"pkg-" + stem + ".tar.zst", Zstd(pkgTar)},
		{"info-" + stem + ".tar.zst", Zstd(infoTar)},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: part.name, Method: zip.Store})
		if err != nil {
			panic(err)
		}
		w.Write(part.data)
	}
	zw.Close()
	return buf.Bytes()
}

// Archive returns the package in the format of ext (".conda" or
// ".tar.bz2"). In a .tar.bz2 the info entries come first, as
// conda-build writes them.
func (p *Package) Archive(ext string) []byte {
	info := p.infoEntries()
	switch ext {
	case ".tar.bz2":
		return Bzip2(Tar(append(info, p.Files...)))
	case ".conda":
		return Conda(strings.TrimSuffix(p.FileName(".conda"), ".conda"), Tar(info), Tar(p.Files))
	}
	panic("hostile: unknown package format " + ext)
}

// WriteChannel writes pkgs into dir as a channel in the format ext, with
// a repodata.json for each of linux-64, osx-arm64 and noarch (and any
// other subdir a package names). Record overrides are applied after the
// true sha256, md5 and size are filled in.
func WriteChannel(dir, ext string, pkgs ...*Package) error {
	idx := condapkg.NewRepodata()
	sorted := append([]*Package(nil), pkgs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].FileName(ext) < sorted[j].FileName(ext) })
	for _, p := range sorted {
		data := p.Archive(ext)
		fn := p.FileName(ext)
		if err := os.MkdirAll(filepath.Join(dir, p.subdir()), 0o755); err != nil {
			return err
		}
		// The archive is written under its true name only when that name
		// stays inside the subdir; a lying fn is the record's business.
		if !strings.ContainsAny(fn, `/\`) && fn != ".." {
			if err := os.WriteFile(filepath.Join(dir, p.subdir(), fn), data, 0o644); err != nil {
				return err
			}
		}
		// Overrides go over the true hashes: the way to make a channel
		// lie about a package.
		maps.Copy(idx.Add(p.subdir(), fn, ext == ".conda", data, p.index()), p.Record)
	}
	return idx.Write(dir)
}
