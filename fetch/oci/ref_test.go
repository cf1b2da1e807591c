package oci

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "oci://ghcr.io/lab/env:v1", want: "ghcr.io/lab/env:v1"},
		{in: "oci://127.0.0.1:5000/lab/env:v1", want: "127.0.0.1:5000/lab/env:v1"},
		{in: "oci://localhost:5000/env", want: "localhost:5000/env:latest"},
		{in: "oci://ghcr.io/lab/env@sha256:" + strings.Repeat("ab", 32), want: "ghcr.io/lab/env@sha256:" + strings.Repeat("ab", 32)},
		{in: "ghcr.io/lab/env:v1", err: "is not a registry reference"},
		{in: "oci://lab/env:v1", err: "names no registry host"},
		{in: "oci://ghcr.io/Lab/env:v1", err: "is not a valid registry reference"},
		{in: "oci://ghcr.io/lab/env@sha256:abc", err: "is not a valid registry reference"},
		{in: "oci://ghcr.io/lab/env:bad tag", err: "is not a valid registry reference"},
	} {
		ref, err := ParseRef(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseRef(%q) = %v, %v; want error containing %q", tc.in, ref, err, tc.err)
			}
			continue
		}
		if err != nil || ref.Name() != tc.want {
			t.Errorf("ParseRef(%q) = %v, %v; want %s", tc.in, ref, err, tc.want)
		}
	}
}

func TestPackageRef(t *testing.T) {
	for _, tc := range []struct {
		in, want, fn, err string
	}{
		{in: "oci://ghcr.io/channel-mirrors/conda-forge/linux-64/zlib-1.2.13-hd590300_5.conda",
			want: "ghcr.io/channel-mirrors/conda-forge/linux-64/zlib:1.2.13-hd590300_5", fn: "zlib-1.2.13-hd590300_5.conda"},
		{in: "oci://r.example/cf/noarch/typing-extensions-4.8.0-pyha770c72_0.tar.bz2",
			want: "r.example/cf/noarch/typing-extensions:4.8.0-pyha770c72_0", fn: "typing-extensions-4.8.0-pyha770c72_0.tar.bz2"},
		// conda-oci-mirror's escapes: + ! =
		{in: "oci://r.example/cf/linux-64/openssl-1!3.0.0+local-h_0.conda",
			want: "r.example/cf/linux-64/openssl:1__e__3.0.0__p__local-h_0", fn: "openssl-1!3.0.0+local-h_0.conda"},
		{in: "oci://r.example/cf/linux-64/zlib.whl", err: "not a conda package file name"},
		{in: "oci://r.example/cf/linux-64/zlib.conda", err: "not <name>-<version>-<build>"},
		{in: "oci://r.example/cf/linux-64/zlib-1.conda", err: "not <name>-<version>-<build>"},
	} {
		ref, fn, err := PackageRef(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("PackageRef(%q) = %v, %v; want error containing %q", tc.in, ref, err, tc.err)
			}
			continue
		}
		if err != nil || ref.Name() != tc.want || fn != tc.fn {
			t.Errorf("PackageRef(%q) = %v, %q, %v; want %s, %q", tc.in, ref, fn, err, tc.want, tc.fn)
		}
	}
}

func TestEscapeTag(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3-h0_0":        "1.2.3-h0_0",
		"1!2.0+local-b_1":   "1__e__2.0__p__local-b_1",
		"2.0=weird-b_0":     "2.0__eq__weird-b_0",
		"3.0.0+x.y-h1234_5": "3.0.0__p__x.y-h1234_5",
	} {
		if got := EscapeTag(in); got != want {
			t.Errorf("EscapeTag(%q) = %q, want %q", in, got, want)
		}
		if back := UnescapeTag(want); back != in {
			t.Errorf("UnescapeTag(%q) = %q, want %q", want, back, in)
		}
	}
}

func TestRepodataRef(t *testing.T) {
	for _, u := range []string{"oci://r.example/cf/linux-64/repodata.json", "oci://r.example/cf/linux-64/repodata.json.zst"} {
		ref, err := RepodataRef(u)
		if err != nil || ref.Name() != "r.example/cf/linux-64/repodata.json:latest" {
			t.Errorf("RepodataRef(%q) = %v, %v", u, ref, err)
		}
	}
	if _, err := RepodataRef("oci://r.example/cf/linux-64/current_repodata.json"); err == nil {
		t.Error("RepodataRef accepted current_repodata.json")
	}
}

// FuzzParseRef: references come from users and from lock files; no
// input panics, and an accepted one names a registry.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"oci://ghcr.io/lab/env:v1", "oci://127.0.0.1:5000/a@sha256:" + strings.Repeat("0", 64), "oci://", "oci://:/:", "oci://a.b/c:d@e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseRef(s)
		if err == nil && ref.Context().RegistryStr() == "" {
			t.Fatalf("ParseRef(%q) accepted a reference with no registry", s)
		}
		PackageRef(s)
		RepodataRef(s)
	})
}
