package export

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/internal/golden"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/google/go-cmp/cmp"
)

// subsetManifest is the manifest of testdata/subset.lock.
const subsetManifest = `package env

name:      "py39"
channels:  ["conda-forge"]
platforms: ["linux-64", "osx-arm64", "win-64"]
dependencies: {
	python: "3.9.*"
	pip:    "*"
}
pypi: {
	six:   "==1.16.0"
	tomli: "==2.0.1"
}
env: {PYTHONNOUSERSITE: "1", OMP_NUM_THREADS: "1"}
`

// subsetWheels are the wheels of testdata/subset.lock, written by hand
// while the PyPI resolver is not part of the lock stage.
func subsetWheels() []*lockfile.Wheel {
	return []*lockfile.Wheel{
		{Name: "six", Version: "1.16.0", URL: "https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl",
			SHA256: "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254", Size: 11053, RequiresPython: ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*", Tags: []string{"py2-none-any", "py3-none-any"}, Requested: "six==1.16.0"},
		{Name: "tomli", Version: "2.0.1", URL: "https://files.pythonhosted.org/packages/97/75/10a9ebee3fd790d20926a90a2547f0bf78f371b2f13aa822c759680ca7b9/tomli-2.0.1-py3-none-any.whl",
			SHA256: "939de3e7a6161af0c887ef91b7d41a53e7c5a1ca976325f429cb46ea9bc30ecc", Size: 12757, RequiresPython: ">=3.7", Tags: []string{"py3-none-any"}, Requested: "tomli==2.0.1"},
	}
}

// TestSubsetLock solves subsetManifest against the real conda-forge
// subset in ../shared/data and checks the result is testdata/subset.lock
// (with -update, writes it), so the golden tests of every format run on a
// real 3-platform lock even where the shared data is absent.
func TestSubsetLock(t *testing.T) {
	base := testdata.SharedPath(t, "repodata/conda-forge-py39-subset")
	dir := t.TempDir()
	m, err := spec.Load(dir, &spec.LoadOptions{Overlay: map[string][]byte{spec.ManifestFile: []byte(subsetManifest)}})
	if err != nil {
		t.Fatal(err)
	}
	const chanURL = "https://conda.anaconda.org/conda-forge"
	source := func(ctx context.Context, p platform.Platform) ([]*repodata.Record, error) {
		var out []*repodata.Record
		for _, sub := range []string{string(p), "noarch"} {
			data, err := os.ReadFile(filepath.Join(base, sub, "repodata.json"))
			if err != nil {
				return nil, err
			}
			rd, err := repodata.Parse(data)
			if err != nil {
				return nil, err
			}
			for _, r := range rd.Records {
				r.Channel = chanURL
				if r.Subdir == "" {
					r.Subdir = sub
				}
				r.URL = chanURL + "/" + sub + "/" + r.Fn
			}
			out = append(out, rd.Records...)
		}
		return out, nil
	}
	l, err := lock.Resolve(context.Background(), m, lock.Options{
		Channels: []lockfile.Channel{{Name: "conda-forge", URL: chanURL}},
		Source:   source,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range l.Platforms {
		p.PyPI = subsetWheels()
	}
	got, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	goldenPath := filepath.Join("testdata", "subset.lock")
	if golden.Update() {
		if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is not what the solver gives now (-want +got):\n%s", goldenPath, cmp.Diff(string(want), string(got)))
	}
}
