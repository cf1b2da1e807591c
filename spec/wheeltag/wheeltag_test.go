package wheeltag

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFilename(t *testing.T) {
	tests := []struct {
		in            string
		name, version string
		build         string
		tags          string
	}{
		{"demo-1.0-py3-none-any.whl", "demo", "1.0", "", "py3-none-any"},
		{"six-1.16.0-py2.py3-none-any.whl", "six", "1.16.0", "", "py2-none-any py3-none-any"},
		{"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy", "1.26.4", "",
			"cp311-cp311-manylinux_2_17_x86_64 cp311-cp311-manylinux2014_x86_64"},
		{"pkg-2.0-1-cp39-abi3-macosx_11_0_arm64.whl", "pkg", "2.0", "1", "cp39-abi3-macosx_11_0_arm64"},
	}
	for _, tt := range tests {
		f, err := ParseFilename(tt.in)
		if err != nil {
			t.Errorf("ParseFilename(%q): %v", tt.in, err)
			continue
		}
		var tags []string
		for _, tag := range f.Tags {
			tags = append(tags, tag.String())
		}
		if d := cmp.Diff([]string{tt.name, tt.version, tt.build, tt.tags}, []string{f.Name, f.Version, f.Build, strings.Join(tags, " ")}); d != "" {
			t.Errorf("ParseFilename(%q) (-want +got):\n%s", tt.in, d)
		}
	}
	for in, msg := range map[string]string{
		"demo-1.0.tar.gz":              "ends in .whl",
		"demo-1.0-py3-none.whl":        "5 or 6 parts",
		"demo-1.0-x1-py3-none-any.whl": "build tag must start with a digit",
		"demo--py3-none-any.whl":       "empty part",
		"demo-1.0-py3.-none-any.whl":   "empty tag",
	} {
		if _, err := ParseFilename(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseFilename(%q) = %v, want %q", in, err, msg)
		}
	}
}

// TestCompatible is the table of which wheels a target accepts.
func TestCompatible(t *testing.T) {
	linux217 := Target{Platform: "linux-64", Python: "3.11.7", Glibc: "2.17"}
	linux228 := Target{Platform: "linux-64", Python: "3.11", Glibc: "2.28"}
	linux212 := Target{Platform: "linux-64", Python: "3.11", Glibc: "2.12"}
	aarch := Target{Platform: "linux-aarch64", Python: "3.12", Glibc: "2.28"}
	musl := Target{Platform: "linux-64", Python: "3.11", Musl: "1.2"}
	osxArm := Target{Platform: "osx-arm64", Python: "3.11", Osx: "12.0"}
	osx64 := Target{Platform: "osx-64", Python: "3.11", Osx: "10.15"}
	win := Target{Platform: "win-64", Python: "3.11"}
	tests := []struct {
		target Target
		yes    string
		no     string
	}{
		{linux217,
			"cp311-cp311-manylinux_2_17_x86_64 cp311-cp311-manylinux2014_x86_64 cp311-cp311-manylinux1_x86_64 cp311-cp311-manylinux2010_x86_64 cp38-abi3-manylinux_2_5_x86_64 py3-none-any py311-none-any cp311-none-any py2.py3-none-any",
			"cp311-cp311-manylinux_2_28_x86_64 cp311-cp311-linux_x86_64 cp312-cp312-manylinux_2_17_x86_64 cp311-cp311-manylinux_2_17_aarch64 cp311-cp311-musllinux_1_1_x86_64 cp311-cp311-win_amd64 py2-none-any cp312-abi3-manylinux_2_17_x86_64"},
		{linux228, "cp311-cp311-manylinux_2_28_x86_64 cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux_2_34_x86_64"},
		{linux212, "cp311-cp311-manylinux2010_x86_64 cp311-cp311-manylinux_2_12_x86_64", "cp311-cp311-manylinux_2_17_x86_64 cp311-cp311-manylinux2014_x86_64"},
		{aarch, "cp312-cp312-manylinux_2_28_aarch64 cp312-cp312-manylinux2014_aarch64", "cp312-cp312-manylinux2010_aarch64 cp312-cp312-manylinux_2_17_x86_64"},
		{musl, "cp311-cp311-musllinux_1_2_x86_64 cp311-cp311-musllinux_1_1_x86_64 py3-none-any", "cp311-cp311-musllinux_1_3_x86_64 cp311-cp311-manylinux_2_17_x86_64"},
		{osxArm, "cp311-cp311-macosx_12_0_arm64 cp311-cp311-macosx_11_0_arm64 cp311-cp311-macosx_11_0_universal2", "cp311-cp311-macosx_13_0_arm64 cp311-cp311-macosx_12_0_x86_64 cp311-cp311-macosx_10_9_x86_64"},
		{osx64, "cp311-cp311-macosx_10_9_x86_64 cp311-cp311-macosx_10_15_x86_64 cp311-cp311-macosx_10_9_universal2 cp311-cp311-macosx_10_6_intel", "cp311-cp311-macosx_11_0_x86_64 cp311-cp311-macosx_11_0_arm64"},
		{win, "cp311-cp311-win_amd64 py3-none-any", "cp311-cp311-win32 cp311-cp311-manylinux_2_17_x86_64"},
	}
	for _, tt := range tests {
		r, err := tt.target.Ranker()
		if err != nil {
			t.Fatal(err)
		}
		for _, tags := range strings.Fields(tt.yes) {
			if _, ok := r.Rank(mustWheel(t, tags)); !ok {
				t.Errorf("%+v should accept %s", tt.target, tags)
			}
		}
		for _, tags := range strings.Fields(tt.no) {
			if _, ok := r.Rank(mustWheel(t, tags)); ok {
				t.Errorf("%+v should refuse %s", tt.target, tags)
			}
		}
	}
}

// TestPreference checks the order: exact ABI before abi3 before pure
// Python, newer manylinux first.
func TestPreference(t *testing.T) {
	r, err := Target{Platform: "linux-64", Python: "3.11", Glibc: "2.28"}.Ranker()
	if err != nil {
		t.Fatal(err)
	}
	order := []string{
		"cp311-cp311-manylinux_2_28_x86_64",
		"cp311-cp311-manylinux_2_17_x86_64",
		"cp311-cp311-manylinux1_x86_64",
		"cp311-abi3-manylinux_2_28_x86_64",
		"cp39-abi3-manylinux_2_17_x86_64",
		"py3-none-manylinux_2_17_x86_64",
		"cp311-none-any",
		"py3-none-any",
		"py30-none-any",
	}
	prev := -1
	for _, tags := range order {
		rank, ok := r.Rank(mustWheel(t, tags))
		if !ok || rank <= prev {
			t.Errorf("%s: rank %d (ok %v), want above %d", tags, rank, ok, prev)
		}
		prev = rank
	}
}

func TestGlibc(t *testing.T) {
	for tag, want := range map[string]string{"manylinux_2_28_x86_64": "2.28", "manylinux2014_aarch64": "2.17", "manylinux1_x86_64": "2.5", "musllinux_1_2_x86_64": "", "manylinux_2_x": ""} {
		if got, _ := Glibc(tag); got != want {
			t.Errorf("Glibc(%s) = %q, want %q", tag, got, want)
		}
	}
}

func TestTargetErrors(t *testing.T) {
	for _, tt := range []Target{{Platform: "linux-64", Python: "3"}, {Platform: "linux-64", Python: "3.11", Glibc: "x"}, {Platform: "zos-z", Python: "3.11"}} {
		if _, err := tt.Tags(); err == nil {
			t.Errorf("%+v: no error", tt)
		}
	}
}

func mustWheel(t *testing.T, tags string) *Filename {
	t.Helper()
	f, err := ParseFilename("pkg-1.0-" + tags + ".whl")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func FuzzParseFilename(f *testing.F) {
	f.Add("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
	f.Add("pkg-2.0-1-cp39-abi3-macosx_11_0_arm64.whl")
	r, _ := Target{Platform: "linux-64", Python: "3.11", Glibc: "2.17"}.Ranker()
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := ParseFilename(s)
		if err != nil {
			return
		}
		if len(fn.Tags) == 0 {
			t.Fatalf("%q parsed with no tags", s)
		}
		r.Rank(fn)
		for _, tag := range fn.Tags {
			Glibc(tag.Platform)
		}
	})
}
