package oci

import (
	"fmt"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Channels in a registry use conda-oci-mirror's layout (the layout of the
// channel-mirrors on ghcr.io, read by pixi and rattler): for a channel
// oci://HOST/PATH,
//
//	HOST/PATH/<subdir>/repodata.json:latest   layers repodata.json (RepodataType)
//	                                          and repodata.json.zst (RepodataZstType)
//	HOST/PATH/<subdir>/<name>:<version>-<build>  layers the package file
//	                                          (CondaType or CondaTarBz2Type, titled
//	                                          with its file name), info.tar.gz
//	                                          and info/index.json
//
// Tags escape what OCI tags cannot hold: "+" as "__p__", "!" as "__e__",
// "=" as "__eq__" (conda-oci-mirror's version_build_tag).

// EscapeTag turns <version>-<build> into an OCI tag.
func EscapeTag(versionBuild string) string {
	return strings.NewReplacer("+", "__p__", "!", "__e__", "=", "__eq__").Replace(versionBuild)
}

// UnescapeTag reverses EscapeTag.
func UnescapeTag(tag string) string {
	return strings.NewReplacer("__p__", "+", "__e__", "!", "__eq__", "=").Replace(tag)
}

// RepodataRef is where a channel subdir's repodata is: u is
// oci://HOST/PATH/<subdir>/repodata.json (a trailing .zst is dropped).
func RepodataRef(u string) (name.Reference, error) {
	u = strings.TrimSuffix(u, ".zst")
	if path.Base(u) != "repodata.json" {
		return nil, fmt.Errorf("%s: not a repodata.json location", u)
	}
	return ParseRef(u + ":latest")
}

// PackageRef is where a package is: u is oci://HOST/PATH/<subdir>/<file>
// with file <name>-<version>-<build>.conda or .tar.bz2. It returns the
// reference and the file name.
func PackageRef(u string) (name.Reference, string, error) {
	dir, fn := path.Split(u)
	stem, ok := strings.CutSuffix(fn, ".conda")
	if !ok {
		if stem, ok = strings.CutSuffix(fn, ".tar.bz2"); !ok {
			return nil, "", fmt.Errorf("%s: not a conda package file name", u)
		}
	}
	i := strings.LastIndexByte(stem, '-')
	if i <= 0 {
		return nil, "", fmt.Errorf("%s: not <name>-<version>-<build>", u)
	}
	j := strings.LastIndexByte(stem[:i], '-')
	if j <= 0 {
		return nil, "", fmt.Errorf("%s: not <name>-<version>-<build>", u)
	}
	ref, err := ParseRef(dir + stem[:j] + ":" + EscapeTag(stem[j+1:]))
	return ref, fn, err
}

// LayerOfType returns the first layer of media type t, or nil.
func (m *Manifest) LayerOfType(t string) *Descriptor {
	for i := range m.Layers {
		if m.Layers[i].MediaType == t {
			return &m.Layers[i]
		}
	}
	return nil
}
