package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/testdata"
)

const pubPEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"

func TestReadTrust(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    *Trust // File, KeyFiles and TrustedRoot relative to the dir
		wantErr string
	}{
		{name: "none", src: "name: \"x\"\n"},
		{
			name: "full",
			src: `package policy

trust: {
	keys: ["team.pub", """
		-----BEGIN PUBLIC KEY-----
		MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
		-----END PUBLIC KEY-----
		"""]
	identities: [{issuer: "https://token.actions.githubusercontent.com", subject_regexp: "^https://github\\.com/a/b/"}]
	trusted_root: "root.json"
}
if kernel != false { dependencies: ipykernel: _ }
`,
			want: &Trust{
				Keys:        [][]byte{[]byte(pubPEM), []byte(strings.TrimSuffix(pubPEM, "\n"))},
				KeyFiles:    []string{"team.pub", "inline"},
				Identities:  []TrustIdentity{{Issuer: "https://token.actions.githubusercontent.com", SubjectRegexp: `^https://github\.com/a/b/`}},
				TrustedRoot: "root.json",
			},
		},
		{name: "no issuer", src: "trust: identities: [{subject: \"a@b.c\"}]\n", wantErr: "p.cue:1:21: trust.identities[0]: needs issuer or issuer_regexp"},
		{name: "no subject", src: "trust: identities: [{issuer: \"https://x\"}]\n", wantErr: "p.cue:1:21: trust.identities[0]: needs subject or subject_regexp"},
		{name: "bad regexp", src: "trust: identities: [{issuer: \"https://x\", subject_regexp: \"(\"}]\n", wantErr: "p.cue:1:21: trust.identities[0]: bad regular expression \"(\": error parsing regexp: missing closing ): `(`"},
		{name: "issuer not a URL", src: "trust: identities: [{issuer: \"github\", subject: \"x\"}]\n", wantErr: "p.cue:1:30: trust.identities.0.issuer: invalid value \"github\""},
		{name: "typo", src: "trust: {key: []}\n", wantErr: "p.cue:1:9: trust.key: field not allowed (a trust section has keys, identities and trusted_root; an identity has issuer, issuer_regexp, subject and subject_regexp)"},
		{name: "missing key file", src: "trust: keys: [\"gone.pub\"]\n", wantErr: "p.cue:1:15: trust.keys[0]: open "},
		{name: "syntax", src: "trust: {\n", wantErr: "p.cue:1:10: expected '}', found 'EOF'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "team.pub"), []byte(pubPEM), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "p.cue")
			if err := os.WriteFile(path, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadTrust(path)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tc.wantErr)
				}
				msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
				if !strings.HasPrefix(msg, tc.wantErr) {
					t.Fatalf("error:\n got %s\nwant %s…", msg, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if got != nil {
					t.Fatalf("got %+v, want nil", got)
				}
				return
			}
			tc.want.File = path
			tc.want.TrustedRoot = filepath.Join(dir, tc.want.TrustedRoot)
			for i, f := range tc.want.KeyFiles {
				if f != "inline" {
					tc.want.KeyFiles[i] = filepath.Join(dir, f)
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestReadmeTrust reads the site policy the README shows.
func TestReadmeTrust(t *testing.T) {
	root, err := testdata.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```cue\n// /apps/envlock/site.cue\n")
	if !ok {
		t.Fatal("README has no site.cue example")
	}
	block, _, _ = strings.Cut(block, "```")
	dir := t.TempDir()
	for name, data := range map[string]string{"site.cue": block, "team.pub": pubPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := ReadTrust(filepath.Join(dir, "site.cue"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Identities) != 1 || len(tr.Keys) != 1 || tr.TrustedRoot != filepath.Join(dir, "trusted_root.json") {
		t.Errorf("%+v", tr)
	}
	if !strings.HasPrefix(tr.Identities[0].SubjectRegexp, `^https://github\.com/our-lab/`) {
		t.Errorf("subject_regexp %q", tr.Identities[0].SubjectRegexp)
	}
}

func FuzzReadTrust(f *testing.F) {
	f.Add("trust: {keys: [\"a\"], identities: [{issuer: \"https://x\", subject: \"y\"}], trusted_root: \"r\"}\n")
	f.Add("trust: identities: [{subject_regexp: \"(\"}]\n")
	f.Fuzz(func(t *testing.T, src string) {
		path := filepath.Join(t.TempDir(), "p.cue")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		ReadTrust(path) // must not panic
	})
}
