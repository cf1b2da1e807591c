// Package sigstoretest is a private Sigstore for tests: a certificate
// authority issuing short-lived Fulcio-style certificates with an OIDC
// identity, and a transparency log that records hashedrekord entries
// with a signed entry timestamp and a Merkle inclusion proof under a
// signed checkpoint. It writes real Sigstore bundles (v0.3 JSON) and the
// trusted_root.json that verifies them, so keyless verification is
// tested offline with the same files a user handles.
//
// It is not a Sigstore implementation: no OIDC, no CT log, no network.
// Each entry is logged in a two-leaf tree (a fixed sibling first) so
// that its inclusion proof has a hash to tamper with.
package sigstoretest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/digitorus/timestamp"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"
	"google.golang.org/protobuf/encoding/protojson"
)

// oidIssuerV2 is Fulcio's OIDC issuer extension (a DER UTF8String);
// see Fulcio's docs/oid-info.md.
var oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}

// LogHost is the transparency log's origin in checkpoints.
const LogHost = "rekor.test.invalid"

// A Sigstore is one private instance: a root CA, an intermediate that
// issues leaf certificates, and a log key.
type Sigstore struct {
	rootCert  *x509.Certificate
	interCert *x509.Certificate
	interKey  *ecdsa.PrivateKey
	logKey    *ecdsa.PrivateKey
	logID     []byte // SHA-256 of the log key's DER
	tsaCert   *x509.Certificate
	tsaKey    *ecdsa.PrivateKey
	start     time.Time
}

// New makes a Sigstore whose CA and log are valid from a day ago for a
// year.
func New() (*Sigstore, error) {
	s := &Sigstore{start: time.Now().Add(-24 * time.Hour).Truncate(time.Second)}
	rootKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "envlock test sigstore root", Organization: []string{"envlock test"}},
		NotBefore:             s.start,
		NotAfter:              s.start.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	if s.rootCert, err = create(tmpl, tmpl, rootKey.Public(), rootKey); err != nil {
		return nil, err
	}
	if s.interKey, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		return nil, err
	}
	inter := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: "envlock test sigstore intermediate", Organization: []string{"envlock test"}},
		NotBefore:             s.start,
		NotAfter:              s.start.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	if s.interCert, err = create(inter, s.rootCert, s.interKey.Public(), rootKey); err != nil {
		return nil, err
	}
	// The timestamp authority: a leaf of the root whose only use is
	// time stamping (a critical extended key usage, RFC 3161 §2.3).
	if s.tsaKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		return nil, err
	}
	tsa := &x509.Certificate{
		SerialNumber:    big.NewInt(3),
		Subject:         pkix.Name{CommonName: "envlock test timestamp authority"},
		NotBefore:       s.start,
		NotAfter:        s.start.Add(365 * 24 * time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}
	if s.tsaCert, err = create(tsa, s.rootCert, s.tsaKey.Public(), rootKey); err != nil {
		return nil, err
	}
	if s.logKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(s.logKey.Public())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	s.logID = sum[:]
	return s, nil
}

func create(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// TrustedRoot returns the instance's trust material.
func (s *Sigstore) TrustedRoot() (*root.TrustedRoot, error) {
	ca := &root.FulcioCertificateAuthority{
		Root:                s.rootCert,
		Intermediates:       []*x509.Certificate{s.interCert},
		ValidityPeriodStart: s.start,
		URI:                 "https://fulcio.test.invalid",
	}
	logs := map[string]*root.TransparencyLog{
		hex.EncodeToString(s.logID): {
			BaseURL:             "https://" + LogHost,
			ID:                  s.logID,
			ValidityPeriodStart: s.start,
			HashFunc:            crypto.SHA256,
			PublicKey:           s.logKey.Public(),
			SignatureHashFunc:   crypto.SHA256,
		},
	}
	tsa := &root.SigstoreTimestampingAuthority{
		Root:                s.rootCert,
		Leaf:                s.tsaCert,
		ValidityPeriodStart: s.start,
		URI:                 "https://tsa.test.invalid",
	}
	return root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{ca}, nil, []root.TimestampingAuthority{tsa}, logs)
}

// TrustedRootJSON returns the instance's trusted_root.json.
func (s *Sigstore) TrustedRootJSON() ([]byte, error) {
	tr, err := s.TrustedRoot()
	if err != nil {
		return nil, err
	}
	return tr.MarshalJSON()
}

// Options shape one signature.
type Options struct {
	Subject string // the certificate's SAN: a URI (https://…) or an email
	Issuer  string // the OIDC issuer extension
	// SignedAt is when the log says it saw the signature (default now).
	SignedAt time.Time
	// NotBefore starts the certificate's 10-minute validity (default a
	// minute before SignedAt).
	NotBefore time.Time
	// NoLog leaves the transparency-log entry out of the bundle.
	NoLog bool
	// Timestamp adds an RFC 3161 timestamp of the signature at SignedAt
	// from the instance's timestamp authority.
	Timestamp bool
	// IssuedBy issues the certificate from another instance's CA (the
	// entry still goes into this instance's log).
	IssuedBy *Sigstore
	// Version is the bundle version: "v0.3" (default), or "v0.1" and
	// "v0.2", whose media type names the version as a parameter and which
	// carry the certificate as a one-element chain, as older cosign wrote.
	Version string
	// TamperProof flips a bit of the inclusion proof's sibling hash.
	TamperProof bool
	// TamperSET flips a bit of the signed entry timestamp.
	TamperSET bool
}

// Sign signs data keyless as o.Subject and returns the bundle JSON.
func (s *Sigstore) Sign(data []byte, o Options) ([]byte, error) {
	if o.SignedAt.IsZero() {
		o.SignedAt = time.Now()
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = o.SignedAt.Add(-time.Minute)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	issuer, err := asn1.MarshalWithParams(o.Issuer, "utf8")
	if err != nil {
		return nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(o.SignedAt.UnixNano()),
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotBefore.Add(10 * time.Minute),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: oidIssuerV2, Value: issuer},
		},
	}
	if strings.Contains(o.Subject, "://") {
		u, err := url.Parse(o.Subject)
		if err != nil {
			return nil, err
		}
		leaf.URIs = []*url.URL{u}
	} else {
		leaf.EmailAddresses = []string{o.Subject}
	}
	ca := s
	if o.IssuedBy != nil {
		ca = o.IssuedBy
	}
	cert, err := create(leaf, ca.interCert, key.Public(), ca.interKey)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	mediaType := "application/vnd.dev.sigstore.bundle.v0.3+json"
	vm := &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_Certificate{
			Certificate: &protocommon.X509Certificate{RawBytes: cert.Raw},
		},
	}
	switch o.Version {
	case "", "v0.3":
	case "v0.1", "v0.2":
		mediaType = "application/vnd.dev.sigstore.bundle+json;version=" + strings.TrimPrefix(o.Version, "v")
		vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{
			X509CertificateChain: &protocommon.X509CertificateChain{
				Certificates: []*protocommon.X509Certificate{{RawBytes: cert.Raw}},
			},
		}
	default:
		return nil, fmt.Errorf("unknown bundle version %q", o.Version)
	}
	if !o.NoLog {
		tle, err := s.logEntry(cert, digest[:], sig, o.SignedAt)
		if err != nil {
			return nil, err
		}
		if o.TamperProof {
			tle.InclusionProof.Hashes[0][0] ^= 1
		}
		if o.TamperSET {
			set := tle.InclusionPromise.SignedEntryTimestamp
			set[len(set)-1] ^= 1
		}
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{tle}
	}
	if o.Timestamp {
		tsr, err := s.timestamp(sig, o.SignedAt)
		if err != nil {
			return nil, err
		}
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: tsr}},
		}
	}
	b := &protobundle.Bundle{
		MediaType:            mediaType,
		VerificationMaterial: vm,
		Content: &protobundle.Bundle_MessageSignature{
			MessageSignature: &protocommon.MessageSignature{
				MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: digest[:]},
				Signature:     sig,
			},
		},
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "  "); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// logEntry records a hashedrekord v0.0.1 entry at index 1 of a two-leaf
// log, with its signed entry timestamp and inclusion proof.
func (s *Sigstore) logEntry(cert *x509.Certificate, digest, sig []byte, at time.Time) (*protorekor.TransparencyLogEntry, error) {
	certPEM, err := cryptoutils.MarshalCertificateToPEM(cert)
	if err != nil {
		return nil, err
	}
	rec := map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "hashedrekord",
		"spec": map[string]any{
			"data": map[string]any{"hash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(digest)}},
			"signature": map[string]any{
				"content":   base64.StdEncoding.EncodeToString(sig),
				"publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(certPEM)},
			},
		},
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	body, err := jsoncanonicalizer.Transform(raw)
	if err != nil {
		return nil, err
	}
	const index = 1
	integrated := at.Unix()
	// The signed entry timestamp: the log's signature over the
	// canonical JSON of body, integrated time, index and log ID.
	payload, err := json.Marshal(map[string]any{
		"body":           base64.StdEncoding.EncodeToString(body),
		"integratedTime": integrated,
		"logIndex":       index,
		"logID":          hex.EncodeToString(s.logID),
	})
	if err != nil {
		return nil, err
	}
	canon, err := jsoncanonicalizer.Transform(payload)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(canon)
	set, err := ecdsa.SignASN1(rand.Reader, s.logKey, h[:])
	if err != nil {
		return nil, err
	}
	// RFC 6962 tree of two leaves: a sibling, then this entry.
	hasher := rfc6962.DefaultHasher
	sibling := hasher.HashLeaf([]byte("envlock test sibling entry"))
	rootHash := hasher.HashChildren(sibling, hasher.HashLeaf(body))
	signer, err := signature.LoadECDSASignerVerifier(s.logKey, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	checkpoint, err := util.CreateAndSignCheckpoint(context.Background(), LogHost, 1, 2, rootHash, signer)
	if err != nil {
		return nil, fmt.Errorf("signing the checkpoint: %w", err)
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          index,
		LogId:             &protocommon.LogId{KeyId: s.logID},
		KindVersion:       &protorekor.KindVersion{Kind: "hashedrekord", Version: "0.0.1"},
		IntegratedTime:    integrated,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		CanonicalizedBody: body,
		InclusionProof: &protorekor.InclusionProof{
			LogIndex:   index,
			RootHash:   rootHash,
			TreeSize:   2,
			Hashes:     [][]byte{sibling},
			Checkpoint: &protorekor.Checkpoint{Envelope: string(checkpoint)},
		},
	}, nil
}

// timestamp is the timestamp authority's RFC 3161 response over sig.
func (s *Sigstore) timestamp(sig []byte, at time.Time) ([]byte, error) {
	sum := sha256.Sum256(sig)
	ts := timestamp.Timestamp{
		HashAlgorithm: crypto.SHA256,
		HashedMessage: sum[:],
		Time:          at,
		Policy:        asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2},
	}
	return ts.CreateResponseWithOpts(s.tsaCert, s.tsaKey, crypto.SHA256)
}
