package sign_test

import (
	"cmp"
	"errors"
	"testing"
	"time"

	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/lock/sign/sigstoretest"
)

const (
	ghIssuer  = "https://token.actions.githubusercontent.com"
	ghSubject = "https://github.com/our-lab/project/.github/workflows/lock.yml@refs/heads/main"
)

var ciIdentity = sign.Identity{
	Issuer:        ghIssuer,
	SubjectRegexp: `^https://github\.com/our-lab/project/\.github/workflows/[^/]+@refs/heads/main$`,
}

const wantIdentity = `subject matching ^https://github\.com/our-lab/project/\.github/workflows/[^/]+@refs/heads/main$ from issuer https://token.actions.githubusercontent.com`

// TestKeyless checks keyless verification offline against a private
// Sigstore: one bundle that verifies, and each refusal with its reason.
func TestKeyless(t *testing.T) {
	ss, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	other, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ss.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("{\n  \"version\": 1\n}\n")
	now := time.Now().Truncate(time.Second)
	hourAgo := now.Add(-time.Hour)
	pub := testPub(t)
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }

	tests := []struct {
		name    string
		opts    sigstoretest.Options
		policy  *sign.Policy // default: ciIdentity against ss's root
		data    []byte       // default: data
		wantErr error
		want    string // the whole message
	}{
		{
			name: "good",
			opts: sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer},
		},
		{
			name:    "wrong subject",
			opts:    sigstoretest.Options{Subject: "https://github.com/other-lab/project/.github/workflows/lock.yml@refs/heads/main", Issuer: ghIssuer},
			wantErr: sign.ErrIdentity,
			want:    "the lock is signed by https://github.com/other-lab/project/.github/workflows/lock.yml@refs/heads/main (issuer https://token.actions.githubusercontent.com), which is not a trusted identity; expected a signature by " + wantIdentity,
		},
		{
			name:    "wrong branch",
			opts:    sigstoretest.Options{Subject: "https://github.com/our-lab/project/.github/workflows/lock.yml@refs/heads/evil", Issuer: ghIssuer},
			wantErr: sign.ErrIdentity,
			want:    "the lock is signed by https://github.com/our-lab/project/.github/workflows/lock.yml@refs/heads/evil (issuer https://token.actions.githubusercontent.com), which is not a trusted identity; expected a signature by " + wantIdentity,
		},
		{
			name:    "wrong issuer",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: "https://gitlab.com"},
			wantErr: sign.ErrIdentity,
			want:    "the lock is signed by " + ghSubject + " (issuer https://gitlab.com), which is not a trusted identity; expected a signature by " + wantIdentity,
		},
		{
			name:    "another CA",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, IssuedBy: other},
			wantErr: sign.ErrUntrustedCA,
			want:    "the certificate of " + ghSubject + " (issuer " + ghIssuer + ") was not issued by a certificate authority in the trusted root (leaf certificate verification failed); expected a signature by " + wantIdentity,
		},
		{
			name:    "expired certificate without a timestamp",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, NotBefore: hourAgo, NoLog: true},
			wantErr: sign.ErrCertificateTime,
			want:    "the bundle has no transparency-log entry or signed timestamp, so nothing shows its short-lived certificate (valid " + rfc(hourAgo) + " to " + rfc(hourAgo.Add(10*time.Minute)) + ") was valid when the lock was signed; expected a signature by " + wantIdentity,
		},
		{
			name:    "certificate expired when logged",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, NotBefore: hourAgo, SignedAt: now},
			wantErr: sign.ErrCertificateTime,
			want:    "the lock was signed at " + rfc(now) + ", when its certificate (valid " + rfc(hourAgo) + " to " + rfc(hourAgo.Add(10*time.Minute)) + ") was not valid; expected a signature by " + wantIdentity,
		},
		{
			name:    "tampered inclusion proof",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, TamperProof: true},
			wantErr: sign.ErrTlog,
			want:    "the transparency-log entry does not verify against the trusted root (its inclusion proof does not lead to the root hash the log signed); expected a signature by " + wantIdentity,
		},
		{
			name:    "tampered signed entry timestamp",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, TamperSET: true},
			wantErr: sign.ErrTlog,
			want:    "the transparency-log entry does not verify against the trusted root (no entry is from a log the trusted root lists, with a valid signed entry timestamp); expected a signature by " + wantIdentity,
		},
		{
			name:    "changed lock",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer},
			data:    []byte("{\n  \"version\": 2\n}\n"),
			wantErr: sign.ErrBadSignature,
			want:    "the lock's signature by " + ghSubject + " (issuer " + ghIssuer + ") does not match the lock (the lock changed after signing); expected a signature by " + wantIdentity,
		},
		{
			name:    "no trusted root",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer},
			policy:  &sign.Policy{Identities: []sign.Identity{ciIdentity}},
			wantErr: sign.ErrNoTrustedRoot,
			want:    "the lock is signed keyless by " + ghSubject + " (issuer " + ghIssuer + "), but there is no Sigstore trusted root to check its certificate against; expected a signature by " + wantIdentity,
		},
		{
			name:    "only keys trusted",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer},
			policy:  &sign.Policy{Keys: [][]byte{pub}, TrustedRoot: tr},
			wantErr: sign.ErrIdentity,
			want:    "the lock is signed keyless by " + ghSubject + " (issuer " + ghIssuer + "), but the policy trusts no identities; expected a signature by one of the trusted keys " + sign.Fingerprint(pub),
		},
		{
			name: "timestamp authority, no log",
			opts: sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, NoLog: true, Timestamp: true},
		},
		{
			name: "log and timestamp authority",
			opts: sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, Timestamp: true},
		},
		{
			name:    "certificate expired when timestamped",
			opts:    sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, NotBefore: hourAgo, SignedAt: now, NoLog: true, Timestamp: true},
			wantErr: sign.ErrCertificateTime,
			want:    "the lock was signed at " + rfc(now) + ", when its certificate (valid " + rfc(hourAgo) + " to " + rfc(hourAgo.Add(10*time.Minute)) + ") was not valid; expected a signature by " + wantIdentity,
		},
		{
			name: "bundle v0.1",
			opts: sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, Version: "v0.1"},
		},
		{
			name: "bundle v0.2",
			opts: sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer, Version: "v0.2"},
		},
		{
			name:   "exact subject",
			opts:   sigstoretest.Options{Subject: "ci@our-lab.org", Issuer: "https://accounts.google.com"},
			policy: &sign.Policy{Identities: []sign.Identity{ciIdentity, {Subject: "ci@our-lab.org", Issuer: "https://accounts.google.com"}}, TrustedRoot: tr},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ss.Sign(data, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			p := tc.policy
			if p == nil {
				p = &sign.Policy{Identities: []sign.Identity{ciIdentity}, TrustedRoot: tr}
			}
			d := data
			if tc.data != nil {
				d = tc.data
			}
			signer, err := p.Verify(b, d)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if signer.Subject != tc.opts.Subject || signer.Issuer != tc.opts.Issuer || signer.Format != "bundle-"+cmp.Or(tc.opts.Version, "v0.3") || signer.SignedAt == nil {
					t.Errorf("signer = %+v", signer)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify: got %v, want %v", err, tc.wantErr)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("message:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func testPub(t *testing.T) []byte {
	t.Helper()
	_, pub, err := sign.GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// BenchmarkVerifyKeyless measures one offline keyless verification (log
// entry, certificate chain, identity, signature) of a small lock.
func BenchmarkVerifyKeyless(b *testing.B) {
	ss, err := sigstoretest.New()
	if err != nil {
		b.Fatal(err)
	}
	tr, err := ss.TrustedRoot()
	if err != nil {
		b.Fatal(err)
	}
	data := []byte("{\n  \"version\": 1\n}\n")
	bundle, err := ss.Sign(data, sigstoretest.Options{Subject: ghSubject, Issuer: ghIssuer})
	if err != nil {
		b.Fatal(err)
	}
	p := &sign.Policy{Identities: []sign.Identity{ciIdentity}, TrustedRoot: tr}
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Verify(bundle, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}
