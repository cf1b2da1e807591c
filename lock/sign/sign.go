// Package sign signs and verifies env.lock files with sigstore keys, in
// the format cosign uses for blobs: an ECDSA P-256 signature over the
// SHA-256 of the exact file bytes, ASN.1 DER, base64-encoded. A lock
// signed here verifies with
//
//	cosign verify-blob --key env.pub --signature env.lock.sig env.lock
//
// and keys are PEM files like cosign's: the private key encrypted with a
// password ("ENCRYPTED SIGSTORE PRIVATE KEY"), the public key as
// "PUBLIC KEY".
package sign

import (
	"bytes"
	"crypto"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// SigFileSuffix is appended to a lock's path to name its signature.
const SigFileSuffix = ".sig"

// ErrBadSignature is wrapped by Verify when a signature does not match
// the data and key.
var ErrBadSignature = errors.New("signature does not match")

// GenerateKeyPair makes an ECDSA P-256 key pair. The private key PEM is
// encrypted with password (which may be empty, as cosign allows).
func GenerateKeyPair(password []byte) (privPEM, pubPEM []byte, err error) {
	return cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc(password))
}

// Sign signs data with the encrypted private key and returns the base64
// signature (the content of env.lock.sig).
func Sign(privPEM, password, data []byte) ([]byte, error) {
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(privPEM, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		if strings.Contains(err.Error(), "decrypt") {
			return nil, fmt.Errorf("cannot decrypt the private key: wrong password? (%v)", err)
		}
		return nil, fmt.Errorf("reading the private key: %v", err)
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading the private key: %v", err)
	}
	sig, err := sv.SignMessage(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return []byte(base64.StdEncoding.EncodeToString(sig)), nil
}

// Verify checks a base64 signature over data with a PEM public key.
func Verify(pubPEM, sig, data []byte) error {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		return fmt.Errorf("reading the public key: %v", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("loading the public key: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
	if err != nil {
		return fmt.Errorf("%w: the signature is not base64 (%v)", ErrBadSignature, err)
	}
	if err := v.VerifySignature(bytes.NewReader(raw), bytes.NewReader(data)); err != nil {
		return fmt.Errorf("%w: the file was changed after signing, or signed with another key", ErrBadSignature)
	}
	return nil
}

// Fingerprint returns a short identifier of a public key (the first 16
// hex digits of the SHA-256 of its DER), for messages.
func Fingerprint(pubPEM []byte) string {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		return "unknown key"
	}
	id, err := cryptoutils.SKID(pub)
	if err != nil {
		return "unknown key"
	}
	return fmt.Sprintf("%x", id)[:16]
}

// A TrustError says a lock is not signed by any trusted key.
type TrustError struct {
	Keys   []string // fingerprints of the trusted keys
	Reason string
}

func (e *TrustError) Error() string {
	return fmt.Sprintf("%s; expected a signature by one of the trusted keys %s", e.Reason, strings.Join(e.Keys, ", "))
}

// VerifyTrusted checks that sig (nil when the lock is unsigned) is a
// valid signature of data by one of the trusted public keys.
func VerifyTrusted(trusted [][]byte, sig, data []byte) error {
	var fps []string
	for _, k := range trusted {
		fps = append(fps, Fingerprint(k))
	}
	if sig == nil {
		return &TrustError{Keys: fps, Reason: "the lock is not signed (no .sig file)"}
	}
	for _, k := range trusted {
		if Verify(k, sig, data) == nil {
			return nil
		}
	}
	return &TrustError{Keys: fps, Reason: "the lock's signature does not match any trusted key (the lock changed after signing, or another key signed it)"}
}

// ReadSignature reads the signature beside a lock (LOCK.sig); a lock with
// no signature file gives nil and no error.
func ReadSignature(lockPath string) ([]byte, error) {
	sig, err := os.ReadFile(lockPath + SigFileSuffix)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return sig, err
}
