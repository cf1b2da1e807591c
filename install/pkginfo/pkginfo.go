// Package pkginfo reads the metadata of an extracted conda package: the
// file list with hashes and prefix placeholders (info/paths.json, or the
// older info/files and info/has_prefix), and the noarch python details
// and entry points (info/link.json, info/index.json).
package pkginfo

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// PathType says how a file is installed.
type PathType string

// Path types of info/paths.json.
const (
	HardLink  PathType = "hardlink"
	SoftLink  PathType = "softlink"
	Directory PathType = "directory"
)

// FileMode says how a prefix placeholder is replaced.
type FileMode string

// Placeholder file modes.
const (
	Text   FileMode = "text"
	Binary FileMode = "binary"
)

// A Path is one entry of the package's file list.
type Path struct {
	Path        string   `json:"_path"`
	Type        PathType `json:"path_type"`
	SHA256      string   `json:"sha256,omitempty"`
	Size        int64    `json:"size_in_bytes,omitempty"`
	Placeholder string   `json:"prefix_placeholder,omitempty"`
	Mode        FileMode `json:"file_mode,omitempty"`
	NoLink      bool     `json:"no_link,omitempty"`
}

// pathsJSON is info/paths.json.
type pathsJSON struct {
	Version int    `json:"paths_version"`
	Paths   []Path `json:"paths"`
}

// Info is what an installer needs from a package's info/ directory.
type Info struct {
	Paths []Path
	// Noarch is "python", "generic" or "".
	Noarch string
	// EntryPoints are "name = module:function" lines (noarch python).
	EntryPoints []string
	// Index is info/index.json as read.
	Index map[string]any
}

// Read reads the metadata of the package extracted at dir, through an
// os.Root of it: a link in info/ that leads out of the package is not
// followed.
func Read(dir string) (*Info, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	info := &Info{}
	idx, err := root.ReadFile("info/index.json")
	if err != nil {
		return nil, fmt.Errorf("%s: no info/index.json: not an extracted conda package", dir)
	}
	if err := json.Unmarshal(idx, &info.Index); err != nil {
		return nil, fmt.Errorf("%s: info/index.json: %v", dir, err)
	}
	switch v := info.Index["noarch"].(type) {
	case string:
		info.Noarch = v
	case bool:
		if v {
			info.Noarch = "generic"
		}
	}
	if err := info.readLinkJSON(root, dir); err != nil {
		return nil, err
	}
	data, err := root.ReadFile("info/paths.json")
	switch {
	case err == nil:
		var pj pathsJSON
		if v, ps, ok := decodePaths(data); ok {
			pj.Version, pj.Paths = v, ps
		} else if err := json.Unmarshal(data, &pj); err != nil {
			return nil, fmt.Errorf("%s: info/paths.json: %v", dir, err)
		}
		if pj.Version != 1 {
			return nil, fmt.Errorf("%s: info/paths.json version %d is not supported (want 1)", dir, pj.Version)
		}
		info.Paths = pj.Paths
	case errors.Is(err, fs.ErrNotExist):
		if info.Paths, err = legacyPaths(root); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	for i := range info.Paths {
		p := &info.Paths[i]
		if p.Type == "" {
			p.Type = HardLink
		}
		if p.Placeholder != "" && p.Mode == "" {
			p.Mode = Text
		}
		if p.Path == "" || strings.HasPrefix(p.Path, "/") || strings.Contains("/"+p.Path+"/", "/../") || path.Clean(p.Path) == "." {
			return nil, fmt.Errorf("%s: file list entry %q escapes the prefix", dir, p.Path)
		}
	}
	return info, nil
}

func (info *Info) readLinkJSON(root *os.Root, dir string) error {
	data, err := root.ReadFile("info/link.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var lj struct {
		Noarch struct {
			Type        string   `json:"type"`
			EntryPoints []string `json:"entry_points"`
		} `json:"noarch"`
	}
	if err := json.Unmarshal(data, &lj); err != nil {
		return fmt.Errorf("%s: info/link.json: %v", dir, err)
	}
	if lj.Noarch.Type != "" {
		info.Noarch = lj.Noarch.Type
	}
	info.EntryPoints = lj.Noarch.EntryPoints
	return nil
}

// legacyPaths reads info/files and info/has_prefix (packages from before
// paths.json).
func legacyPaths(root *os.Root) ([]Path, error) {
	f, err := root.Open("info/files")
	if errors.Is(err, fs.ErrNotExist) {
		// A package of metadata only (rattler's info-only test package):
		// conda reads a missing file list as an empty one.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	prefixed := map[string]Path{}
	if hp, err := root.ReadFile("info/has_prefix"); err == nil {
		for _, line := range strings.Split(string(hp), "\n") {
			fields := strings.Fields(line)
			switch len(fields) {
			case 1:
				prefixed[fields[0]] = Path{Placeholder: "/opt/anaconda1anaconda2anaconda3", Mode: Text}
			case 3:
				prefixed[fields[2]] = Path{Placeholder: strings.Trim(fields[0], `"`), Mode: FileMode(fields[1])}
			}
		}
	}
	var out []Path
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name := strings.TrimSpace(sc.Text())
		if name == "" {
			continue
		}
		p := Path{Path: name, Type: HardLink}
		if fi, err := root.Lstat(name); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			p.Type = SoftLink
		}
		if pp, ok := prefixed[name]; ok {
			p.Placeholder, p.Mode = pp.Placeholder, pp.Mode
		}
		out = append(out, p)
	}
	return out, sc.Err()
}
