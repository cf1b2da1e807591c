package spec

import (
	"errors"
	"testing"
)

// FuzzLoad loads arbitrary env.cue text: Load must never panic, must fail
// with Errors (positions included) or succeed with a manifest whose
// normalized form it can hash.
func FuzzLoad(f *testing.F) {
	f.Add(hashBase)
	f.Add("package env\nname: \"x\"\ndependencies: numpy: \">=1.26,,\"\n")
	f.Add("package env\nname: \"x\"\nkernel: true\ntarget: \"linux-64\": pypi: a: \"2\"\n")
	f.Add("package env\nname: \"x\"\nplatforms: [\"linux64\"]\nenv: \"A B\": \"1\"\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src string) {
		m, err := Load(dir, &LoadOptions{Host: "linux-64", Overlay: map[string][]byte{"env.cue": []byte(src)}})
		if err != nil {
			var es Errors
			var be *BudgetError
			if errors.As(err, &be) {
				return // a runaway comprehension, stopped by its bound
			}
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Load error is not a non-empty Errors: %v", err)
			}
			return
		}
		_ = m.Hash()
	})
}
