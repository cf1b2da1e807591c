package foreign

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/envlock/envlock/spec/platform"
)

// pixiRecord is one entry of a pixi.lock "packages" list, before it is
// checked: a conda or pypi record and where it is.
type pixiRecord struct {
	kind, location string
	node           *yaml.Node
}

// pixiPypi is a PyPI record of a pixi.lock (rattler_lock's
// PypiPackageDataModel: the hash fields are flattened into the record).
type pixiPypi struct {
	Name         string   `yaml:"name"`
	Version      string   `yaml:"version"`
	URL          string   `yaml:"url"`
	Path         string   `yaml:"path"`
	PyPI         string   `yaml:"pypi"`
	SHA256       string   `yaml:"sha256"`
	RequiresDist []string `yaml:"requires_dist"`
	Editable     bool     `yaml:"editable"`
}

func parsePixi(filename string, top *yaml.Node, version int, environment string) (*File, error) {
	f := &File{Name: filename, Format: Pixi, Version: version, Environment: environment}
	envs := field(top, "environments")
	if envs == nil || envs.Kind != yaml.MappingNode {
		return nil, &Error{File: filename, Line: 1, Msg: fmt.Sprintf("version %d file without an \"environments\" map: not a pixi.lock", version)}
	}
	env := field(envs, environment)
	if env == nil {
		var names []string
		for i := 0; i+1 < len(envs.Content); i += 2 {
			names = append(names, envs.Content[i].Value)
		}
		slices.Sort(names)
		return nil, &Error{File: filename, Line: envs.Line, Msg: fmt.Sprintf("no environment %q; the file has %s (choose one with --environment)", environment, strings.Join(names, ", "))}
	}
	chans, err := channelList(filename, field(env, "channels"))
	if err != nil {
		return nil, err
	}
	f.Channels = chans

	// Index the records by location.
	list := field(top, "packages")
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, &Error{File: filename, Line: 1, Msg: "no \"packages\" list: not a pixi.lock"}
	}
	index := map[string][]pixiRecord{}
	for _, n := range list.Content {
		r := pixiRecord{node: n}
		if version >= 6 {
			for _, k := range []string{"conda", "pypi"} {
				if v := field(n, k); v != nil {
					r.kind, r.location = k, v.Value
				}
			}
		} else {
			if v := field(n, "kind"); v != nil {
				r.kind = v.Value
			}
			for _, k := range []string{"url", "path"} {
				if v := field(n, k); v != nil && r.location == "" {
					r.location = v.Value
				}
			}
		}
		if r.kind != "conda" && r.kind != "pypi" {
			return nil, &Error{File: filename, Line: n.Line, Msg: fmt.Sprintf("a package record that is neither conda nor pypi (version %d records say %s)", version, map[bool]string{true: "conda: or pypi:", false: "kind: conda or kind: pypi"}[version >= 6])}
		}
		if r.location == "" {
			return nil, &Error{File: filename, Line: n.Line, Msg: "a package record without a location (url)"}
		}
		index[r.kind+" "+r.location] = append(index[r.kind+" "+r.location], r)
	}

	// Version 7 names platforms in a top-level list, each with its
	// subdir (the name when absent); the environment's packages are keyed
	// by those names.
	subdirOf := map[string]string{}
	if version >= 7 {
		plats := field(top, "platforms")
		if plats == nil || plats.Kind != yaml.SequenceNode {
			return nil, &Error{File: filename, Line: 1, Msg: "version 7 file without a \"platforms\" list: not a pixi.lock"}
		}
		seen := map[string]string{}
		for _, p := range plats.Content {
			var lp struct {
				Name   string `yaml:"name"`
				Subdir string `yaml:"subdir"`
			}
			if err := decode(filename, p, "platform", &lp); err != nil {
				return nil, err
			}
			if lp.Name == "" {
				return nil, &Error{File: filename, Line: p.Line, Msg: "a platform without a name"}
			}
			sub := cmpOr(lp.Subdir, lp.Name)
			if other, dup := seen[sub]; dup {
				return nil, &Error{File: filename, Line: p.Line, Msg: fmt.Sprintf("platforms %q and %q are both %s; an env.lock holds one package set a platform", other, lp.Name, sub)}
			}
			seen[sub] = lp.Name
			subdirOf[lp.Name] = sub
		}
	}

	pkgs := field(env, "packages")
	if pkgs == nil || pkgs.Kind != yaml.MappingNode {
		return nil, &Error{File: filename, Line: env.Line, Msg: fmt.Sprintf("environment %q has no packages map", environment)}
	}
	for i := 0; i+1 < len(pkgs.Content); i += 2 {
		key, refs := pkgs.Content[i], pkgs.Content[i+1]
		sub := key.Value
		if version >= 7 {
			var ok bool
			if sub, ok = subdirOf[key.Value]; !ok {
				return nil, &Error{File: filename, Line: key.Line, Msg: fmt.Sprintf("environment %q: platform %q is not in the file's platforms list", environment, key.Value)}
			}
		}
		if _, err := platform.Parse(sub); err != nil {
			return nil, &Error{File: filename, Line: key.Line, Msg: fmt.Sprintf("environment %q: %v", environment, err)}
		}
		pl := f.platformOf(sub)
		if refs.Kind != yaml.SequenceNode {
			return nil, &Error{File: filename, Line: refs.Line, Msg: fmt.Sprintf("environment %q, %s: want a list of conda: and pypi: references", environment, key.Value)}
		}
		for _, ref := range refs.Content {
			kind, loc := "", ""
			for _, k := range []string{"conda", "pypi"} {
				if v := field(ref, k); v != nil {
					kind, loc = k, v.Value
				}
			}
			if kind == "" {
				return nil, &Error{File: filename, Line: ref.Line, Msg: "want a conda: or pypi: reference"}
			}
			cands := index[kind+" "+loc]
			if len(cands) == 0 {
				return nil, &Error{File: filename, Line: ref.Line, Msg: fmt.Sprintf("%s refers to %s, which the packages list does not hold", key.Value, loc)}
			}
			if kind == "pypi" {
				if err := addPixiWheel(filename, pl, cands[0]); err != nil {
					return nil, err
				}
				continue
			}
			if err := addPixiConda(filename, pl, cands, version); err != nil {
				return nil, err
			}
		}
	}
	return f, f.finish()
}

// addPixiConda adds the conda record among cands that is for pl's
// platform (or noarch); a URL can be listed once per platform.
func addPixiConda(filename string, pl *Platform, cands []pixiRecord, version int) error {
	var best *conda
	line := 0
	for _, r := range cands {
		var c conda
		if err := decode(filename, r.node, "package", &c); err != nil {
			return err
		}
		c.URL = locationURL(r.location)
		if c.Subdir == "" {
			if a, ok := parseArchiveURL(c.URL); ok {
				c.Subdir = a.subdir
			}
		}
		if best == nil || c.Subdir == pl.Platform || (c.Subdir == "noarch" && best.Subdir != pl.Platform) {
			cc := c
			best, line = &cc, r.node.Line
		}
	}
	pk, err := best.pkg(filename, line)
	if err != nil {
		return err
	}
	pl.Packages = append(pl.Packages, pk)
	return nil
}

func addPixiWheel(filename string, pl *Platform, r pixiRecord) error {
	var p pixiPypi
	if err := decode(filename, r.node, "package", &p); err != nil {
		return err
	}
	if p.Editable {
		return &Error{File: filename, Line: r.node.Line, Msg: fmt.Sprintf("PyPI package %s is an editable install of local code (%s); it is not part of a lock: install it with pip install -e", p.Name, r.location)}
	}
	w, err := wheel(filename, r.node.Line, p.Name, p.Version, r.location, p.SHA256)
	if err != nil {
		return err
	}
	pl.Wheels = append(pl.Wheels, w)
	for _, d := range p.RequiresDist {
		if name, ok := requirementName(d); ok {
			pl.wheelDeps[normalize(w.Name)] = append(pl.wheelDeps[normalize(w.Name)], name)
		}
	}
	return nil
}

// locationURL is a record's location as a URL: rattler writes the
// archives of a local channel as absolute paths ("/srv/channel/noarch/x.conda"),
// which become file:// URLs.
func locationURL(loc string) string {
	if strings.HasPrefix(loc, "/") {
		return (&url.URL{Scheme: "file", Path: loc}).String()
	}
	return loc
}
