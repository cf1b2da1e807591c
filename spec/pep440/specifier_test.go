package pep440

import (
	"strings"
	"testing"
)

// TestSpecifiers is a table of specifier sets and versions, from PEP 440's
// examples ("Version specifiers") and pip's behaviour for pre-releases.
func TestSpecifiers(t *testing.T) {
	tests := []struct {
		set     string
		yes, no string // space-separated versions
	}{
		{"==1.1", "1.1 1.1.0 1.1+local", "1.1.1 1.1a1 1.1.post1"},
		{"==1.1+local", "1.1+local", "1.1 1.1+other"},
		{"==1.1.*", "1.1 1.1.0 1.1.9 1.1.post1 1.1+l", "1.10 1.0 2.1"},
		{"==1.1a1.*", "1.1a1 1.1a1.post1", "1.1a2 1.1"},
		{"!=1.1.*", "1.0 1.10 2", "1.1 1.1.5"},
		{"!=1.1", "1.0 1.1.1", "1.1 1.1.0 1.1+l"},
		{"~=2.2", "2.2 2.3 2.9.1 2.2.post3", "3.0 2.1 2.0"},
		{"~=1.4.5", "1.4.5 1.4.9", "1.5.0 1.4.4"},
		{"~=2.2.post3", "2.2.post3 2.3", "2.2 2.2.post2 3.0"},
		{"~=1.4.5a4", "1.4.5a4 1.4.5 1.4.6", "1.4.5a3 1.5"},
		{"~=2.2.0", "2.2.0 2.2.1", "2.3"},
		{">=1.0", "1.0 1.0+l 2 1.0.post1", "0.9 1.0rc1"},
		{"<=1.0", "1.0 1.0+l 0.1", "1.0.post1 1.1"},
		{"<3.1", "3.0 3.0.post1", "3.1 3.1a1 3.1.dev0 3.2"},
		{"<3.1rc1", "3.1a1 3.0", "3.1rc1 3.1"},
		{">3.1", "3.2 3.1.1", "3.1 3.1.post1 3.1+l 3.0"},
		{">3.1.post1", "3.1.post2 3.2", "3.1.post1"},
		{">=1,<2", "1 1.5", "2 0.9"},
		{">= 1.0 , != 1.3.4.* , < 2.0", "1.0 1.3 1.3.5", "1.3.4 1.3.4.1 2.0"},
		{">=1.0a1", "1.0a1 1.0b1 1.0", "1.0.dev1"},
		{"==1.0.dev1", "1.0.dev1", "1.0"},
		{"===1.0+Local", "1.0+local", "1.0 1.0.0+local"},
		{"", "1 2.0 0.0.1", "1.0a1"},
	}
	for _, tt := range tests {
		s, err := ParseSet(tt.set)
		if err != nil {
			t.Errorf("ParseSet(%q): %v", tt.set, err)
			continue
		}
		for _, v := range strings.Fields(tt.yes) {
			if !s.Contains(MustParse(v), false) {
				t.Errorf("%q should contain %s", tt.set, v)
			}
		}
		for _, v := range strings.Fields(tt.no) {
			if s.Contains(MustParse(v), false) {
				t.Errorf("%q should not contain %s", tt.set, v)
			}
		}
	}
}

func TestPrereleasesOnRequest(t *testing.T) {
	s, _ := ParseSet(">=1.0")
	if !s.Contains(MustParse("2.0b1"), true) {
		t.Error(">=1.0 with pre-releases allowed should contain 2.0b1")
	}
	if s.Contains(MustParse("2.0b1"), false) {
		t.Error(">=1.0 should not contain 2.0b1 by default")
	}
}

func TestSetString(t *testing.T) {
	s, err := ParseSet(" >= 1.0 ,!=1.3.*, <2 , ~=1.1 , ===foo")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), ">=1.0,!=1.3.*,<2,~=1.1,===foo"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestSetErrors(t *testing.T) {
	for in, msg := range map[string]string{
		"1.0":          "starts with an operator",
		">=":           "a version must follow",
		">=1.0.*":      "allowed only after == and !=",
		"~=1":          "at least two release",
		">=1.0+l":      "local version",
		"==1.0.dev1.*": "prefix match",
		">=1,":         "empty clause",
		">=1,<x":       "column 6",
	} {
		_, err := ParseSet(in)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseSet(%q) = %v, want an error containing %q", in, err, msg)
		}
	}
}

func FuzzParseSet(f *testing.F) {
	for _, s := range []string{">=1.0,<2", "~=2.2", "==1.*", "===x", "!=1.1+l"} {
		f.Add(s, "1.5")
	}
	f.Fuzz(func(t *testing.T, set, ver string) {
		s, err := ParseSet(set)
		if err != nil {
			return
		}
		again, err := ParseSet(s.String())
		if err != nil {
			t.Fatalf("normal form %q of %q does not parse: %v", s.String(), set, err)
		}
		if v, err := Parse(ver); err == nil {
			if s.Contains(v, true) != again.Contains(v, true) {
				t.Fatalf("%q and its normal form %q disagree on %s", set, s.String(), v)
			}
		}
	})
}
