package envfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/testdata"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		data string
		want Kind
	}{
		{"name: x\ndependencies: [numpy]\n", KindEnvironment},
		{"# comment\ndependencies:\n  - numpy\n", KindEnvironment},
		{"- numpy\n", KindEnvironment},
		{"# platform: linux-64\n@EXPLICIT\nhttps://x/linux-64/a-1-0.conda\n", KindExplicit},
		{"numpy>=1.20\nconda-forge::scipy\n", KindSpecList},
		{"", KindSpecList},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.data)); got != tt.want {
			t.Errorf("Detect(%q) = %v, want %v", tt.data, got, tt.want)
		}
	}
}

func TestParseEnvironment(t *testing.T) {
	src := `# comment
name: lab
channels: [conda-forge, bioconda]
dependencies:
  - python=3.11
  - 3.10
  - sel(linux): libgcc-ng
  - pip:
      - numpy
variables:
  OMP_NUM_THREADS: 1
prefix: /opt/env
category: main
`
	env, err := ParseEnvironment("environment.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Environment{
		Name:         "lab",
		NamePos:      Pos{"environment.yml", 2, 7},
		Prefix:       "/opt/env",
		PrefixPos:    Pos{"environment.yml", 12, 1},
		Channels:     []Item{{"conda-forge", Pos{"environment.yml", 3, 12}}, {"bioconda", Pos{"environment.yml", 3, 25}}},
		Dependencies: []Item{{"python=3.11", Pos{"environment.yml", 5, 5}}, {"3.10", Pos{"environment.yml", 6, 5}}},
		Selected:     map[string][]Item{"linux": {{"libgcc-ng", Pos{"environment.yml", 7, 17}}}},
		Pip:          []Item{{"numpy", Pos{"environment.yml", 9, 9}}},
		Variables:    []Variable{{"OMP_NUM_THREADS", "1", Pos{"environment.yml", 11, 3}}},
		Ignored:      []Item{{"category", Pos{"environment.yml", 13, 1}}},
	}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseEnvironmentErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "e.yml:1:1: empty file: an environment.yml is a mapping with name, channels and dependencies"},
		{"- numpy\n", "e.yml:1:1: an environment.yml is a mapping with name, channels and dependencies"},
		{"dependencies: numpy\n", "e.yml:1:15: dependencies: want a list of package specs"},
		{"dependencies:\n  - conda: [x]\n", `e.yml:2:5: dependencies: unknown section "conda" (want a package spec, "pip:" or "sel(PLATFORM):")`},
		{"name: [a]\n", "e.yml:1:7: name: want a string"},
		{"variables: [a]\n", "e.yml:1:12: variables: want a mapping of names to values"},
		{"name: x\n  bad: indent\n", "e.yml:2: invalid YAML: mapping values are not allowed in this context"},
	}
	for _, tt := range tests {
		_, err := ParseEnvironment("e.yml", []byte(tt.src))
		if err == nil {
			t.Errorf("ParseEnvironment(%q): no error, want %q", tt.src, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseEnvironment(%q):\n got %q\nwant %q", tt.src, err, tt.want)
		}
	}
}

func TestParseExplicit(t *testing.T) {
	src := `# platform: osx-arm64
@EXPLICIT
https://conda.anaconda.org/conda-forge/osx-arm64/ca-certificates-2022.12.7-h4653dfc_0.conda#7dc111916edc905957b7417a247583b6
https://repo.anaconda.com/pkgs/main/noarch/tzdata-2022g-h191b570_0.conda#sha256:7dc111916edc905957b7417a247583b67dc111916edc905957b7417a247583b6

file:///blue/lab/channel/osx-arm64/mylib-1.0-0.tar.bz2
`
	ex, err := ParseExplicit("x.txt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Explicit{Platform: "osx-arm64", Packages: []Package{
		{URL: "https://conda.anaconda.org/conda-forge/osx-arm64/ca-certificates-2022.12.7-h4653dfc_0.conda", Channel: "https://conda.anaconda.org/conda-forge", Subdir: "osx-arm64", Filename: "ca-certificates-2022.12.7-h4653dfc_0.conda", Name: "ca-certificates", Version: "2022.12.7", Build: "h4653dfc_0", MD5: "7dc111916edc905957b7417a247583b6", Line: 3},
		{URL: "https://repo.anaconda.com/pkgs/main/noarch/tzdata-2022g-h191b570_0.conda", Channel: "https://repo.anaconda.com/pkgs/main", Subdir: "noarch", Filename: "tzdata-2022g-h191b570_0.conda", Name: "tzdata", Version: "2022g", Build: "h191b570_0", SHA256: "7dc111916edc905957b7417a247583b67dc111916edc905957b7417a247583b6", Line: 4},
		{URL: "file:///blue/lab/channel/osx-arm64/mylib-1.0-0.tar.bz2", Channel: "file:///blue/lab/channel", Subdir: "osx-arm64", Filename: "mylib-1.0-0.tar.bz2", Name: "mylib", Version: "1.0", Build: "0", Line: 6},
	}}
	if diff := cmp.Diff(want, ex); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseExplicitErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"https://a/b/linux-64/x-1-0.conda\n", `x.txt:1:1: "https://a/b/linux-64/x-1-0.conda" before the @EXPLICIT line: an explicit file lists package URLs after @EXPLICIT`},
		{"# nothing\n", "x.txt:1:1: no @EXPLICIT line: not an explicit file"},
		{"@EXPLICIT\nnumpy\n", `x.txt:2:1: "numpy" is not a package URL`},
		{"@EXPLICIT\nhttps://host/x-1-0.conda\n", `x.txt:2:1: "https://host/x-1-0.conda" is not a package URL: want CHANNEL/SUBDIR/NAME-VERSION-BUILD.conda`},
		{"@EXPLICIT\nhttps://h/c/linux-64/x-1-0.whl\n", `x.txt:2:22: "x-1-0.whl" is not a conda package: want a .conda or .tar.bz2 file`},
		{"@EXPLICIT\nhttps://h/c/linux-64/x-1.conda\n", `x.txt:2:22: "x-1.conda": want NAME-VERSION-BUILD`},
		{"@EXPLICIT\nhttps://h/c/linux-64/x-1-0.conda#zz\n", `x.txt:2:34: invalid hash "zz": want an md5 (32 hex digits) or sha256:<64 hex digits>`},
	}
	for _, tt := range tests {
		_, err := ParseExplicit("x.txt", []byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseExplicit(%q):\n got %v\nwant %s", tt.src, err, tt.want)
		}
	}
}

func TestParsePipLine(t *testing.T) {
	tests := []struct {
		in   string
		want PipLine
		err  string
	}{
		{in: "numpy", want: PipLine{Name: "numpy"}},
		{in: "torch-geometric==2.5.3", want: PipLine{Name: "torch-geometric", Rest: "==2.5.3"}},
		{in: "jax[cuda12] >=0.4.30  # gpu", want: PipLine{Name: "jax", Rest: "[cuda12] >=0.4.30"}},
		{in: `tomli ; python_version < "3.11"`, want: PipLine{Name: "tomli", Rest: `; python_version < "3.11"`}},
		{in: "clip @ git+https://github.com/openai/CLIP.git", want: PipLine{Name: "clip", Rest: "@ git+https://github.com/openai/CLIP.git"}},
		{in: "git+https://github.com/org/repo.git@v1#egg=repo", want: PipLine{Name: "repo", Rest: "@ git+https://github.com/org/repo.git@v1"}},
		{in: "https://files.example.org/pkg-1.0-py3-none-any.whl", want: PipLine{Name: "pkg", Rest: "@ https://files.example.org/pkg-1.0-py3-none-any.whl"}},
		{in: "-r requirements.txt", want: PipLine{Option: "requirement", Value: "requirements.txt"}},
		{in: "--requirement=dev.txt", want: PipLine{Option: "requirement", Value: "dev.txt"}},
		{in: "--index-url https://pypi.org/simple", want: PipLine{Option: "index-url", Value: "https://pypi.org/simple"}},
		{in: "-e .", want: PipLine{Option: "editable", Value: "."}},
		{in: "-e git+https://github.com/CompVis/taming-transformers.git@master#egg=taming-transformers", want: PipLine{Option: "editable", Value: "git+https://github.com/CompVis/taming-transformers.git@master#egg=taming-transformers", Name: "taming-transformers", Rest: "@ git+https://github.com/CompVis/taming-transformers.git@master"}},
		{in: "--pre", want: PipLine{Option: "pre"}},
		{in: "# only a comment", want: PipLine{}},
		{in: "torch 2.3", err: `invalid requirement "torch 2.3": unexpected "2.3" after the name`},
		{in: "==1.0", err: `invalid requirement "==1.0": want a project name first (PEP 508)`},
		{in: "--frobnicate", err: `unknown pip option "--frobnicate"`},
		{in: "-r", err: "pip option --requirement needs a value"},
		{in: "git+https://github.com/org/repo.git", err: `requirement URL "git+https://github.com/org/repo.git" does not name its project: add "#egg=NAME"`},
	}
	for _, tt := range tests {
		got, err := ParsePipLine(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParsePipLine(%q): error %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePipLine(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParsePipLine(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseRequirements(t *testing.T) {
	got := ParseRequirements("r.txt", []byte("# top\nnumpy \\\n  >=1.26\n\nscipy  # sci\n"))
	want := []Item{{"numpy   >=1.26", Pos{"r.txt", 2, 1}}, {"scipy", Pos{"r.txt", 5, 1}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseSpecList(t *testing.T) {
	got, err := ParseSpecList("s.txt", []byte("# docs\n  breathe\ncython>3.1.1 # pinned\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{"breathe", Pos{"s.txt", 2, 3}}, {"cython>3.1.1", Pos{"s.txt", 3, 1}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// TestShared parses the real files of conda, mamba and rattler in
// ../shared/data/envfiles with the parser their kind calls for.
func TestShared(t *testing.T) {
	for _, dir := range []string{"envfiles/environment-yml", "envfiles/explicit"} {
		root := testdata.SharedPath(t, dir)
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(root, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			switch Detect(data) {
			case KindEnvironment:
				env, err := ParseEnvironment(e.Name(), data)
				if err != nil {
					t.Errorf("%s: %v", e.Name(), err)
					continue
				}
				if len(env.Dependencies)+len(env.Selected) == 0 {
					t.Errorf("%s: no dependencies", e.Name())
				}
				for _, p := range env.Pip {
					if _, err := ParsePipLine(p.Value); err != nil {
						t.Errorf("%s: %v: %v", e.Name(), p.Pos, err)
					}
				}
			case KindExplicit:
				ex, err := ParseExplicit(e.Name(), data)
				if err != nil {
					t.Errorf("%s: %v", e.Name(), err)
					continue
				}
				if len(ex.Packages) == 0 || ex.Platform == "" {
					t.Errorf("%s: %d packages, platform %q", e.Name(), len(ex.Packages), ex.Platform)
				}
			case KindSpecList:
				items, err := ParseSpecList(e.Name(), data)
				if err != nil || len(items) == 0 {
					t.Errorf("%s: %d specs, %v", e.Name(), len(items), err)
				}
			}
		}
	}
}
