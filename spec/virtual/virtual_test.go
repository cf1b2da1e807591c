package virtual

import (
	"strings"
	"testing"

	"github.com/envlock/envlock/spec/platform"
)

func TestFor(t *testing.T) {
	for _, tc := range []struct {
		p    platform.Platform
		s    System
		want string
	}{
		{platform.Linux64, System{}, "__archspec 1 x86_64, __glibc 2.17 0, __linux 0 0, __unix 0 0"},
		{platform.Linux64, System{Glibc: "2.28", Cuda: "12.2", Linux: "5.14"}, "__archspec 1 x86_64, __cuda 12.2 0, __glibc 2.28 0, __linux 5.14 0, __unix 0 0"},
		{platform.OsxArm64, System{}, "__archspec 1 arm64, __osx 11.0 0, __unix 0 0"},
		{platform.Osx64, System{Osx: "12.3"}, "__archspec 1 x86_64, __osx 12.3 0, __unix 0 0"},
		{platform.Win64, System{}, "__archspec 1 x86_64, __win 0 0"},
		{platform.LinuxAarch64, System{Archspec: "neoverse_v1"}, "__archspec 1 neoverse_v1, __glibc 2.17 0, __linux 0 0, __unix 0 0"},
	} {
		var got []string
		for _, p := range For(tc.p, tc.s) {
			got = append(got, p.String())
		}
		if g := strings.Join(got, ", "); g != tc.want {
			t.Errorf("For(%s, %+v) = %s, want %s", tc.p, tc.s, g, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"__glibc=2.17", "__glibc 2.17 0", ""},
		{"__archspec=1=x86_64", "__archspec 1 x86_64", ""},
		{"__cuda=12.2", "__cuda 12.2 0", ""},
		{"glibc=2.17", "", `names start with "__"`},
		{"__glibc", "", "want NAME=VERSION[=BUILD]"},
		{"__glibc=2..17", "", "empty version component"},
	} {
		p, err := Parse(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || p.String() != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", tc.in, p, err, tc.want)
		}
	}
	over := Override(For(platform.Linux64, System{}), Package{Glibc, "2.12", "0"})
	if over[1].Version != "2.12" || len(over) != 4 {
		t.Errorf("Override = %v", over)
	}
	if r := (Package{Glibc, "2.28", "0"}).Record(); r.ParsedVersion().String() != "2.28" || r.Name != Glibc {
		t.Errorf("Record = %+v", r)
	}
}
