package sign

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// TrustedRootFile is the name of a cached trusted root.
const TrustedRootFile = "trusted_root.json"

// publicGood is a snapshot of the Sigstore public-good instance's
// trusted root (Fulcio CAs, Rekor v1 log, timestamp authority) as its TUF
// repository served it; FetchPublicGood gets the current one.
//
//go:embed trusted_root_public_good.json
var publicGood []byte

// PublicGood returns the Sigstore public-good trusted root shipped in
// the binary.
func PublicGood() (*root.TrustedRoot, error) { return ParseTrustedRoot(publicGood) }

// PublicGoodJSON returns the trusted_root.json built into the binary.
func PublicGoodJSON() []byte { return append([]byte(nil), publicGood...) }

// ParseTrustedRoot reads a Sigstore trusted_root.json (the format of
// 'cosign trusted-root create' and of Sigstore's TUF repositories).
func ParseTrustedRoot(data []byte) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not a Sigstore trusted root: %v", err)
	}
	return tr, nil
}

// LoadTrustedRoot reads a trusted_root.json file.
func LoadTrustedRoot(path string) (*root.TrustedRoot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tr, err := ParseTrustedRoot(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tr, nil
}

// TUFRepo names the TUF repository FetchTrustedRoot reads the trusted
// root from.
type TUFRepo struct {
	// Mirror is the repository's base URL; "" is Sigstore's public-good
	// CDN (https://tuf-repo-cdn.sigstore.dev).
	Mirror string
	// Root is the repository's root.json to start the chain of trust
	// from, as its operators publish it. nil: for the public-good
	// mirror, the root built into sigstore-go; for another mirror, the
	// newest root an earlier fetch from it verified and cached.
	Root []byte
}

// PublicGoodMirror is the public-good instance's TUF repository.
const PublicGoodMirror = tuf.DefaultMirror

// FetchPublicGood gets the public-good instance's current trusted root
// through its TUF repository (checked against the TUF root embedded in
// sigstore-go), keeping TUF metadata under cacheDir. It needs the
// network; the result is what a cluster copies to its offline nodes.
func FetchPublicGood(ctx context.Context, cacheDir string) ([]byte, error) {
	return FetchTrustedRoot(ctx, cacheDir, TUFRepo{})
}

// FetchTrustedRoot gets trusted_root.json from a Sigstore TUF
// repository: the public-good one, or a private instance's (as 'cosign
// initialize --mirror URL --root FILE' reads it). Every piece of
// metadata is checked the TUF way from repo.Root: root rotations
// followed version by version, signatures against the thresholds,
// versions never going back, expiry, and the target's length and sha256
// from signed metadata. The metadata is cached under cacheDir, one
// directory per mirror.
func FetchTrustedRoot(ctx context.Context, cacheDir string, repo TUFRepo) ([]byte, error) {
	opts := tuf.DefaultOptions().WithContext(ctx)
	opts.CachePath = cacheDir
	mirror := repo.Mirror
	if mirror == "" {
		mirror = PublicGoodMirror
	}
	mirror = strings.TrimSuffix(mirror, "/")
	if !strings.HasPrefix(mirror, "https://") && !strings.HasPrefix(mirror, "http://") {
		return nil, fmt.Errorf("TUF mirror %q is not an http(s):// URL", repo.Mirror)
	}
	opts.RepositoryBaseURL = mirror
	switch {
	case repo.Root != nil:
		if _, err := (&metadata.Metadata[metadata.RootType]{}).FromBytes(repo.Root); err != nil {
			return nil, fmt.Errorf("the TUF root given for %s is not a TUF root.json: %v", mirror, err)
		}
		opts.Root = repo.Root
	case mirror != PublicGoodMirror:
		cached, err := os.ReadFile(filepath.Join(cacheDir, tuf.URLToPath(mirror), "root.json"))
		if err != nil {
			return nil, fmt.Errorf("no TUF root for %s: give its root.json (from the instance's operators) the first time; later fetches start from the newest root verified then", mirror)
		}
		opts.Root = cached
	}
	c, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("updating the TUF metadata of %s: %w", mirror, err)
	}
	data, err := c.GetTarget(TrustedRootFile)
	if err != nil {
		return nil, fmt.Errorf("fetching %s from the TUF repository %s: %w", TrustedRootFile, mirror, err)
	}
	if _, err := ParseTrustedRoot(data); err != nil {
		return nil, fmt.Errorf("%s from %s: %w", TrustedRootFile, mirror, err)
	}
	return data, nil
}
