package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/lock/lockfile"
)

// Env is what an environment artifact carries.
type Env struct {
	Lock      *lockfile.Lock
	LockData  []byte
	Signature []byte // env.lock.sig or env.lock.sigstore.json, or nil
	Manifest  []byte // env.cue, or nil
	Platforms []string
}

// Config is the artifact's config blob.
type Config struct {
	Name       string   `json:"name"`
	Platforms  []string `json:"platforms"`
	LockSHA256 string   `json:"lock_sha256"`
}

// A Locked artifact is a package or wheel of the lock with its layer's
// title and media type.
type Locked struct {
	cache.Artifact
	Title     string
	MediaType string
	MD5       string
}

// LockedArtifacts lists the packages and wheels of the lock for the
// platforms (default all), each once, sorted by title.
func LockedArtifacts(l *lockfile.Lock, platforms []string) ([]Locked, error) {
	if len(platforms) == 0 {
		platforms = l.PlatformNames()
	}
	seen := map[string]Locked{}
	for _, p := range platforms {
		pl := l.Platform(p)
		if pl == nil {
			return nil, fmt.Errorf("the lock has no packages for %s; it was locked for %v", p, l.PlatformNames())
		}
		for _, pk := range pl.Packages {
			fn := path.Base(pk.URL)
			t := pk.Subdir + "/" + fn
			seen[t] = Locked{Artifact: cache.Artifact{Fn: fn, URL: pk.URL, SHA256: pk.SHA256, Size: pk.Size}, Title: t, MediaType: PackageType(fn), MD5: pk.MD5}
		}
		for _, w := range pl.PyPI {
			t := WheelDir + w.FileName()
			seen[t] = Locked{Artifact: cache.Artifact{Fn: w.FileName(), URL: w.URL, SHA256: w.SHA256, Size: w.Size}, Title: t, MediaType: WheelType}
		}
	}
	out := make([]Locked, 0, len(seen))
	for _, a := range seen {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Title < out[j].Title })
	return out, nil
}

// WheelDir is the title prefix of wheels, as in an offline bundle.
const WheelDir = "pypi/"

// A FetchFunc brings artifacts into the package cache and returns their
// paths in order (download.Fetcher.Fetch).
type FetchFunc func(ctx context.Context, arts []cache.Artifact) ([]string, error)

// Build fetches (through the cache) every artifact the lock names for
// the platforms and returns the environment as an OCI artifact: layers
// env.lock, env.lock.sig, env.cue, then the packages and wheels by title.
func Build(ctx context.Context, e *Env, fetch FetchFunc) (*Artifact, error) {
	plats := slices.Clone(e.Platforms)
	if len(plats) == 0 {
		plats = e.Lock.PlatformNames()
	}
	sort.Strings(plats)
	arts, err := LockedArtifacts(e.Lock, plats)
	if err != nil {
		return nil, err
	}
	list := make([]cache.Artifact, len(arts))
	for i, a := range arts {
		list[i] = a.Artifact
	}
	paths, err := fetch(ctx, list)
	if err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(Config{Name: e.Lock.Name, Platforms: plats, LockSHA256: lockfile.Hash(e.LockData)})
	if err != nil {
		return nil, err
	}
	a := &Artifact{ArtifactType: ArtifactType, Config: DataBlob("", ConfigType, cfg)}
	a.Layers = append(a.Layers, DataBlob(LockTitle, LockType, e.LockData))
	if e.Signature != nil {
		// As in a project: a Sigstore bundle as env.lock.sigstore.json,
		// so that 'oras pull' gives files cosign and envlock find.
		if lockfile.SignatureName(e.Signature) == BundleTitle {
			a.Layers = append(a.Layers, DataBlob(BundleTitle, bundleMediaType(e.Signature), e.Signature))
		} else {
			a.Layers = append(a.Layers, DataBlob(SignatureTitle, SignatureType, e.Signature))
		}
	}
	if e.Manifest != nil {
		a.Layers = append(a.Layers, DataBlob(ManifestTitle, ManifestType, e.Manifest))
	}
	for i, l := range arts {
		size := l.Size
		if size <= 0 {
			fi, err := os.Stat(paths[i])
			if err != nil {
				return nil, err
			}
			size = fi.Size()
		}
		b := Blob{Title: l.Title, MediaType: l.MediaType, SHA256: l.SHA256, Size: size, Path: paths[i]}
		if l.MD5 != "" {
			b.Annotations = map[string]string{MD5Annotation: l.MD5}
		}
		if IsRef(l.URL) {
			// From an oci:// channel: its package repository has the blob.
			if ref, _, err := PackageRef(l.URL); err == nil {
				b.MountFrom = ref.Context().Name()
			}
		}
		a.Layers = append(a.Layers, b)
	}
	return a, nil
}

// bundleMediaType is the media type of a Sigstore bundle's layer: the
// bundle's own "mediaType" when it names a Sigstore bundle
// ("application/vnd.dev.sigstore.bundle.v0.3+json",
// "application/vnd.dev.sigstore.bundle+json;version=0.2"), else
// BundleType.
func bundleMediaType(b []byte) string {
	var probe struct {
		MediaType string `json:"mediaType"`
	}
	if json.Unmarshal(b, &probe) == nil && strings.HasPrefix(probe.MediaType, "application/vnd.dev.sigstore.bundle") && !strings.ContainsAny(probe.MediaType, " \t\r\n\"") {
		return probe.MediaType
	}
	return BundleType
}
