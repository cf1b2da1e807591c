// Package sign signs env.lock files and checks who signed them, in
// cosign's formats so that cosign and envlock check each other's files:
//
//   - the legacy blob signature (env.lock.sig): ECDSA P-256 over the
//     SHA-256 of the exact file bytes, ASN.1 DER, base64;
//   - a Sigstore bundle (env.lock.sigstore.json, v0.1 to v0.3, what
//     'cosign sign-blob --bundle' writes), signed with a key or keyless:
//     a short-lived Fulcio certificate for an OIDC identity (a CI
//     workflow), with the transparency log's inclusion proof and signed
//     entry timestamp, or an RFC 3161 timestamp.
//
// A Policy says who may sign: public keys and keyless Identities (issuer
// and subject, as cosign's --certificate-oidc-issuer and
// --certificate-identity). Policy.Verify checks everything offline with
// sigstore-go's verifier against a trusted root (trusted_root.json; the
// public-good one is built in, FetchPublicGood updates it), and says why
// it refuses: each reason is a sentinel error (ErrIdentity, ErrTlog, …)
// and the message names the signer found. Keys are PEM files like
// cosign's: the private key encrypted with a password ("ENCRYPTED
// SIGSTORE PRIVATE KEY"), the public key as "PUBLIC KEY".
//
// lock/sign/sigstoretest is a private Sigstore for tests; TestCosign and
// TestCosignKeyless check both formats against real cosign.
package sign

import (
	"bytes"
	"crypto"
	"crypto/elliptic"
	"crypto/sha256"
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
	sv, _, err := loadSigner(privPEM, password)
	if err != nil {
		return nil, err
	}
	sig, err := sv.SignMessage(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return []byte(base64.StdEncoding.EncodeToString(sig)), nil
}

// loadSigner decrypts a cosign-style private key.
func loadSigner(privPEM, password []byte) (signature.SignerVerifier, crypto.PublicKey, error) {
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(privPEM, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		if strings.Contains(err.Error(), "decrypt") {
			return nil, nil, fmt.Errorf("cannot decrypt the private key: wrong password? (%v)", err)
		}
		return nil, nil, fmt.Errorf("reading the private key: %v", err)
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, nil, fmt.Errorf("loading the private key: %v", err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, nil, err
	}
	return sv, pub, nil
}

// keyHint names a public key in a bundle's verification material: the
// base64 SHA-256 of its DER, as Sigstore's clients write it.
func keyHint(pub crypto.PublicKey) (string, error) {
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// Verify checks a signature (cosign's base64 signature or a Sigstore
// bundle signed with a key) over data with a PEM public key.
func Verify(pubPEM, sig, data []byte) error {
	if _, err := loadVerifier(pubPEM); err != nil {
		return err
	}
	_, err := (&Policy{Keys: [][]byte{pubPEM}}).Verify(sig, data)
	var te *TrustError
	if errors.As(err, &te) && errors.Is(err, ErrBadSignature) {
		return fmt.Errorf("%w: the file was changed after signing, or signed with another key", ErrBadSignature)
	}
	return err
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

// VerifyTrusted checks that sig (nil when the lock is unsigned) is a
// valid signature of data by one of the trusted public keys.
func VerifyTrusted(trusted [][]byte, sig, data []byte) error {
	_, err := (&Policy{Keys: trusted}).Verify(sig, data)
	return err
}

// ReadSignature reads the signature beside a lock: LOCK.sigstore.json
// (a Sigstore bundle) if it exists, else LOCK.sig (a cosign signature,
// or a bundle: the content says which). A lock with neither gives nil
// and no error.
func ReadSignature(lockPath string) ([]byte, error) {
	for _, suffix := range []string{BundleFileSuffix, SigFileSuffix} {
		sig, err := os.ReadFile(lockPath + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		return sig, err
	}
	return nil, nil
}
