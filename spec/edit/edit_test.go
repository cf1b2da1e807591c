package edit

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// An op is one edit: Set when value is not "", else Delete.
type op struct {
	path        []string
	name, value string
}

func TestGolden(t *testing.T) {
	src, err := os.ReadFile("testdata/env.cue")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ops  []op
	}{
		{"none", nil},
		{"add-new", []op{{[]string{"dependencies"}, "scipy", ">=1.10"}}},
		{"replace-keeps-comment", []op{{[]string{"dependencies"}, "numpy", ">=1.26"}}},
		{"delete-with-comment", []op{{[]string{"dependencies"}, "python", ""}}},
		{"delete-quoted", []op{{[]string{"dependencies"}, "scikit-learn", ""}}},
		{"pypi-created", []op{
			{[]string{"pypi"}, "torch-geometric", "==2.5.3"},
			{[]string{"pypi"}, "requests", "[socks]>=2"},
		}},
		{"target-existing", []op{{[]string{"target", "linux-64", "dependencies"}, "nccl", "*"}}},
		{"target-new-platform", []op{{[]string{"target", "osx-arm64", "dependencies"}, "libcxx", ">=17"}}},
		{"prune-target", []op{{[]string{"target", "linux-64", "dependencies"}, "cuda-version", ""}}},
		{"short-struct-grows", []op{{[]string{"system"}, "cuda", "12.2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("env.cue", src)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range tc.ops {
				if o.value == "" {
					ok, err := f.Delete(o.path, o.name)
					if err != nil || !ok {
						t.Fatalf("Delete(%q, %q) = %v, %v; want true, nil", o.path, o.name, ok, err)
					}
					f.Prune(o.path)
					continue
				}
				if _, err := f.Set(o.path, o.name, o.value); err != nil {
					t.Fatal(err)
				}
			}
			got, err := f.Format()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("edited env.cue (-want +got):\n%s", d)
			}
			// The result parses again.
			if _, err := Parse("env.cue", got); err != nil {
				t.Errorf("result does not parse: %v", err)
			}
		})
	}
}

func TestSetReports(t *testing.T) {
	f, err := Parse("env.cue", []byte("package env\ndependencies: {numpy: \"*\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if existed, _ := f.Set([]string{"dependencies"}, "numpy", "1.*"); !existed {
		t.Error("Set of an existing field reported it new")
	}
	if existed, _ := f.Set([]string{"dependencies"}, "scipy", "*"); existed {
		t.Error("Set of a new field reported it existing")
	}
	if ok, _ := f.Delete([]string{"dependencies"}, "pandas"); ok {
		t.Error("Delete of an absent field reported it deleted")
	}
	if ok, _ := f.Delete([]string{"pypi"}, "pandas"); ok {
		t.Error("Delete in an absent struct reported it deleted")
	}
	if !f.Has([]string{"dependencies"}, "scipy") || f.Has([]string{"dependencies"}, "pandas") {
		t.Error("Has disagrees with the edits")
	}
	if got, want := f.Names([]string{"dependencies"}), []string{"numpy", "scipy"}; !slices.Equal(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
	if got := f.Names([]string{"target"}); got != nil {
		t.Errorf("Names of an absent struct = %q, want nil", got)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Parse("env.cue", []byte("package env\ndependencies: {")); err == nil {
		t.Error("Parse of broken source: no error")
	}
	f, err := Parse("env.cue", []byte("package env\n_base: {numpy: \"*\"}\ndependencies: _base\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Set([]string{"dependencies"}, "scipy", "*")
	if !errors.Is(err, ErrNotStruct) {
		t.Fatalf("Set into a reference: err = %v, want ErrNotStruct", err)
	}
	if want := "env.cue: dependencies is not a struct literal; edit it by hand"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func FuzzEdit(f *testing.F) {
	src, _ := os.ReadFile("testdata/env.cue")
	f.Add(src, "scipy")
	f.Add([]byte("package env\ndependencies: x\n"), "numpy")
	f.Fuzz(func(t *testing.T, src []byte, name string) {
		e, err := Parse("env.cue", src)
		if err != nil {
			return
		}
		e.Set([]string{"dependencies"}, name, "*")
		e.Delete([]string{"target", "linux-64", "dependencies"}, name)
		e.Format()
	})
}

func TestGet(t *testing.T) {
	f, err := Parse("env.cue", []byte("package env\ndependencies: {numpy: \">=1\", \"ruamel.yaml\": \"*\", scipy: string | *\"1.*\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"numpy", ">=1", true},
		{"ruamel.yaml", "*", true},
		{"scipy", "", false}, // an expression, not a string literal
		{"pandas", "", false},
	} {
		if got, ok := f.Get([]string{"dependencies"}, tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("Get(%s) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := f.Get([]string{"pypi"}, "numpy"); ok {
		t.Error("Get in an absent struct found a field")
	}
}
