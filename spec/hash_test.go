package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hashBase is the manifest whose variants TestHash compares.
const hashBase = `package env

// A comment.
name: "ml"
channels: ["conda-forge", "bioconda"]
platforms: ["linux-64", "osx-arm64"]
dependencies: {
	python: "3.11.*"
	numpy:  ">=1.26"
	pytorch: {version: "2.3.*", channel: "pytorch"}
}
pypi: "torch-geometric": "==2.5.3"
system: {glibc: "2.28", cuda: "12.2"}
env: OMP_NUM_THREADS: "1"
kernel: display_name: "ML"
target: "linux-64": dependencies: pytorch: {version: "2.3.*", build: "cuda*", channel: "pytorch"}
`

func loadString(t *testing.T, files map[string]string) *Manifest {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Load(dir, &LoadOptions{Host: "linux-64"})
	if err != nil {
		t.Fatalf("Load:\n%v\nsource:\n%s", err, files["env.cue"])
	}
	return m
}

// TestHashStable checks that the hash ignores what does not change the
// manifest's meaning: layout, key order, comments, file splits, spellings
// of the same MatchSpec, channel or PyPI name, defaults written out.
func TestHashStable(t *testing.T) {
	want := loadString(t, map[string]string{"env.cue": hashBase}).Hash()
	variants := map[string]map[string]string{
		"reformatted": {"env.cue": `package env
name: "ml", channels: ["conda-forge",
  "bioconda"], platforms: ["linux-64", "osx-arm64"]
dependencies: {python: "3.11.*", numpy: ">=1.26", pytorch: {channel: "pytorch", version: "2.3.*"}}
pypi: {"torch-geometric": "==2.5.3"}
system: {cuda: "12.2", glibc: "2.28"}
env: {OMP_NUM_THREADS: "1"}
kernel: {display_name: "ML"}
target: {"linux-64": {dependencies: {pytorch: {build: "cuda*", channel: "pytorch", version: "2.3.*"}}}}
`},
		"reordered": {"env.cue": `package env
target: "linux-64": dependencies: pytorch: {channel: "pytorch", build: "cuda*", version: "2.3.*"}
kernel: display_name: "ML"
env: OMP_NUM_THREADS: "1"
system: {cuda: "12.2", glibc: "2.28"}
pypi: "torch-geometric": "==2.5.3"
dependencies: {
	pytorch: {version: "2.3.*", channel: "pytorch"}
	numpy:  ">=1.26"
	python: "3.11.*"
}
platforms: ["osx-arm64", "linux-64"]
channels: ["conda-forge", "bioconda"]
name: "ml"
`},
		"comments": {"env.cue": strings.ReplaceAll(hashBase, "// A comment.", "// Another comment,\n// on two lines.") + "// trailing\n"},
		"split files": {
			"env.cue":  strings.Replace(hashBase, "\tnumpy:  \">=1.26\"\n", "", 1),
			"more.cue": "package env\n\ndependencies: numpy: \">=1.26\"\n",
		},
		"same specs spelt otherwise": {"env.cue": strings.NewReplacer(
			`"3.11.*"`, `"=3.11"`,
			`"torch-geometric"`, `"Torch_Geometric"`,
			`"conda-forge", "bioconda"`, `"https://conda.anaconda.org/conda-forge/", "bioconda"`,
		).Replace(hashBase)},
		"defaults written out": {"env.cue": hashBase + `channel_priority: "strict"
pypi_index: url: "https://pypi.org/simple"
kernel: {name: "ml", env: {}}
`},
	}
	for name, files := range variants {
		t.Run(name, func(t *testing.T) {
			if got := loadString(t, files).Hash(); got != want {
				t.Errorf("hash changed: %s, want %s", got, want)
			}
		})
	}
}

// TestHashSensitive checks that changing any one value changes the hash,
// and that no two changes give the same hash.
func TestHashSensitive(t *testing.T) {
	base := loadString(t, map[string]string{"env.cue": hashBase}).Hash()
	edits := map[string][2]string{
		"name":                  {`name: "ml"`, `name: "ml2"`},
		"channel order":         {`"conda-forge", "bioconda"`, `"bioconda", "conda-forge"`},
		"channel added":         {`"conda-forge", "bioconda"`, `"conda-forge", "bioconda", "nvidia"`},
		"channel_priority":      {`name: "ml"`, `name: "ml", channel_priority: "flexible"`},
		"platform":              {`"linux-64", "osx-arm64"`, `"linux-64", "osx-64"`},
		"dependency version":    {`">=1.26"`, `">=1.27"`},
		"dependency build":      {`numpy:  ">=1.26"`, `numpy:  ">=1.26 py311*"`},
		"dependency channel":    {`{version: "2.3.*", channel: "pytorch"}`, `{version: "2.3.*", channel: "conda-forge"}`},
		"dependency added":      {`python: "3.11.*"`, `python: "3.11.*", scipy: "*"`},
		"pypi spec":             {`"==2.5.3"`, `"==2.5.2"`},
		"pypi added":            {`"torch-geometric": "==2.5.3"`, `{"torch-geometric": "==2.5.3", rich: "*"}`},
		"pypi_index url":        {`name: "ml"`, `name: "ml", pypi_index: url: "https://mirror.example.org/simple"`},
		"pypi_index extra":      {`name: "ml"`, `name: "ml", pypi_index: extra_urls: ["https://download.pytorch.org/whl/cu121"]`},
		"pypi_index find_links": {`name: "ml"`, `name: "ml", pypi_index: find_links: ["wheels"]`},
		"glibc":                 {`glibc: "2.28"`, `glibc: "2.17"`},
		"cuda":                  {`cuda: "12.2"`, `cuda: "12.4"`},
		"linux":                 {`cuda: "12.2"`, `cuda: "12.2", linux: "4.18"`},
		"osx":                   {`cuda: "12.2"`, `cuda: "12.2", osx: "11.0"`},
		"archspec":              {`cuda: "12.2"`, `cuda: "12.2", archspec: "x86_64_v3"`},
		"env value":             {`OMP_NUM_THREADS: "1"`, `OMP_NUM_THREADS: "2"`},
		"kernel display name":   {`display_name: "ML"`, `display_name: "ML!"`},
		"kernel name":           {`kernel: display_name: "ML"`, `kernel: {display_name: "ML", name: "ml-kernel"}`},
		"kernel env":            {`kernel: display_name: "ML"`, `kernel: {display_name: "ML", env: A: "1"}`},
		"kernel off":            {`kernel: display_name: "ML"`, `kernel: false`},
		"target build":          {`build: "cuda*"`, `build: "cuda12*"`},
		"target platform":       {`target: "linux-64"`, `target: "osx-arm64"`},
		"target pypi":           {`target: "linux-64": dependencies`, `target: "linux-64": pypi: jax: "[cuda12]"` + "\ntarget: \"linux-64\": dependencies"},
	}
	seen := map[string]string{base: "base"}
	for name, e := range edits {
		if !strings.Contains(hashBase, e[0]) {
			t.Fatalf("%s: %q not in the base manifest", name, e[0])
		}
		src := strings.Replace(hashBase, e[0], e[1], 1)
		h := loadString(t, map[string]string{"env.cue": src}).Hash()
		if other, ok := seen[h]; ok {
			t.Errorf("%s: same hash as %s", name, other)
		}
		seen[h] = name
	}
}
