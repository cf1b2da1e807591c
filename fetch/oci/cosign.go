package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Cosign's registry convention for signatures (cosign sign / verify): a
// manifest tagged sha256-<hex>.sig in the signed artifact's repository,
// one layer per signature, each a "simple signing" payload that names the
// signed manifest digest, with the base64 signature of the payload in an
// annotation. Registries without the OCI 1.1 referrers API (the CNCF
// distribution registry 2.x among them) serve it like any tag.
const (
	SimpleSigningType   = "application/vnd.dev.cosign.simplesigning.v1+json"
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	cosignConfigType    = "application/vnd.oci.image.config.v1+json"
)

// SignatureTag is the tag cosign looks for the signatures of digest at.
func SignatureTag(digest string) string {
	return strings.Replace(digest, ":", "-", 1) + ".sig"
}

// simpleSigning is cosign's payload; the field order is cosign's.
type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

const simpleSigningKind = "cosign container image signature"

// Payload is the simple-signing payload for the manifest digest in repo.
func Payload(repo name.Repository, digest string) []byte {
	var p simpleSigning
	p.Critical.Identity.DockerReference = repo.Name()
	p.Critical.Image.DockerManifestDigest = digest
	p.Critical.Type = simpleSigningKind
	b, _ := json.Marshal(p)
	return b
}

// Sign pushes a cosign signature of the manifest digest in repo. sign
// returns the base64 signature of a payload. mine reports whether an
// existing signature (base64) over payload was made by the same key; such
// a signature is kept and no new one is added, so pushing again adds
// nothing. Signatures by other keys are kept.
func (c *Client) Sign(ctx context.Context, repo name.Repository, digest string, sign func(payload []byte) ([]byte, error), mine func(sig, payload []byte) bool) (string, error) {
	payload := Payload(repo, digest)
	tag := repo.Tag(SignatureTag(digest))
	existing, err := c.signatures(ctx, tag)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	psum := sha256.Sum256(payload)
	var layers []Blob
	for _, s := range existing {
		if s.SHA256 == hex.EncodeToString(psum[:]) && mine([]byte(s.Annotations[SignatureAnnotation]), payload) {
			return tag.String(), nil
		}
		layers = append(layers, s)
	}
	sig, err := sign(payload)
	if err != nil {
		return "", err
	}
	b := DataBlob("", SimpleSigningType, payload)
	b.Annotations = map[string]string{SignatureAnnotation: string(sig)}
	layers = append(layers, b)
	// cosign writes an image config naming the layers' digests.
	var diffIDs []string
	for _, l := range layers {
		diffIDs = append(diffIDs, "sha256:"+l.SHA256)
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "", "os": "", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	a := &Artifact{Config: DataBlob("", cosignConfigType, cfg), Layers: layers}
	for i := range a.Layers {
		if a.Layers[i].Data == nil {
			// An existing layer: its payload is the same, the registry has it.
			a.Layers[i].Data = payload
		}
	}
	if _, err := c.Push(ctx, tag, a); err != nil {
		return "", err
	}
	return tag.String(), nil
}

// signatures reads the layers of a cosign signature manifest.
func (c *Client) signatures(ctx context.Context, tag name.Tag) ([]Blob, error) {
	r, err := c.Resolve(ctx, tag)
	if err != nil {
		return nil, err
	}
	var out []Blob
	for _, d := range r.Manifest.Layers {
		if d.MediaType != SimpleSigningType {
			continue
		}
		out = append(out, Blob{MediaType: d.MediaType, SHA256: strings.TrimPrefix(d.Digest, "sha256:"), Size: d.Size, Annotations: d.Annotations})
	}
	return out, nil
}

// ErrNoSignature is wrapped when an artifact has no cosign signature.
var ErrNoSignature = errors.New("no cosign signature in the registry")

// VerifySignature checks that the registry holds a cosign signature of
// r's manifest by a key verify accepts (verify checks a base64 signature
// over a payload), and that the signed payload names r's digest.
func (r *Remote) VerifySignature(ctx context.Context, verify func(sig, payload []byte) error) error {
	tag := r.Ref.Context().Tag(SignatureTag(r.Digest))
	sr, err := r.c.Resolve(ctx, tag)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%s: %w (looked for tag %s); sign it with 'envlock push --sign-key' or 'cosign sign'", r.Ref, ErrNoSignature, tag.TagStr())
	}
	if err != nil {
		return err
	}
	var lastErr error
	for _, d := range sr.Manifest.Layers {
		if d.MediaType != SimpleSigningType {
			continue
		}
		payload, err := sr.readBlob(ctx, d.Digest, d.Size)
		if err != nil {
			return err
		}
		var p simpleSigning
		if err := json.Unmarshal(payload, &p); err != nil {
			lastErr = fmt.Errorf("a signature payload is not JSON: %v", err)
			continue
		}
		if p.Critical.Image.DockerManifestDigest != r.Digest {
			lastErr = fmt.Errorf("a signature is for %s, not %s", p.Critical.Image.DockerManifestDigest, r.Digest)
			continue
		}
		if err := verify([]byte(d.Annotations[SignatureAnnotation]), payload); err != nil {
			lastErr = err
			continue
		}
		return nil
	}
	if lastErr == nil {
		lastErr = ErrNoSignature
	}
	return fmt.Errorf("%s: no registry signature by a trusted key: %w", r.Ref, lastErr)
}
