package platform

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in              string
		os, arch        string
		unix, linux     bool
		subdirs, archsp string
	}{
		{"linux-64", "linux", "64", true, true, "linux-64 noarch", "x86_64"},
		{"linux-aarch64", "linux", "aarch64", true, true, "linux-aarch64 noarch", "aarch64"},
		{"osx-arm64", "osx", "arm64", true, false, "osx-arm64 noarch", "arm64"},
		{"win-64", "win", "64", false, false, "win-64 noarch", "x86_64"},
		{"noarch", "", "", false, false, "noarch", ""},
	} {
		p, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		var subs []string
		for _, s := range p.Subdirs() {
			subs = append(subs, s.String())
		}
		if p.OS() != tc.os || p.Arch() != tc.arch || p.IsUnix() != tc.unix || p.IsLinux() != tc.linux ||
			strings.Join(subs, " ") != tc.subdirs || p.ArchSpec() != tc.archsp {
			t.Errorf("%s: os %q arch %q unix %v linux %v subdirs %v archspec %q", tc.in, p.OS(), p.Arch(), p.IsUnix(), p.IsLinux(), subs, p.ArchSpec())
		}
	}
	if _, err := Parse("linux-65"); err == nil || !strings.Contains(err.Error(), `unknown platform "linux-65" (known: `) {
		t.Errorf("Parse(linux-65) = %v", err)
	}
}

func TestFromGo(t *testing.T) {
	for _, tc := range []struct{ goos, goarch, want string }{
		{"linux", "amd64", "linux-64"},
		{"linux", "arm64", "linux-aarch64"},
		{"darwin", "arm64", "osx-arm64"},
		{"darwin", "amd64", "osx-64"},
		{"windows", "amd64", "win-64"},
		{"windows", "arm64", "win-arm64"},
		{"linux", "ppc64le", "linux-ppc64le"},
		{"plan9", "amd64", ""},
	} {
		if got := FromGo(tc.goos, tc.goarch); string(got) != tc.want {
			t.Errorf("FromGo(%s, %s) = %q, want %q", tc.goos, tc.goarch, got, tc.want)
		}
	}
	if Host() == "" {
		t.Error("Host() is empty on this machine")
	}
}
