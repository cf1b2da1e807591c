package pep440

import (
	"errors"
	"testing"
)

// sorted is a list in PEP 440 order, from the PEP's own examples
// ("Summary of permitted suffixes and relative ordering") and its
// sections on epochs and local versions.
var sorted = []string{
	"1.0.dev456",
	"1.0a1",
	"1.0a2.dev456",
	"1.0a12.dev456",
	"1.0a12",
	"1.0b1.dev456",
	"1.0b2",
	"1.0b2.post345.dev456",
	"1.0b2.post345",
	"1.0rc1.dev456",
	"1.0rc1",
	"1.0",
	"1.0+abc.5",
	"1.0+abc.7",
	"1.0+5",
	"1.0.post456.dev34",
	"1.0.post456",
	"1.0.15",
	"1.1.dev1",
	"1.2",
	"1.2+123abc",
	"1.2+123abc456",
	"1.2+abc",
	"1.2+abc123",
	"1.2+abc123def",
	"1.2+1234.abc",
	"1.2+123456",
	"1.10",
	"2013.10",
	"2014.04",
	"1!0.1",
	"1!1.0",
	"2!0.0.dev1",
}

func TestOrder(t *testing.T) {
	for i := range sorted {
		for j := range sorted {
			a, b := MustParse(sorted[i]), MustParse(sorted[j])
			want := cmpInt(i, j)
			if got := a.Compare(b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
}

// TestNormalize checks the PEP's normalization rules, one per row.
func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"1.0":              "1.0",
		"v1.0":             "1.0",
		"  1.0\n":          "1.0",
		"1.0RC1":           "1.0rc1",
		"1.1.0-alpha.1":    "1.1.0a1",
		"1.0a":             "1.0a0",
		"1.0beta2":         "1.0b2",
		"1.0c1":            "1.0rc1",
		"1.0pre1":          "1.0rc1",
		"1.0preview1":      "1.0rc1",
		"1.0-rc_1":         "1.0rc1",
		"1.0-1":            "1.0.post1",
		"1.0.post":         "1.0.post0",
		"1.0-r4":           "1.0.post4",
		"1.0rev4":          "1.0.post4",
		"1.0_post_2":       "1.0.post2",
		"1.0.dev":          "1.0.dev0",
		"1.0-dev3":         "1.0.dev3",
		"1.0+Ubuntu-1":     "1.0+ubuntu.1",
		"1.0+local_007":    "1.0+local.7",
		"0!1.0":            "1.0",
		"2!1.0":            "2!1.0",
		"1.01.002":         "1.1.2",
		"1.0a1.post2.dev3": "1.0a1.post2.dev3",
	} {
		v, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got := v.String(); got != want {
			t.Errorf("Parse(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEqualForms(t *testing.T) {
	for _, pair := range [][2]string{{"1.0", "1.0.0"}, {"1.0", "1"}, {"1.0a1", "1.0.0alpha1"}, {"1.0+a", "1.0+A"}} {
		if MustParse(pair[0]).Compare(MustParse(pair[1])) != 0 {
			t.Errorf("%s and %s should compare equal", pair[0], pair[1])
		}
	}
}

func TestParseErrors(t *testing.T) {
	for in, col := range map[string]int{
		"":                     1,
		"a1":                   1,
		"1.0.":                 4,
		"1.0abc":               4,
		"1.0+":                 5,
		"1.0+a..b":             7,
		"1!":                   3,
		"1.0 1":                4,
		"1.0-foo":              4,
		"99999999999999999999": 1,
	} {
		_, err := Parse(in)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want a ParseError", in, err)
			continue
		}
		if pe.Offset+1 != col {
			t.Errorf("Parse(%q): error at column %d, want %d (%v)", in, pe.Offset+1, col, err)
		}
	}
}

func TestPrerelease(t *testing.T) {
	for in, want := range map[string]bool{"1.0": false, "1.0a1": true, "1.0.dev1": true, "1.0.post1": false, "1.0.post1.dev1": true, "1.0rc1+local": true} {
		if got := MustParse(in).IsPrerelease(); got != want {
			t.Errorf("IsPrerelease(%s) = %v", in, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range sorted {
		f.Add(s)
	}
	f.Add("1.0-rc_1+Ubuntu-1")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		// The normal form parses back to an equal version.
		w, err := Parse(v.String())
		if err != nil {
			t.Fatalf("normal form %q of %q does not parse: %v", v.String(), s, err)
		}
		if v.Compare(w) != 0 || w.String() != v.String() {
			t.Fatalf("%q -> %q -> %q", s, v.String(), w.String())
		}
	})
}
