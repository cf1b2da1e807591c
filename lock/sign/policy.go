package sign

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// An Identity is a keyless signer a policy trusts: the OIDC issuer that
// vouched for the signer (Fulcio's issuer extension) and the signer's
// subject (the certificate's SAN: an email, or a CI workflow's URI such
// as https://github.com/org/repo/.github/workflows/lock.yml@refs/heads/main).
// Each is given exactly or as a regular expression (Go syntax, unanchored
// like cosign's --certificate-identity-regexp: anchor it with ^…$).
type Identity struct {
	Issuer        string `json:"issuer,omitempty"`
	IssuerRegexp  string `json:"issuer_regexp,omitempty"`
	Subject       string `json:"subject,omitempty"`
	SubjectRegexp string `json:"subject_regexp,omitempty"`
}

// Check reports what is missing or malformed in an identity.
func (id Identity) Check() error {
	if id.Subject == "" && id.SubjectRegexp == "" {
		return errors.New("a trusted identity needs a subject or a subject_regexp (cosign's --certificate-identity or --certificate-identity-regexp)")
	}
	if id.Issuer == "" && id.IssuerRegexp == "" {
		return errors.New("a trusted identity needs an issuer or an issuer_regexp (cosign's --certificate-oidc-issuer), e.g. https://token.actions.githubusercontent.com")
	}
	for _, re := range []string{id.SubjectRegexp, id.IssuerRegexp} {
		if _, err := regexp.Compile(re); err != nil {
			return fmt.Errorf("bad regular expression %q: %v", re, err)
		}
	}
	return nil
}

func (id Identity) String() string {
	var b strings.Builder
	if id.Subject != "" {
		fmt.Fprintf(&b, "subject %s", id.Subject)
	} else {
		fmt.Fprintf(&b, "subject matching %s", id.SubjectRegexp)
	}
	if id.Issuer != "" {
		fmt.Fprintf(&b, " from issuer %s", id.Issuer)
	} else {
		fmt.Fprintf(&b, " from an issuer matching %s", id.IssuerRegexp)
	}
	return b.String()
}

// A Policy says whose signatures a lock may carry: any of the public
// keys, or a keyless (Fulcio certificate) signature by any of the
// identities, checked offline against TrustedRoot.
type Policy struct {
	Keys       [][]byte // PEM public keys
	Identities []Identity
	// TrustedRoot holds the certificate authorities, transparency logs
	// and timestamp authorities keyless signatures are checked against
	// (a Sigstore trusted_root.json; see LoadTrustedRoot). Key
	// signatures do not need it.
	TrustedRoot root.TrustedMaterial
}

// IsEmpty reports whether the policy trusts nobody, i.e. asks for no
// signature at all.
func (p *Policy) IsEmpty() bool { return p == nil || len(p.Keys) == 0 && len(p.Identities) == 0 }

// A Signer says who signed a lock, for reports.
type Signer struct {
	// Format is "cosign-signature" (legacy base64) or "bundle-v0.1",
	// "bundle-v0.2", "bundle-v0.3".
	Format string `json:"format"`
	// Key is the fingerprint of the public key, for key signatures.
	Key string `json:"key,omitempty"`
	// Subject and Issuer are the certificate's identity, for keyless
	// signatures.
	Subject string `json:"subject,omitempty"`
	Issuer  string `json:"issuer,omitempty"`
	// SignedAt is the time the transparency log or a timestamp authority
	// vouches for (keyless signatures only).
	SignedAt *time.Time `json:"signed_at,omitempty"`
}

func (s *Signer) String() string {
	if s.Key != "" {
		return "key " + s.Key
	}
	return fmt.Sprintf("%s (issuer %s)", s.Subject, s.Issuer)
}

// A TrustError says a lock is not signed by anyone the policy trusts.
type TrustError struct {
	Keys       []string // fingerprints of the trusted keys
	Identities []Identity
	Reason     string
	Err        error // the sentinel (ErrBadSignature, ErrIdentity, …), if any
}

func (e *TrustError) Error() string {
	var want []string
	if len(e.Keys) > 0 {
		want = append(want, "one of the trusted keys "+strings.Join(e.Keys, ", "))
	}
	for _, id := range e.Identities {
		want = append(want, id.String())
	}
	return fmt.Sprintf("%s; expected a signature by %s", e.Reason, strings.Join(want, " or "))
}

func (e *TrustError) Unwrap() error { return e.Err }

func (p *Policy) refuse(err error, format string, args ...any) error {
	te := &TrustError{Identities: p.Identities, Reason: fmt.Sprintf(format, args...), Err: err}
	for _, k := range p.Keys {
		te.Keys = append(te.Keys, Fingerprint(k))
	}
	return te
}

// Verify checks that sig, the content of a signature file (nil when the
// lock has none), is a valid signature of data by someone the policy
// trusts, and says who. sig is cosign's legacy base64 signature or a
// Sigstore bundle (v0.1–v0.3), key-signed or keyless. Nothing is
// fetched: a keyless bundle carries its certificate and transparency-log
// proof, checked against p.TrustedRoot.
func (p *Policy) Verify(sig, data []byte) (*Signer, error) {
	if sig == nil {
		return nil, p.refuse(ErrUnsigned, "the lock is not signed (no .sig or .sigstore.json file)")
	}
	ps, err := parse(sig)
	if err != nil {
		return nil, p.refuse(err, "%v", err)
	}
	if ps.bundle == nil {
		return p.verifyLegacy(ps.raw, data)
	}
	vc, err := ps.bundle.VerificationContent()
	if err != nil {
		return nil, p.refuse(ErrNotBundle, "%v: %v", ErrNotBundle, err)
	}
	if cert := vc.Certificate(); cert != nil {
		return p.verifyKeyless(ps, cert, data)
	}
	return p.verifyKeyBundle(ps, data)
}

// ErrUnsigned is wrapped when a lock has no signature.
var ErrUnsigned = errors.New("unsigned")

func (p *Policy) verifyLegacy(raw, data []byte) (*Signer, error) {
	if len(p.Keys) == 0 {
		return nil, p.refuse(ErrBadSignature, "the lock carries a cosign key signature, but the policy trusts no keys")
	}
	for _, k := range p.Keys {
		v, err := loadVerifier(k)
		if err != nil {
			return nil, err
		}
		if v.VerifySignature(bytes.NewReader(raw), bytes.NewReader(data)) == nil {
			return &Signer{Format: "cosign-signature", Key: Fingerprint(k)}, nil
		}
	}
	return nil, p.refuse(ErrBadSignature, "the lock's signature does not match any trusted key (the lock changed after signing, or another key signed it)")
}

func (p *Policy) verifyKeyBundle(ps *parsed, data []byte) (*Signer, error) {
	if len(p.Keys) == 0 {
		return nil, p.refuse(ErrBadSignature, "the lock's bundle is signed with a key, but the policy trusts no keys")
	}
	for _, k := range p.Keys {
		v, err := loadVerifier(k)
		if err != nil {
			return nil, err
		}
		// One key at a time, whatever the bundle's hint says: the hint
		// is a name chosen by the signer, not something to trust.
		tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return root.NewExpiringKey(v, time.Time{}, time.Time{}), nil
		})
		ver, err := verify.NewVerifier(tm, verify.WithNoObserverTimestamps())
		if err != nil {
			return nil, err
		}
		if _, err := ver.Verify(ps.bundle, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(data)), verify.WithKey())); err == nil {
			return &Signer{Format: "bundle-" + ps.version, Key: Fingerprint(k)}, nil
		}
	}
	return nil, p.refuse(ErrBadSignature, "the lock's signature does not match any trusted key (the lock changed after signing, or another key signed it)")
}

func (p *Policy) verifyKeyless(ps *parsed, cert *x509.Certificate, data []byte) (*Signer, error) {
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return nil, p.refuse(ErrNotBundle, "the bundle's certificate is not a Sigstore (Fulcio) certificate: %v", err)
	}
	who := fmt.Sprintf("%s (issuer %s)", sum.SubjectAlternativeName, sum.Issuer)
	if len(p.Identities) == 0 {
		return nil, p.refuse(ErrIdentity, "the lock is signed keyless by %s, but the policy trusts no identities", who)
	}
	if p.TrustedRoot == nil {
		return nil, p.refuse(ErrNoTrustedRoot, "the lock is signed keyless by %s, but there is no Sigstore trusted root to check its certificate against", who)
	}
	b := ps.bundle
	entries, err := b.TlogEntries()
	if err != nil {
		return nil, p.refuse(ErrTlog, "the bundle's transparency-log entry is unreadable: %v", err)
	}
	stamps, err := b.Timestamps()
	if err != nil {
		return nil, p.refuse(ErrTlog, "the bundle's timestamps are unreadable: %v", err)
	}
	valid := fmt.Sprintf("valid %s to %s", cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	if len(entries) == 0 && len(stamps) == 0 {
		return nil, p.refuse(ErrCertificateTime, "the bundle has no transparency-log entry or signed timestamp, so nothing shows its short-lived certificate (%s) was valid when the lock was signed", valid)
	}
	for _, e := range entries {
		// Said before the entry is verified: refusing on a claim is safe.
		// Rekor v2 entries carry no time (a timestamp authority's does).
		if e.TransparencyLogEntry().GetIntegratedTime() == 0 {
			continue
		}
		if t := e.IntegratedTime(); t.Before(cert.NotBefore) || t.After(cert.NotAfter) {
			return nil, p.refuse(ErrCertificateTime, "the lock was signed at %s, when its certificate (%s) was not valid", t.UTC().Format(time.RFC3339), valid)
		}
	}
	// When was it signed? Only a verified log entry or timestamp says.
	var times []time.Time
	if len(entries) > 0 {
		ts, err := verify.VerifyTlogEntry(b, p.TrustedRoot, 1, true)
		if err != nil {
			return nil, p.refuse(ErrTlog, "the transparency-log entry does not verify against the trusted root (%s)", tlogDetail(err))
		}
		for _, t := range ts {
			times = append(times, t.Time)
		}
	}
	if len(stamps) > 0 {
		ts, err := verify.VerifySignedTimestampWithThreshold(b, p.TrustedRoot, 1)
		if err != nil {
			return nil, p.refuse(ErrTlog, "the signed timestamp does not verify against the trusted root (%s)", oneLine(err))
		}
		for _, t := range ts {
			times = append(times, t.Time)
		}
	}
	// Go's x509 does not know Fulcio's critical OtherName SAN; the
	// summary above has read it.
	var exts []asn1.ObjectIdentifier
	for _, oid := range cert.UnhandledCriticalExtensions {
		if !oid.Equal(cryptoutils.SANOID) {
			exts = append(exts, oid)
		}
	}
	cert.UnhandledCriticalExtensions = exts
	for _, t := range times {
		if t.Before(cert.NotBefore) || t.After(cert.NotAfter) {
			return nil, p.refuse(ErrCertificateTime, "the lock was signed at %s, when its certificate (%s) was not valid", t.UTC().Format(time.RFC3339), valid)
		}
		if _, err := verify.VerifyLeafCertificate(t, cert, p.TrustedRoot); err != nil {
			return nil, p.refuse(ErrUntrustedCA, "the certificate of %s was not issued by a certificate authority in the trusted root (%v)", who, err)
		}
	}
	var ids []verify.PolicyOption
	var matchers verify.CertificateIdentities
	for _, id := range p.Identities {
		ci, err := verify.NewShortCertificateIdentity(id.Issuer, id.IssuerRegexp, id.Subject, id.SubjectRegexp)
		if err != nil {
			return nil, fmt.Errorf("trusted identity %s: %w", id, err)
		}
		ids = append(ids, verify.WithCertificateIdentity(ci))
		matchers = append(matchers, ci)
	}
	if _, err := matchers.Verify(sum); err != nil {
		return nil, p.refuse(ErrIdentity, "the lock is signed by %s, which is not a trusted identity", who)
	}
	opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
	if len(entries) > 0 {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	ver, err := verify.NewVerifier(p.TrustedRoot, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := ver.Verify(b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(data)), ids...)); err != nil {
		if strings.Contains(err.Error(), "failed to verify signature") {
			return nil, p.refuse(ErrBadSignature, "the lock's signature by %s does not match the lock (the lock changed after signing)", who)
		}
		return nil, p.refuse(ErrBadSignature, "the bundle signed by %s does not verify: %v", who, err)
	}
	s := &Signer{Format: "bundle-" + ps.version, Subject: sum.SubjectAlternativeName, Issuer: sum.Issuer}
	if len(times) > 0 {
		t := times[0].UTC()
		s.SignedAt = &t
	}
	return s, nil
}

// tlogDetail says why a log entry failed in words; the libraries' own
// messages print hashes as byte lists over several lines.
func tlogDetail(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "does not match expected root"):
		return "its inclusion proof does not lead to the root hash the log signed"
	case strings.Contains(msg, "threshold not met") || strings.Contains(msg, "not enough verified log entries"):
		return "no entry is from a log the trusted root lists, with a valid signed entry timestamp"
	}
	return oneLine(err)
}

// oneLine puts an error's message on one line.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func loadVerifier(pubPEM []byte) (signature.Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		return nil, fmt.Errorf("reading a trusted public key: %v", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading a trusted public key: %v", err)
	}
	return v, nil
}
