package export

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/envlock/envlock/lock/lockfile"
)

// CondaLock returns the lock as conda-lock's conda-lock.yml, format
// version 1 (conda_lock/lockfile/v1/models.py), for the given platforms
// (all of the lock's when none are given): "conda-lock install" and
// "conda-lock render" read it. Packages are sorted as conda-lock writes
// them (manager, name, platform), conda packages carry their depends as
// conda-lock's name → spec map, wheels are "manager: pip". Every package
// is in category "main" and not optional.
//
// conda-lock requires an md5 for conda packages, so a package the lock
// has none for is an error. content_hash, which conda-lock compares with
// its own hash of its input files to tell whether to re-lock, holds the
// hash of the manifest env.lock was made from: conda-lock cannot read
// env.cue, so it will re-solve rather than trust it if asked to update.
func CondaLock(l *lockfile.Lock, platforms []string, dir string) ([]byte, error) {
	if len(platforms) == 0 {
		platforms = l.PlatformNames()
	}
	platforms = slices.Clone(platforms)
	slices.Sort(platforms)
	platforms = slices.Compact(platforms)

	type entry struct {
		manager, name, platform string
		node                    *yaml.Node
	}
	var entries []entry
	hashes := yamlMap()
	for _, plat := range platforms {
		p := l.Platform(plat)
		if p == nil {
			return nil, noPlatform(l, plat)
		}
		set(hashes, plat, str(l.Manifest.SHA256))
		for _, pk := range p.Packages {
			if pk.MD5 == "" {
				return nil, fmt.Errorf("%s: %s %s %s has no md5 in the lock, and conda-lock requires one for conda packages", plat, pk.Name, pk.Version, pk.Build)
			}
			u, err := AbsURL(pk.URL, dir)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", plat, pk.Name, err)
			}
			hash := yamlMap("md5", str(pk.MD5))
			if pk.SHA256 != "" {
				set(hash, "sha256", str(pk.SHA256))
			}
			entries = append(entries, entry{"conda", pk.Name, plat, yamlMap(
				"category", str("main"),
				"dependencies", dependencyMap(pk.Depends),
				"hash", hash,
				"manager", str("conda"),
				"name", str(pk.Name),
				"optional", boolean(false),
				"platform", str(plat),
				"url", str(u),
				"version", str(pk.Version),
			)})
		}
		for _, w := range p.PyPI {
			u, err := AbsURL(w.URL, dir)
			if err != nil {
				return nil, fmt.Errorf("%s: wheel %s: %w", plat, w.Name, err)
			}
			hash := yamlMap()
			if w.SHA256 != "" {
				set(hash, "sha256", str(w.SHA256))
			}
			entries = append(entries, entry{"pip", w.Name, plat, yamlMap(
				"category", str("main"),
				"dependencies", yamlMap(),
				"hash", hash,
				"manager", str("pip"),
				"name", str(w.Name),
				"optional", boolean(false),
				"platform", str(plat),
				"url", str(u),
				"version", str(w.Version),
			)})
		}
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		return cmp.Or(strings.Compare(a.manager, b.manager), strings.Compare(a.name, b.name), strings.Compare(a.platform, b.platform))
	})
	pkgs := seq()
	for _, e := range entries {
		pkgs.Content = append(pkgs.Content, e.node)
	}
	if len(entries) == 0 {
		pkgs.Style = yaml.FlowStyle
	}
	chans := seq()
	refs, err := channelRefs(l, dir)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		chans.Content = append(chans.Content, yamlMap("url", str(r), "used_env_vars", strs(nil)))
	}
	if len(refs) == 0 {
		chans.Style = yaml.FlowStyle
	}
	doc := yamlMap(
		"metadata", yamlMap(
			"channels", chans,
			"content_hash", hashes,
			"platforms", strs(platforms),
			"sources", strs([]string{"env.cue"}),
		),
		"package", pkgs,
		"version", integer(1),
	)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# conda-lock.yml of env %q, exported from env.lock by envlock.\n", l.Name)
	b.WriteString("# Install with:  conda-lock install -n YOURENV conda-lock.yml\n")
	b.WriteString("# envlock import conda-lock.yml reads it back.\n")
	if err := encodeYAML(&b, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// dependencyMap turns conda depends ("python >=3.8", "libgcc-ng") into
// conda-lock's map of name to the rest of the spec ("" for any). Two
// specs on one name are joined with ",".
func dependencyMap(depends []string) *yaml.Node {
	var names []string
	specs := map[string]string{}
	for _, d := range depends {
		name, rest, _ := strings.Cut(strings.TrimSpace(d), " ")
		rest = strings.TrimSpace(rest)
		old, seen := specs[name]
		switch {
		case !seen:
			names = append(names, name)
			specs[name] = rest
		case old == "":
			specs[name] = rest
		case rest != "":
			specs[name] = old + "," + rest
		}
	}
	slices.Sort(names)
	m := yamlMap()
	for _, n := range names {
		set(m, n, str(specs[n]))
	}
	return m
}
