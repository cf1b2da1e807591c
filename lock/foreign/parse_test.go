package foreign

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/internal/testdata"
)

// TestShared imports the real conda-lock and pixi lock files of
// ../shared/data/envfiles/conda-lock (versions 1, 4 and 6).
func TestShared(t *testing.T) {
	dir := testdata.SharedPath(t, "envfiles/conda-lock")
	for _, tc := range []struct {
		file      string
		format    Format
		version   int
		platforms int
		channel   string
		python    map[string]string // platform → python URL suffix
		pyBuild   int64             // its build number
	}{
		{"v0-python-conda-lock.yml", CondaLock, 1, 6, "conda-forge", map[string]string{"linux-64": "linux-64/python-3.11.0-he550d4f_1_cpython.conda"}, 1},
		{"v4-python-lock.yml", Pixi, 4, 6, "conda-forge", map[string]string{"linux-aarch64": "linux-aarch64/python-3.11.0-ha43d526_1_cpython.conda"}, 1},
		{"v6-python-from-conda-only-lock.yml", Pixi, 6, 1, "https://prefix.dev/conda-forge", map[string]string{"osx-arm64": "osx-arm64/python-3.13.0-hbbac1ca_101_cp313.conda"}, 101}, // build_number given: the build string ends in 313
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if fm, ok := Detect(data); !ok || fm != tc.format {
				t.Errorf("Detect = %q, %v", fm, ok)
			}
			f, err := Parse(tc.file, data, "")
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != tc.format || f.Version != tc.version || len(f.Platforms) != tc.platforms || len(f.Channels) != 1 || f.Channels[0] != tc.channel {
				t.Errorf("got %s v%d, %d platforms, channels %v", f.Format, f.Version, len(f.Platforms), f.Channels)
			}
			for _, p := range f.Platforms {
				if len(p.Packages) == 0 {
					t.Errorf("%s: no packages", p.Platform)
				}
				for _, pk := range p.Packages {
					if pk.Subdir != p.Platform && pk.Subdir != "noarch" {
						t.Errorf("%s: %s is for %s", p.Platform, pk.Name, pk.Subdir)
					}
					if len(pk.SHA256) != 64 || len(pk.MD5) != 32 || pk.Channel == "" || pk.Build == "" {
						t.Errorf("%s: incomplete record %+v", p.Platform, pk)
					}
				}
				t.Logf("%s: %d packages", p.Platform, len(p.Packages))
			}
			for plat, suffix := range tc.python {
				pk := f.Platform(plat).packageNamed("python")
				if pk == nil || filepath.ToSlash(pk.URL)[len(pk.URL)-len(suffix):] != suffix || pk.BuildNumber != tc.pyBuild {
					t.Errorf("%s python = %+v", plat, pk)
				}
			}
		})
	}
}
