package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

var lock = []byte("{\n  \"version\": 1\n}\n")

func TestSignVerify(t *testing.T) {
	priv, pub, err := GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(priv), "ENCRYPTED SIGSTORE PRIVATE KEY") || !strings.Contains(string(pub), "PUBLIC KEY") {
		t.Fatalf("key PEM types: %s / %s", priv[:40], pub[:30])
	}
	sig, err := Sign(priv, []byte("pw"), lock)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(pub, sig, lock); err != nil {
		t.Fatalf("good signature: %v", err)
	}
	// One byte changed.
	tampered := append([]byte(nil), lock...)
	tampered[5] ^= 1
	if err := Verify(pub, sig, tampered); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "changed after signing") {
		t.Errorf("tampered lock: %v", err)
	}
	// Another key.
	_, pub2, _ := GenerateKeyPair(nil)
	if err := Verify(pub2, sig, lock); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong key: %v", err)
	}
	// Wrong password.
	if _, err := Sign(priv, []byte("nope"), lock); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Errorf("wrong password: %v", err)
	}
	if Fingerprint(pub) == Fingerprint(pub2) || len(Fingerprint(pub)) != 16 {
		t.Errorf("fingerprints %s %s", Fingerprint(pub), Fingerprint(pub2))
	}
}

// TestCosignFormat checks both directions against cosign's documented
// blob signature format, built here with the standard library alone:
// ECDSA P-256 over SHA-256 of the blob, ASN.1 DER, base64; public key as
// a PKIX "PUBLIC KEY" PEM.
func TestCosignFormat(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	digest := sha256.Sum256(lock)
	asn1Sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	cosignSig := base64.StdEncoding.EncodeToString(asn1Sig)
	if err := Verify(pubPEM, []byte(cosignSig+"\n"), lock); err != nil {
		t.Fatalf("a cosign-format signature does not verify: %v", err)
	}

	// Our signature verifies with the plain cosign algorithm.
	priv, pub, _ := GenerateKeyPair([]byte("pw"))
	sig, err := Sign(priv, []byte("pw"), lock)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(string(sig))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := cryptoutils.UnmarshalPEMToPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pk.(*ecdsa.PublicKey), digest[:], raw) {
		t.Error("envlock's signature is not ECDSA-P256/SHA-256/ASN.1 over the file bytes")
	}
}
