package sign

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/lock/sign/sigstoretest"
)

// cosignVersion is the cosign .ci/run builds; the flags below are v3's,
// and v2.6's where they differ.
const cosignVersion = "v3.1.3"

const cosignHow = "go install github.com/sigstore/cosign/v3/cmd/cosign@" + cosignVersion + "; .ci/run builds it"

// cosignTool finds cosign and says whether it is v2 (whose blob bundles
// need --new-bundle-format).
func cosignTool(t *testing.T) (path string, v2 bool) {
	t.Helper()
	path = testenv.Tool(t, "cosign", cosignHow)
	out, err := exec.Command(path, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("cosign version: %v\n%s", err, out)
	}
	var version string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "GitVersion:" {
			version = f[1]
		}
	}
	testenv.Version(t, "cosign", version, cosignVersion)
	return path, strings.HasPrefix(version, "v2.")
}

// bundleArgs is the README's cosign command for a key-signed bundle.
func bundleArgs(v2 bool) []string {
	args := []string{"verify-blob", "--key", "lab.pub", "--bundle", "envlock.sigstore.json", "--insecure-ignore-tlog=true"}
	if v2 {
		args = append(args, "--trusted-root", "trusted_root.json")
	}
	return args
}

// runCosign runs cosign offline in dir with the key password set.
func runCosign(t *testing.T, cosign, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(cosign, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=pw", "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, ".sigstore"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestCosign checks envlock's signatures against real cosign, both ways
// and in both formats: cosign's key-signed bundle (v3's default) and
// legacy signature verify with envlock; envlock's bundle and signature
// verify with 'cosign verify-blob', offline, with the commands the
// README gives; a changed lock fails both.
func TestCosign(t *testing.T) {
	cosign, v2 := cosignTool(t)
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	write("env.lock", lock)
	write("trusted_root.json", publicGood)
	if out, err := runCosign(t, cosign, dir, "generate-key-pair"); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	cosignPub := read("cosign.pub")
	p := &Policy{Keys: [][]byte{cosignPub}}
	changed := append([]byte(nil), lock...)
	changed[5] ^= 1

	// cosign signs, envlock verifies.
	t.Run("cosign bundle", func(t *testing.T) {
		args := []string{"sign-blob", "--key", "cosign.key", "--bundle", "env.lock.sigstore.json", "--tlog-upload=false", "--yes", "env.lock"}
		if v2 {
			args = append(args, "--new-bundle-format")
		} else {
			args = append(args, "--use-signing-config=false")
		}
		if out, err := runCosign(t, cosign, dir, args...); err != nil {
			t.Fatalf("cosign sign-blob: %v\n%s", err, out)
		}
		b := read("env.lock.sigstore.json")
		s, err := p.Verify(b, lock)
		if err != nil {
			t.Fatalf("envlock does not verify cosign's bundle: %v\n%s", err, b)
		}
		if s.Format != "bundle-v0.3" || s.Key != Fingerprint(cosignPub) {
			t.Errorf("signer %+v", s)
		}
		if _, err := p.Verify(b, changed); !errors.Is(err, ErrBadSignature) {
			t.Errorf("changed lock: %v", err)
		}
	})
	t.Run("cosign signature", func(t *testing.T) {
		args := []string{"sign-blob", "--key", "cosign.key", "--output-signature", "env.lock.sig", "--tlog-upload=false", "--yes", "env.lock"}
		if !v2 {
			// v3 writes bundles unless told otherwise.
			args = append(args, "--new-bundle-format=false", "--use-signing-config=false")
		}
		if out, err := runCosign(t, cosign, dir, args...); err != nil {
			t.Fatalf("cosign sign-blob: %v\n%s", err, out)
		}
		sig := read("env.lock.sig")
		if s, err := p.Verify(sig, lock); err != nil || s.Format != "cosign-signature" {
			t.Fatalf("envlock does not verify cosign's signature: %v %+v", err, s)
		}
		if _, err := p.Verify(sig, changed); !errors.Is(err, ErrBadSignature) {
			t.Errorf("changed lock: %v", err)
		}
	})

	// envlock signs, cosign verifies.
	priv, pub, err := GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	write("lab.pub", pub)
	b, err := SignBundle(priv, []byte("pw"), lock)
	if err != nil {
		t.Fatal(err)
	}
	write("envlock.sigstore.json", b)
	sig, err := Sign(priv, []byte("pw"), lock)
	if err != nil {
		t.Fatal(err)
	}
	write("envlock.sig", sig)
	write("changed.lock", changed)
	for _, tc := range []struct {
		name string
		args []string
	}{
		// The README's commands. cosign v2.6 wants a trusted root even
		// for a key-signed bundle; any will do ('envlock trusted-root
		// --builtin' writes one offline).
		{"envlock bundle", bundleArgs(v2)},
		{"envlock signature", []string{"verify-blob", "--key", "lab.pub", "--signature", "envlock.sig", "--insecure-ignore-tlog=true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out, err := runCosign(t, cosign, dir, append(tc.args, "env.lock")...); err != nil || !strings.Contains(out, "Verified OK") {
				t.Fatalf("cosign %s env.lock: %v\n%s", strings.Join(tc.args, " "), err, out)
			}
			out, err := runCosign(t, cosign, dir, append(tc.args, "changed.lock")...)
			if err == nil || strings.Contains(out, "Verified OK") {
				t.Fatalf("cosign verified a changed lock:\n%s", out)
			}
			if !strings.Contains(out, "invalid signature") {
				t.Errorf("cosign's refusal does not name the signature:\n%s", out)
			}
		})
	}
}

// TestCosignKeyless checks the private Sigstore of lock/sign/sigstoretest
// against real cosign: cosign verifies its keyless bundle offline with
// the same identity policy envlock applies (so the keyless tests exercise
// bundles cosign accepts), and refuses another identity and a tampered
// inclusion proof, as envlock does.
func TestCosignKeyless(t *testing.T) {
	cosign, _ := cosignTool(t)
	ss, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rootJSON, err := ss.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ParseTrustedRoot(rootJSON)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"env.lock": lock, "trusted_root.json": rootJSON}
	const subject = "https://github.com/our-lab/project/.github/workflows/lock.yml@refs/heads/main"
	const issuer = "https://token.actions.githubusercontent.com"
	for name, o := range map[string]sigstoretest.Options{
		"good.json":   {Subject: subject, Issuer: issuer},
		"v01.json":    {Subject: subject, Issuer: issuer, Version: "v0.1"},
		"other.json":  {Subject: "https://github.com/evil/project/.github/workflows/lock.yml@refs/heads/main", Issuer: issuer},
		"tamper.json": {Subject: subject, Issuer: issuer, TamperProof: true},
	} {
		if files[name], err = ss.Sign(lock, o); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idRegexp := `^https://github\.com/our-lab/project/\.github/workflows/lock\.yml@refs/heads/main$`
	policy := &Policy{Identities: []Identity{{Issuer: issuer, SubjectRegexp: idRegexp}}, TrustedRoot: tr}
	for _, tc := range []struct {
		bundle  string
		ok      bool
		wantErr error
	}{
		{"good.json", true, nil},
		{"v01.json", true, nil},
		{"other.json", false, ErrIdentity},
		{"tamper.json", false, ErrTlog},
	} {
		out, err := runCosign(t, cosign, dir, "verify-blob", "--bundle", tc.bundle, "--trusted-root", "trusted_root.json",
			"--certificate-identity-regexp", idRegexp, "--certificate-oidc-issuer", issuer, "--insecure-ignore-sct", "env.lock")
		if cosignOK := err == nil && strings.Contains(out, "Verified OK"); cosignOK != tc.ok {
			t.Errorf("cosign verify-blob --bundle %s: ok=%v, want %v\n%s", tc.bundle, cosignOK, tc.ok, out)
		}
		_, err = policy.Verify(files[tc.bundle], lock)
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, tc.wantErr) {
			t.Errorf("envlock on %s: %v, want %v", tc.bundle, err, tc.wantErr)
		}
	}
}
