package sign

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
)

// BundleFileSuffix is appended to a lock's path to name its Sigstore
// bundle (cosign's conventional name for blob bundles).
const BundleFileSuffix = ".sigstore.json"

// BundleMediaType is the media type of the bundles Sign writes: Sigstore
// bundle v0.3, cosign v3's default.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// mediaTypes are the bundle versions read: v0.1 and v0.2 name their
// version as a parameter, v0.3 in the subtype (Sigstore's protobuf-specs).
var mediaTypes = map[string]string{
	"application/vnd.dev.sigstore.bundle+json;version=0.1": "v0.1",
	"application/vnd.dev.sigstore.bundle+json;version=0.2": "v0.2",
	"application/vnd.dev.sigstore.bundle+json;version=0.3": "v0.3",
	"application/vnd.dev.sigstore.bundle.v0.3+json":        "v0.3",
}

// Sentinel errors wrapped by verification, one per reason a signature is
// refused; callers test them with errors.Is.
var (
	// ErrNotBundle: the signature file is JSON but not a Sigstore bundle,
	// or neither a bundle nor a base64 signature.
	ErrNotBundle = errors.New("not a Sigstore bundle")
	// ErrMediaType: a bundle of a version envlock does not read.
	ErrMediaType = errors.New("unsupported bundle media type")
	// ErrNoTrustedRoot: a keyless bundle with no trusted root to check it.
	ErrNoTrustedRoot = errors.New("no Sigstore trusted root")
	// ErrUntrustedCA: the certificate does not chain to the trusted root.
	ErrUntrustedCA = errors.New("certificate not issued by a trusted CA")
	// ErrCertificateTime: nothing shows the certificate was valid when
	// the lock was signed.
	ErrCertificateTime = errors.New("certificate not valid at signing time")
	// ErrIdentity: a valid certificate for an identity the policy does
	// not trust.
	ErrIdentity = errors.New("identity not trusted")
	// ErrTlog: the transparency-log entry (inclusion proof or signed
	// entry timestamp) does not verify.
	ErrTlog = errors.New("transparency-log entry invalid")
)

// parsed is a signature file read: a legacy base64 signature or a bundle.
type parsed struct {
	raw     []byte         // legacy: the DER signature
	bundle  *bundle.Bundle // else the bundle
	version string         // the bundle's version, "v0.3"
}

// parse reads a signature file's content: a Sigstore bundle when it is
// a JSON object, else cosign's legacy base64 signature.
func parse(sig []byte) (*parsed, error) {
	sig = bytes.TrimSpace(sig)
	if len(sig) > 0 && sig[0] == '{' {
		return parseBundle(sig)
	}
	raw, err := base64.StdEncoding.DecodeString(string(sig))
	if err != nil {
		return nil, fmt.Errorf("%w: the signature is neither a Sigstore bundle (JSON) nor a base64 cosign signature", ErrNotBundle)
	}
	return &parsed{raw: raw}, nil
}

func parseBundle(data []byte) (*parsed, error) {
	var probe struct {
		MediaType *string `json:"mediaType"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: the signature is not valid JSON (%v)", ErrNotBundle, err)
	}
	if probe.MediaType == nil {
		return nil, fmt.Errorf("%w: the signature is JSON without a \"mediaType\"; expected the file 'cosign sign-blob --bundle' writes", ErrNotBundle)
	}
	mt := *probe.MediaType
	version, ok := mediaTypes[mt]
	if !ok {
		return nil, fmt.Errorf("%w %q: envlock reads Sigstore bundles v0.1 to v0.3", ErrMediaType, mt)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		msg := strings.NewReplacer("invalid bundle: ", "", "validation error: ", "").Replace(err.Error())
		return nil, fmt.Errorf("%w: the %s bundle is malformed (%s)", ErrNotBundle, version, msg)
	}
	return &parsed{bundle: &b, version: version}, nil
}

// IsBundle reports whether a signature file's content is a Sigstore
// bundle (JSON) rather than a legacy base64 signature.
func IsBundle(sig []byte) bool {
	sig = bytes.TrimSpace(sig)
	return len(sig) > 0 && sig[0] == '{'
}

// SignBundle signs data with the encrypted private key and returns a
// Sigstore bundle (v0.3, JSON) holding the signature, the digest and
// the key's hint: what 'cosign sign-blob --key K --bundle F' writes when
// no transparency log is used. It verifies with
// 'cosign verify-blob --key K.pub --bundle F --insecure-ignore-tlog'.
func SignBundle(privPEM, password, data []byte) ([]byte, error) {
	sv, pub, err := loadSigner(privPEM, password)
	if err != nil {
		return nil, err
	}
	sig, err := sv.SignMessage(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(data)
	hint, err := keyHint(pub)
	if err != nil {
		return nil, err
	}
	pb := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{
				PublicKey: &protocommon.PublicKeyIdentifier{Hint: hint},
			},
		},
		Content: &protobundle.Bundle_MessageSignature{
			MessageSignature: &protocommon.MessageSignature{
				MessageDigest: &protocommon.HashOutput{
					Algorithm: protocommon.HashAlgorithm_SHA2_256,
					Digest:    digest[:],
				},
				Signature: sig,
			},
		},
	}
	if _, err := bundle.NewBundle(pb); err != nil {
		return nil, fmt.Errorf("building the bundle: %w", err)
	}
	out, err := protojson.MarshalOptions{Multiline: false}.Marshal(pb)
	if err != nil {
		return nil, err
	}
	// protojson's spacing is deliberately unstable; a compact, stable
	// file is kinder to diffs and to tests.
	var buf bytes.Buffer
	if err := json.Compact(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
