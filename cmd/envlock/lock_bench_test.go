package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/internal/testdata"
)

func benchLock(b *testing.B, dir string) {
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Dir: dir, Getenv: func(k string) string {
		if k == "XDG_CACHE_HOME" {
			return filepath.Join(dir, ".cache")
		}
		return ""
	}}
	for b.Loop() {
		os.Remove(filepath.Join(dir, "env.lock"))
		if code := run(context.Background(), env, []string{"lock"}); code != 0 {
			b.Fatalf("lock: exit %d: %s", code, env.Stderr)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/lock")
}

// BenchmarkLockQuickstart is `envlock lock` on the bundled example (two
// platforms), from loading env.cue to writing env.lock.
func BenchmarkLockQuickstart(b *testing.B) {
	root, err := testdata.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	copyDir(b, filepath.Join(root, "examples", "quickstart"), dir)
	benchLock(b, dir)
}

// BenchmarkLockSubset3Platforms locks a python stack for linux-64,
// osx-arm64 and win-64 against the real conda-forge subset.
func BenchmarkLockSubset3Platforms(b *testing.B) {
	subset := testdata.SharedPath(b, "repodata/conda-forge-py39-subset")
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "env.cue"), []byte(`package env

name: "py39"
channels: ["file://`+filepath.ToSlash(subset)+`"]
platforms: ["linux-64", "osx-arm64", "win-64"]
dependencies: {
	python: "3.9.*"
	pip: "*"
	setuptools: "*"
	curl: "*"
	zstd: "*"
}
`), 0o644)
	benchLock(b, dir)
}
