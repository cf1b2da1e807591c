package versionspec

import (
	"strings"
	"testing"
)

// conda's tests/models/test_version.py::test_match, transcribed: each spec
// matched against version 1.7.1.
func TestCondaMatch(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want bool
	}{
		{"1.7.*", true},
		{"1.7.1", true},
		{"1.7.0", false},
		{"1.7", false},
		{"1.5.*", false},
		{">=1.5", true},
		{"!=1.5", true},
		{"!=1.7.1", false},
		{"==1.7.1", true},
		{"==1.7", false},
		{"==1.7.2", false},
		{"==1.7.1.0", true},
		{"1.7.*|1.8.*", true},
		{">1.7,<1.8", true},
		{">1.7.1,<1.8", false},
		{"^1.7.1$", true},
		{`^1\.7\.1$`, true},
		{`^1\.7\.[0-9]+$`, true},
		{`^1\.8.*$`, false},
		{`^1\.[5-8]\.1$`, true},
		{`^[^1].*$`, false},
		{`^[0-9+]+\.[0-9+]+\.[0-9]+$`, true},
		{"^$", false},
		{"^.*$", true},
		{"1.7.*|^0.*$", true},
		{"1.6.*|^0.*$", false},
		{"1.6.*|^0.*$|1.7.1", true},
		{"^0.*$|1.7.1", true},
		{`1.6.*|^.*\.7\.1$|0.7.1`, true},
		{"*", true},
		{"1.*.1", true},
		{"1.5.*|>1.7,<1.8", true},
		{"1.5.*|>1.7,<1.7.1", false},
	} {
		sp, err := Parse(tc.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if got := sp.String(); got != tc.spec {
			t.Errorf("Parse(%q).String() = %q", tc.spec, got)
		}
		if got := sp.MatchString("1.7.1"); got != tc.want {
			t.Errorf("%q matches 1.7.1 = %v, want %v", tc.spec, got, tc.want)
		}
	}
}

// conda's test_ver_eval and friends: (version, spec, want).
func TestCondaVerEval(t *testing.T) {
	for _, tc := range []struct {
		v, spec string
		want    bool
	}{
		{"1.7.0", "==1.7", true},
		{"1.7.0", "<=1.7", true},
		{"1.7.0", "<1.7", false},
		{"1.7.0", ">=1.7", true},
		{"1.7.0", ">1.7", false},
		{"1.6.7", ">=1.7", false},
		{"2013a", ">2013b", false},
		{"2013k", ">2013b", true},
		{"3.0.0", ">2013b", false},
		{"1.0.0", ">1.0.0a", true},
		{"1.0.0", ">1.0.0*", true},
		{"1.0", "1.0*", true},
		{"1.0.0", "1.0*", true},
		{"1.0", "1.0.0*", true},
		{"1.0.1", "1.0.0*", false},
		{"2013a", "2013a*", true},
		{"2013a", "2013b*", false},
		{"2013ab", "2013a*", true},
		{"1.3.4", "1.2.4*", false},
		{"1.2.3+4.5.6", "1.2.3*", true},
		{"1.2.3+4.5.6", "1.2.3+4*", true},
		{"1.2.3+4.5.6", "1.2.3+5*", false},
		{"1.2.3+4.5.6", "1.2.4+5*", false},
		// test_local_identifier: a version matches itself
		{"1.7.0", "1.7.0", true},
		{"1.7.0.post123", "1.7.0.post123", true},
		{"1.7.0.post123.gabcdef9", "1.7.0.post123.gabcdef9", true},
		{"1.7.0.post123+gabcdef9", "1.7.0.post123+gabcdef9", true},
		// test_not_eq_star
		{"3.3.1", "=3.3", true},
		{"3.3", "=3.3", true},
		{"3.4", "=3.3", false},
		{"3.3.1", "3.3.*", true},
		{"3.3", "3.3.*", true},
		{"3.4", "3.3.*", false},
		{"3.3.1", "=3.3.*", true},
		{"3.3", "=3.3.*", true},
		{"3.4", "=3.3.*", false},
		{"3.3.1", "!=3.3.*", false},
		{"3.4", "!=3.3.*", true},
		{"3.4.1", "!=3.3.*", true},
		{"3.3.1", "!=3.3", true},
		{"3.3.0.0", "!=3.3", false},
		{"3.3.0.0", "!=3.3.*", false},
		// test_compound_versions
		{"2.6.8", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", false},
		{"2.7.2", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", true},
		{"3.3", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", false},
		{"3.3.4", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", false},
		{"3.4", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", true},
		{"3.4a", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", true},
		// test_compatible_release_versions
		{"1.11.0", "~=1.10", true},
		{"1.11.0", "~=1.10.0", false},
		{"3.4.0", "~=3.3.2", false},
		{"3.3.1", "~=3.3.2", false},
		{"3.3.2.0", "~=3.3.2", true},
		{"3.3.3", "~=3.3.2", true},
		{"2.2.0", "~=3.3.2|==2.2", true},
		{"3.3.3", "~=3.3.2|==2.2", true},
		{"2.2.1", "~=3.3.2|==2.2", false},
		// test_openssl_match (MatchSpec level in conda, same versions)
		{"1.0.1_", ">=1.0.1_", true},
		{"1.0.1_", ">=1.0.1", false},
		// epochs
		{"1!164.3095", ">=1!164.3095,<1!165", true},
		{"164.3095", ">=1!164.3095,<1!165", false},
		// conda ignores ".*" after ==, <, <=, > (with a warning)
		{"1.2.1", "==1.2.*", false},
		{"1.2", "==1.2.*", true},
		{"1.2.5", ">=1.2.*", true},
		// parentheses
		{"1.5", "(>=1,<2)|>3", true},
		{"2.5", "(>=1,<2)|>3", false},
		{"3.5", ">=3,(<4|<5)", true},
	} {
		sp, err := Parse(tc.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if got := sp.MatchString(tc.v); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.spec, tc.v, got, tc.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.7.1*", "1.7.1.*"},
		{"1.7.1.*", "1.7.1.*"},
		{"1.7.1*,1.8.1*", "1.7.1.*,1.8.1.*"},
		{"1.7.1*,1.8.1.*", "1.7.1.*,1.8.1.*"},
		{" >=1.0 , <2 ", ">=1.0,<2"},
		// conda prints "1.5|1.6|1.7,1.8,1.9|2.0|2.1", which no longer means
		// the same thing; we keep the parentheses that carry meaning.
		{"( (1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1", "1.5|(1.6|1.7),1.8,1.9|2.0|2.1"},
		{"(1.2.3|4.5.6),<=7.8.9", "(1.2.3|4.5.6),<=7.8.9"},
		{"1.2.3,4.5.6|<=7.8.9", "1.2.3,4.5.6|<=7.8.9"},
		{"=1.2", "=1.2"},
	} {
		sp, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := sp.String(); got != tc.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		again, err := Parse(sp.String())
		if err != nil || again.String() != sp.String() {
			t.Errorf("canonical form %q does not round-trip: %v %v", sp.String(), again, err)
		}
	}
	if !MustParse("1.7.1").IsExact() || MustParse("1.7.1*").IsExact() || MustParse("1.7.1*,1.8.1*").IsExact() {
		t.Error("IsExact wrong")
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"(1.5", "unbalanced '(' (at column 1)"},
		{"1.5)", "unbalanced ')' (at column 4)"},
		{"1.5||1.6", `expected a version, found "|" (at column 5)`},
		{"^1.5", "regex specs must start with '^' and end with '$'"},
		{"~", "invalid operator"},
		{"^", "regex specs must start with '^' and end with '$'"},
		{"1.2+", "empty version component"},
		{"+1.2", "missing version before local version separator"},
		{"+1.2+", "duplicated local version separator"},
		{"++", "invalid version spec"},
		{"c +, 0/|0 *", "invalid version spec"},
		{"a[version=)|(", "invalid version spec"},
		{"a=)(=b", "invalid version spec"},
		{"==", `operator "==" needs a version after it`},
		{"=", `operator "=" needs a version after it`},
		{">=", `operator ">=" needs a version after it`},
		{"<=", `operator "<=" needs a version after it`},
		{"~=3.3.2.*", "invalid operator with '.*'"},
		{"===3.3.2", "invalid operator"},
		{"><2.4.5", "invalid operator"},
		{"!!2.4.5", "invalid operator"},
		{"!", "invalid operator"},
		{"~=1", "~= needs at least two"},
		{"", "empty version spec"},
		{"1.0,", "missing version after \",\""},
		{">= 1.0", "white space inside the version term"},
	} {
		_, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error %q", tc.in, tc.msg)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", tc.in, err, tc.msg)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.7.*", ">=1.5,<2|1.7.*", "^1\\.7.*$", "~=1.10.1", "(1.5|1.6),1.7", "*", "!=1.2.*", "1.*.1", "((", "1|", "^$|,"} {
		f.Add(s, "1.7.1")
	}
	f.Fuzz(func(t *testing.T, s, v string) {
		sp, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(sp.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", sp.String(), s, err)
		}
		if again.String() != sp.String() {
			t.Fatalf("canonical form of %q not stable: %q then %q", s, sp.String(), again.String())
		}
		if sp.MatchString(v) != again.MatchString(v) {
			t.Fatalf("%q and its canonical form %q disagree on %q", s, sp.String(), v)
		}
	})
}
