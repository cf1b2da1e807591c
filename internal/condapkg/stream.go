package condapkg

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// An Entry is one payload file of a package written by WriteConda. Unlike
// File it carries a modification time (conda and rattler keep the
// archive's mtimes, which .pyc files depend on) and loads its content only
// when written, so that large packages (a CPython) need not sit in memory.
type Entry struct {
	Path    string
	ModTime time.Time
	Exec    bool
	// Symlink makes the entry a symbolic link to this target; Load is
	// not called.
	Symlink string
	// Placeholder is "text" or "binary" when the content holds
	// TextPlaceholder or BinaryPlaceholder.
	Placeholder string
	// Load returns the content.
	Load func() ([]byte, error)
}

// WriteConda writes a .conda archive (CEP: a zip holding metadata.json,
// pkg-STEM.tar.zst and info-STEM.tar.zst) to w. index is info/index.json;
// info/paths.json and info/files are computed from entries, whose order
// is kept. extraInfo adds further info/ files (about.json, say), by path.
func WriteConda(w io.Writer, stem string, index map[string]any, entries []Entry, extraInfo map[string][]byte) error {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	mw, err := zw.CreateHeader(&zip.FileHeader{Name: "metadata.json", Method: zip.Store})
	if err != nil {
		return err
	}
	if _, err := mw.Write([]byte(`{"conda_pkg_format_version": 2}`)); err != nil {
		return err
	}

	pw, err := zw.CreateHeader(&zip.FileHeader{Name: "pkg-" + stem + ".tar.zst", Method: zip.Store})
	if err != nil {
		return err
	}
	enc.Reset(pw)
	tw := tar.NewWriter(enc)
	var paths []pathEntry
	var names []string
	for _, e := range entries {
		h := &tar.Header{Name: e.Path, Mode: 0o644, Typeflag: tar.TypeReg, ModTime: e.ModTime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if e.Exec {
			h.Mode = 0o755
		}
		pe := pathEntry{Path: e.Path, Type: "hardlink"}
		var data []byte
		if e.Symlink != "" {
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Symlink
			h.Mode = 0o777
			pe.Type = "softlink"
		} else {
			if data, err = e.Load(); err != nil {
				return fmt.Errorf("%s: %w", e.Path, err)
			}
			h.Size = int64(len(data))
			sum := sha256.Sum256(data)
			pe.SHA256, pe.Size = hex.EncodeToString(sum[:]), int64(len(data))
		}
		switch e.Placeholder {
		case "text":
			pe.Placeholder, pe.FileMode = TextPlaceholder, "text"
		case "binary":
			pe.Placeholder, pe.FileMode = BinaryPlaceholder, "binary"
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
		paths = append(paths, pe)
		names = append(names, e.Path)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}

	pj, err := json.MarshalIndent(map[string]any{"paths_version": 1, "paths": paths}, "", "  ")
	if err != nil {
		return err
	}
	ij, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return err
	}
	info := []tarEntry{
		{name: "info/index.json", data: ij},
		{name: "info/paths.json", data: pj},
		{name: "info/files", data: []byte(strings.Join(names, "\n") + "\n")},
	}
	for _, p := range slices.Sorted(maps.Keys(extraInfo)) {
		info = append(info, tarEntry{name: p, data: extraInfo[p]})
	}
	it, err := tarOf(info)
	if err != nil {
		return err
	}
	iw, err := zw.CreateHeader(&zip.FileHeader{Name: "info-" + stem + ".tar.zst", Method: zip.Store})
	if err != nil {
		return err
	}
	var ib bytes.Buffer
	enc.Reset(&ib)
	if _, err := enc.Write(it); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if _, err := iw.Write(ib.Bytes()); err != nil {
		return err
	}
	return zw.Close()
}
