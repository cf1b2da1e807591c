package matchspec

import "testing"

func FuzzParse(f *testing.F) {
	for _, tc := range condaCanonical {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := Parse(s)
		if err != nil {
			return
		}
		canon := ms.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form of %q not stable: %q then %q", s, canon, again.String())
		}
	})
}
