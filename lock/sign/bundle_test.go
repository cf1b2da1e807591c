package sign

import (
	"errors"
	"strings"
	"testing"
)

func TestBundleKey(t *testing.T) {
	priv, pub, err := GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SignBundle(priv, nil, lock)
	if err != nil {
		t.Fatal(err)
	}
	if !IsBundle(b) || !strings.Contains(string(b), `"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"`) {
		t.Fatalf("bundle: %s", b)
	}
	p := &Policy{Keys: [][]byte{pub}}
	s, err := p.Verify(b, lock)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if s.Key != Fingerprint(pub) || s.Format != "bundle-v0.3" || s.String() != "key "+Fingerprint(pub) {
		t.Errorf("signer %+v", s)
	}
	if err := Verify(pub, b, lock); err != nil {
		t.Errorf("Verify(pub): %v", err)
	}

	tampered := append([]byte(nil), lock...)
	tampered[5] ^= 1
	_, err = p.Verify(b, tampered)
	want := "the lock's signature does not match any trusted key (the lock changed after signing, or another key signed it); expected a signature by one of the trusted keys " + Fingerprint(pub)
	if !errors.Is(err, ErrBadSignature) || err.Error() != want {
		t.Errorf("tampered: %v", err)
	}

	id := Identity{Issuer: "https://token.actions.githubusercontent.com", Subject: "https://github.com/a/b/.github/workflows/c.yml@refs/heads/main"}
	_, err = (&Policy{Identities: []Identity{id}}).Verify(b, lock)
	want = "the lock's bundle is signed with a key, but the policy trusts no keys; expected a signature by subject https://github.com/a/b/.github/workflows/c.yml@refs/heads/main from issuer https://token.actions.githubusercontent.com"
	if !errors.Is(err, ErrBadSignature) || err.Error() != want {
		t.Errorf("identity policy, key bundle: %v", err)
	}
}

func TestParseSignature(t *testing.T) {
	_, pub, _ := GenerateKeyPair(nil)
	p := &Policy{Keys: [][]byte{pub}}
	fp := "; expected a signature by one of the trusted keys " + Fingerprint(pub)
	tests := []struct {
		sig     string
		wantErr error
		want    string
	}{
		{`{"foo": 1}`, ErrNotBundle, `not a Sigstore bundle: the signature is JSON without a "mediaType"; expected the file 'cosign sign-blob --bundle' writes` + fp},
		{`{"mediaType": `, ErrNotBundle, `not a Sigstore bundle: the signature is not valid JSON (unexpected end of JSON input)` + fp},
		{`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.4+json"}`, ErrMediaType, `unsupported bundle media type "application/vnd.dev.sigstore.bundle.v0.4+json": envlock reads Sigstore bundles v0.1 to v0.3` + fp},
		{`{"mediaType": "application/vnd.in-toto+json"}`, ErrMediaType, `unsupported bundle media type "application/vnd.in-toto+json": envlock reads Sigstore bundles v0.1 to v0.3` + fp},
		{`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}`, ErrNotBundle, `not a Sigstore bundle: the v0.3 bundle is malformed (missing bundle content)` + fp},
		{"not base64 !!", ErrNotBundle, `not a Sigstore bundle: the signature is neither a Sigstore bundle (JSON) nor a base64 cosign signature` + fp},
	}
	for _, tc := range tests {
		_, err := p.Verify([]byte(tc.sig), lock)
		if !errors.Is(err, tc.wantErr) || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.sig, err, tc.want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	_, pub, _ := GenerateKeyPair(nil)
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Add([]byte("MEUCIQ=="))
	p := &Policy{Keys: [][]byte{pub}, Identities: []Identity{{Issuer: "x", Subject: "y"}}}
	f.Fuzz(func(t *testing.T, sig []byte) {
		if _, err := p.Verify(sig, lock); err == nil {
			t.Fatal("a fuzzed signature verified")
		}
	})
}
