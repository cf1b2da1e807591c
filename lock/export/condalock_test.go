package export

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/spec/envfile"
)

// condaLockVersion is the conda-lock .ci/run installs.
const condaLockVersion = "4.0.3"

// condaLockPeer returns a python that can import conda_lock, checking
// its version, or stops the test through testenv.
func condaLockPeer(t *testing.T) string {
	t.Helper()
	py := testenv.Tool(t, "python3", "the conda-lock cross-check needs it")
	out, err := exec.Command(py, "-c", "import conda_lock; print(conda_lock.__version__)").CombinedOutput()
	if err != nil {
		testenv.Missing(t, "conda-lock", "python3 -m pip install conda-lock=="+condaLockVersion+", as .ci/run does: "+strings.TrimSpace(string(out)))
	}
	testenv.Version(t, "conda-lock", string(out), condaLockVersion)
	return py
}

// readByCondaLock is conda-lock's own reader of conda-lock.yml: its
// pydantic models validate the file (unknown fields, md5 of conda
// packages, version) and it returns the packages as conda-lock sees them.
const readByCondaLock = `
import json, pathlib, sys
from conda_lock.lockfile import parse_conda_lock_file
lf = parse_conda_lock_file(pathlib.Path(sys.argv[1]))
json.dump({
    "platforms": lf.metadata.platforms,
    "channels": [c.url for c in lf.metadata.channels],
    "package": [dict(name=p.name, version=p.version, manager=p.manager, platform=p.platform,
                     url=p.url, md5=p.hash.md5, sha256=p.hash.sha256, dependencies=p.dependencies,
                     categories=sorted(p.categories)) for p in lf.package],
}, sys.stdout)
`

// TestCondaLockPeer has conda-lock read envlock's conda-lock.yml with its
// own models (v1, converted to its v2 in memory), and render it to @EXPLICIT files (what "conda-lock install"
// feeds conda), offline: every package of the lock comes back with its
// URL and hashes.
func TestCondaLockPeer(t *testing.T) {
	py := condaLockPeer(t)
	for name, l := range goldenLocks(t) {
		dir := t.TempDir()
		data, err := CondaLock(l, nil, "/project")
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "conda-lock.yml")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", readByCondaLock, file).Output()
		if err != nil {
			t.Fatalf("%s: conda-lock rejects envlock's conda-lock.yml: %v\n%s", name, err, stderr(err))
		}
		var got struct {
			Platforms []string
			Channels  []string
			Package   []struct {
				Name, Version, Manager, Platform, URL, MD5, SHA256 string
				Dependencies                                       map[string]string
				Categories                                         []string
			}
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Platforms) != len(l.Platforms) {
			t.Errorf("%s: conda-lock sees platforms %v", name, got.Platforms)
		}
		seen := 0
		for _, g := range got.Package {
			p := l.Platform(g.Platform)
			if p == nil {
				t.Errorf("%s: package %s for unknown platform %s", name, g.Name, g.Platform)
				continue
			}
			if len(g.Categories) != 1 || g.Categories[0] != "main" {
				t.Errorf("%s: %s: categories %v", name, g.Name, g.Categories)
			}
			switch g.Manager {
			case "conda":
				pk := p.Package(g.Name)
				if pk == nil || pk.Version != g.Version || pk.MD5 != g.MD5 || pk.SHA256 != g.SHA256 || len(g.Dependencies) > len(pk.Depends) {
					t.Errorf("%s %s: conda-lock read %+v, lock has %+v", name, g.Platform, g, pk)
				}
			case "pip":
				found := false
				for _, w := range p.PyPI {
					found = found || (w.Name == g.Name && w.Version == g.Version && w.SHA256 == g.SHA256 && w.URL == g.URL)
				}
				if !found {
					t.Errorf("%s %s: conda-lock read wheel %+v, not in the lock", name, g.Platform, g)
				}
			default:
				t.Errorf("%s: manager %q", name, g.Manager)
			}
			seen++
		}
		want := 0
		for _, p := range l.Platforms {
			want += len(p.Packages) + len(p.PyPI)
		}
		if seen != want {
			t.Errorf("%s: conda-lock read %d packages, the lock has %d", name, seen, want)
		}

		// conda-lock render: the @EXPLICIT files "conda-lock install" uses.
		args := []string{"-m", "conda_lock", "render", "--kind", "explicit", "--filename-template", filepath.Join(dir, "render-{platform}.txt")}
		for _, p := range l.Platforms {
			args = append(args, "-p", p.Platform)
		}
		cmd := exec.Command(py, append(args, file)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: conda-lock render: %v\n%s", name, err, out)
		}
		for _, p := range l.Platforms {
			txt, err := os.ReadFile(filepath.Join(dir, "render-"+p.Platform+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			ex, err := envfile.ParseExplicit("render.txt", txt)
			if err != nil {
				t.Fatalf("%s %s: conda-lock's rendering does not parse: %v\n%s", name, p.Platform, err, txt)
			}
			if len(ex.Packages) != len(p.Packages) {
				t.Errorf("%s %s: conda-lock rendered %d packages, lock has %d:\n%s", name, p.Platform, len(ex.Packages), len(p.Packages), txt)
			}
			for _, e := range ex.Packages {
				pk := p.Package(e.Name)
				if pk == nil || pk.MD5 != e.MD5 || pk.Build != e.Build {
					t.Errorf("%s %s: rendered %s (md5 %s), lock has %+v", name, p.Platform, e.URL, e.MD5, pk)
				}
			}
		}
	}
}

func stderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
