package sign

import (
	"context"
	_ "embed"
	"fmt"
	"os"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
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

// FetchPublicGood gets the public-good instance's current trusted root
// through its TUF repository (checked against the TUF root embedded in
// sigstore-go), keeping TUF metadata under cacheDir. It needs the
// network; the result is what a cluster copies to its offline nodes.
func FetchPublicGood(ctx context.Context, cacheDir string) ([]byte, error) {
	opts := tuf.DefaultOptions().WithContext(ctx)
	opts.CachePath = cacheDir
	c, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("updating Sigstore's TUF metadata: %w", err)
	}
	data, err := c.GetTarget(TrustedRootFile)
	if err != nil {
		return nil, fmt.Errorf("fetching %s from Sigstore's TUF repository: %w", TrustedRootFile, err)
	}
	if _, err := ParseTrustedRoot(data); err != nil {
		return nil, err
	}
	return data, nil
}
