package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/testdata"
)

var update = flag.Bool("update", false, "rewrite golden files")

// copyDir copies the example project into a temporary directory.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// shuffleRepodata rewrites every repodata.json with its records in a
// random order (Go's map encoding sorts keys, so use a random rename
// through a slice of raw entries).
func shuffleRepodata(t *testing.T, dir string, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed))
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || filepath.Base(p) != "repodata.json" {
			return err
		}
		data, _ := os.ReadFile(p)
		var rd map[string]json.RawMessage
		if err := json.Unmarshal(data, &rd); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.WriteString("{")
		keys := []string{"info", "packages", "packages.conda", "repodata_version"}
		r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		first := true
		for _, k := range keys {
			raw, ok := rd[k]
			if !ok {
				continue
			}
			if !first {
				buf.WriteString(",")
			}
			first = false
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteString(":")
			if k == "packages" || k == "packages.conda" {
				var pk map[string]json.RawMessage
				json.Unmarshal(raw, &pk)
				var fns []string
				for fn := range pk {
					fns = append(fns, fn)
				}
				r.Shuffle(len(fns), func(i, j int) { fns[i], fns[j] = fns[j], fns[i] })
				buf.WriteString("{")
				for i, fn := range fns {
					if i > 0 {
						buf.WriteString(",")
					}
					kb, _ := json.Marshal(fn)
					buf.Write(kb)
					buf.WriteString(":")
					buf.Write(pk[fn])
				}
				buf.WriteString("}")
			} else {
				buf.Write(raw)
			}
		}
		buf.WriteString("}")
		return os.WriteFile(p, buf.Bytes(), 0o644)
	})
}

// TestQuickstartLockGolden locks the bundled example in fresh copies
// whose channel lists records in different orders, and compares each
// result byte for byte with the committed examples/quickstart/env.lock.
func TestQuickstartLockGolden(t *testing.T) {
	root, err := testdata.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(root, "examples", "quickstart")
	golden := filepath.Join(example, "env.lock")
	for seed := uint64(0); seed < 3; seed++ {
		dir := t.TempDir()
		copyDir(t, example, dir)
		os.Remove(filepath.Join(dir, "env.lock"))
		if seed > 0 {
			shuffleRepodata(t, filepath.Join(dir, "channel"), seed)
		}
		var stderr bytes.Buffer
		env := &Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(k string) string {
			if k == "XDG_CACHE_HOME" {
				return filepath.Join(dir, ".cache")
			}
			return ""
		}, Dir: dir}
		if code := run(context.Background(), env, []string{"lock"}); code != 0 {
			t.Fatalf("envlock lock: exit %d: %s", code, stderr.String())
		}
		got, err := os.ReadFile(filepath.Join(dir, "env.lock"))
		if err != nil {
			t.Fatal(err)
		}
		if *update && seed == 0 {
			os.WriteFile(golden, got, 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("seed %d: env.lock differs from %s:\n%s", seed, golden, cmp.Diff(string(want), string(got)))
		}
	}
}
