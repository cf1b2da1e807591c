package version

import "testing"

func FuzzParse(f *testing.F) {
	for _, tc := range condaVersionOrder {
		f.Add(tc.in, "1.0")
	}
	for _, s := range []string{"", "!", "1!", "+", "1.0+", "1.0_", "1..2", "***", "1.0-rc1", "1!2!3", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1"} {
		f.Add(s, "1.0.post1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err := Parse(a)
		if err != nil {
			return
		}
		if va.Compare(va) != 0 {
			t.Fatalf("%q != itself", a)
		}
		again, err := Parse(va.Normalized())
		if err != nil {
			t.Fatalf("normalized form %q of %q does not parse: %v", va.Normalized(), a, err)
		}
		if !again.Equal(va) || again.Components() != va.Components() {
			t.Fatalf("%q and its normalized form %q differ", a, va.Normalized())
		}
		_ = va.StartsWith(va)
		vb, err := Parse(b)
		if err != nil {
			return
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q, %q) is not antisymmetric", a, b)
		}
		_ = va.StartsWith(vb)
	})
}
