package foreign

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/rattlertest"
)

// pixiWriter solves specs on a channel for two platforms with py-rattler
// and writes the answer with rattler_lock's own writer (LockFile.to_path),
// which writes the newest pixi.lock version (7 for py-rattler 0.28).
const pixiWriter = `
import asyncio, os, sys
from rattler import (BuildString, GenericVirtualPackage, LockChannel, LockFile, LockPlatform,
                     PackageName, Version, solve)
async def main():
    ch, out = sys.argv[1], sys.argv[2]
    plats = {p: LockPlatform(p) for p in ["linux-64", "osx-arm64"]}
    lf = LockFile(list(plats.values()))
    for env in ["default", "tools"]:
        lf.set_channels(env, [LockChannel(ch)])
    for name, lp in plats.items():
        vps = [GenericVirtualPackage(PackageName("__glibc"), Version("2.36"), BuildString("0"))] if name == "linux-64" else []
        for env, specs in [("default", ["greet", "greet-py"]), ("tools", ["greet"])]:
            for r in await solve(sources=[ch], specs=specs, platforms=[name, "noarch"], virtual_packages=vps):
                lf.add_conda_package(env, lp, r)
    lf.to_path(out)
try:
    asyncio.run(main())
except Exception as e:
    print("ERROR", type(e).__name__, e)
    sys.stdout.flush()
    os._exit(1)
sys.stdout.flush()
os._exit(0)
`

// TestPixiV7FromRattler reads a pixi.lock written by py-rattler's own
// writer: every platform and package of the environment, each record's
// hashes and size as the channel's repodata has them, local archives as
// file:// URLs.
func TestPixiV7FromRattler(t *testing.T) {
	py := rattlertest.Python(t)
	dir := t.TempDir()
	ch := filepath.Join(dir, "channel")
	if err := condapkg.WriteDemoChannel(ch, ".conda"); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "w.py")
	if err := os.WriteFile(script, []byte(pixiWriter), 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, "pixi.lock")
	chURL := "file://" + ch
	if out, err := exec.Command(py, script, chURL, lockPath).CombinedOutput(); err != nil {
		t.Fatalf("py-rattler: %v\n%s", err, out)
	}
	data, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "version: 7\n") {
		t.Fatalf("py-rattler wrote another version than 7:\n%s", data)
	}
	if fm, ok := Detect(data); !ok || fm != Pixi {
		t.Errorf("Detect = %q, %v", fm, ok)
	}

	// What the channel's repodata says of each archive.
	type rec struct {
		SHA256, MD5 string
		Size        int64
	}
	want := map[string]rec{}
	for _, sub := range []string{"linux-64", "osx-arm64", "noarch"} {
		b, err := os.ReadFile(filepath.Join(ch, sub, "repodata.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rd struct {
			Conda map[string]rec `json:"packages.conda"`
		}
		if err := json.Unmarshal(b, &rd); err != nil {
			t.Fatal(err)
		}
		for fn, r := range rd.Conda {
			want[chURL+"/"+sub+"/"+fn] = r
		}
	}

	for _, tc := range []struct {
		env  string
		want map[string][]string
	}{
		{"default", map[string][]string{
			"linux-64":  {"greet 1.0.0 h2345678_0", "greet-py 2.0.0 pyh4567890_0", "libgreet 1.0.0 h1234567_0", "python 3.11.2 h0_0_cpython"},
			"osx-arm64": {"greet 1.0.0 m2345678_0", "greet-py 2.0.0 pyh4567890_0", "libgreet 1.0.0 m1234567_0", "python 3.11.2 m0_0_cpython"},
		}},
		{"tools", map[string][]string{
			"linux-64":  {"greet 1.0.0 h2345678_0", "libgreet 1.0.0 h1234567_0"},
			"osx-arm64": {"greet 1.0.0 m2345678_0", "libgreet 1.0.0 m1234567_0"},
		}},
	} {
		t.Run(tc.env, func(t *testing.T) {
			f, err := Parse("pixi.lock", data, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != Pixi || f.Version != 7 || len(f.Channels) != 1 || strings.TrimSuffix(f.Channels[0], "/") != chURL {
				t.Errorf("got %s v%d, channels %q", f.Format, f.Version, f.Channels)
			}
			got := map[string][]string{}
			for _, p := range f.Platforms {
				for _, pk := range p.Packages {
					got[p.Platform] = append(got[p.Platform], pk.Name+" "+pk.Version+" "+pk.Build)
					w, ok := want[pk.URL]
					if !ok {
						t.Errorf("%s: %s: URL %q is no archive of the channel", p.Platform, pk.Name, pk.URL)
						continue
					}
					if pk.SHA256 != w.SHA256 || pk.MD5 != w.MD5 || pk.Size != w.Size {
						t.Errorf("%s: %s: sha256 %s md5 %s size %d, the channel says %+v", p.Platform, pk.Name, pk.SHA256, pk.MD5, pk.Size, w)
					}
				}
				sort.Strings(got[p.Platform])
			}
			for plat, names := range tc.want {
				if strings.Join(got[plat], ", ") != strings.Join(names, ", ") {
					t.Errorf("%s: %q, want %q", plat, got[plat], names)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("platforms %d, want %d", len(got), len(tc.want))
			}
		})
	}
}
