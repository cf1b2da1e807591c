package foreign

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/envlock/envlock/spec/platform"
)

// clPackage is one entry of a conda-lock.yml "package" list
// (conda_lock/lockfile/v1/models.py LockedDependency, and rattler_lock's
// versions 2 and 3 of it).
type clPackage struct {
	Name         string    `yaml:"name"`
	Version      string    `yaml:"version"`
	Manager      string    `yaml:"manager"`
	Platform     string    `yaml:"platform"`
	URL          string    `yaml:"url"`
	Dependencies yaml.Node `yaml:"dependencies"`
	Hash         struct {
		MD5    string `yaml:"md5"`
		SHA256 string `yaml:"sha256"`
	} `yaml:"hash"`
	Build       string   `yaml:"build"`
	BuildNumber *int64   `yaml:"build_number"`
	Subdir      string   `yaml:"subdir"`
	Noarch      string   `yaml:"noarch"`
	Constrains  []string `yaml:"constrains"`
	License     string   `yaml:"license"`
	Size        int64    `yaml:"size"`
}

func parseCondaLock(filename string, top *yaml.Node, version int) (*File, error) {
	f := &File{Name: filename, Format: CondaLock, Version: version, Environment: "default"}
	meta := field(top, "metadata")
	if meta == nil {
		return nil, &Error{File: filename, Line: 1, Msg: "no \"metadata\": not a conda-lock.yml"}
	}
	chans, err := channelList(filename, field(meta, "channels"))
	if err != nil {
		return nil, err
	}
	f.Channels = chans
	if pn := field(meta, "platforms"); pn != nil {
		var plats []string
		if err := decode(filename, pn, "metadata.platforms", &plats); err != nil {
			return nil, err
		}
		for _, p := range plats {
			if _, err := platform.Parse(p); err != nil {
				return nil, &Error{File: filename, Line: pn.Line, Msg: "metadata.platforms: " + err.Error()}
			}
			f.platformOf(p)
		}
	}
	list := field(top, "package")
	if list.Kind != yaml.SequenceNode {
		return nil, &Error{File: filename, Line: list.Line, Msg: "\"package\" is not a list"}
	}
	for _, n := range list.Content {
		var p clPackage
		if err := decode(filename, n, "package", &p); err != nil {
			return nil, err
		}
		if _, err := platform.Parse(p.Platform); err != nil {
			return nil, &Error{File: filename, Line: n.Line, Msg: fmt.Sprintf("package %s: platform: %v", p.Name, err)}
		}
		pl := f.platformOf(p.Platform)
		deps, err := dependencies(filename, &p.Dependencies)
		if err != nil {
			return nil, err
		}
		switch p.Manager {
		case "conda":
			c := conda{Name: p.Name, Version: p.Version, Build: p.Build, BuildNumber: p.BuildNumber, Subdir: p.Subdir,
				Noarch: p.Noarch, URL: p.URL, SHA256: p.Hash.SHA256, MD5: p.Hash.MD5, Depends: deps,
				Constrains: p.Constrains, License: p.License, Size: p.Size}
			pk, err := c.pkg(filename, n.Line)
			if err != nil {
				return nil, err
			}
			pl.Packages = append(pl.Packages, pk)
		case "pip", "pypi":
			w, err := wheel(filename, n.Line, p.Name, p.Version, p.URL, p.Hash.SHA256)
			if err != nil {
				return nil, err
			}
			pl.Wheels = append(pl.Wheels, w)
			for _, d := range deps {
				if name, ok := requirementName(d); ok {
					pl.wheelDeps[normalize(w.Name)] = append(pl.wheelDeps[normalize(w.Name)], name)
				}
			}
		default:
			return nil, &Error{File: filename, Line: n.Line, Msg: fmt.Sprintf("package %s: unknown manager %q (want conda or pip)", p.Name, p.Manager)}
		}
	}
	return f, f.finish()
}

// channelList reads a channels list: {url: …} entries or plain strings.
func channelList(filename string, n *yaml.Node) ([]string, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &Error{File: filename, Line: n.Line, Msg: "channels is not a list"}
	}
	var out []string
	for _, c := range n.Content {
		var s string
		switch c.Kind {
		case yaml.ScalarNode:
			s = c.Value
		case yaml.MappingNode:
			if u := field(c, "url"); u != nil && u.Kind == yaml.ScalarNode {
				s = u.Value
			}
		}
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if s == "" {
			return nil, &Error{File: filename, Line: c.Line, Msg: "a channel without a url"}
		}
		out = append(out, s)
	}
	return out, nil
}

// dependencies reads conda-lock's dependencies: a map of name to the rest
// of a spec (format 1) or a list of specs (formats 2 and 3).
func dependencies(filename string, n *yaml.Node) ([]string, error) {
	var out []string
	switch n.Kind {
	case 0:
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
				return nil, &Error{File: filename, Line: k.Line, Msg: "dependencies: want name: spec"}
			}
			spec := strings.TrimSpace(v.Value)
			if v.Tag == "!!null" {
				spec = ""
			}
			if spec == "" || spec == "*" {
				out = append(out, k.Value)
			} else {
				out = append(out, k.Value+" "+spec)
			}
		}
	case yaml.SequenceNode:
		if err := decode(filename, n, "dependencies", &out); err != nil {
			return nil, err
		}
	default:
		return nil, &Error{File: filename, Line: n.Line, Msg: "dependencies: want a map or a list"}
	}
	return out, nil
}
