package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/spec/virtual"
)

// TestExamples loads every example project's env.cue, checks the rnaseq
// example against the HiPerGator policy, and checks that its env.cue is
// what importing its environment.yml writes today.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*/env.cue")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range dirs {
		dir := filepath.Dir(f)
		if _, err := Load(dir, &LoadOptions{Host: "linux-64"}); err != nil {
			t.Errorf("%s:\n%v", dir, err)
		}
	}
	const rnaseq = "../examples/rnaseq"
	if _, err := Load(rnaseq, &LoadOptions{Host: "linux-64", Policy: "../examples/policy/hipergator.cue"}); err != nil {
		t.Errorf("rnaseq breaks the HiPerGator policy:\n%v", err)
	}
	data, err := os.ReadFile(filepath.Join(rnaseq, "environment.yml"))
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := Import("environment.yml", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := d.Format()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(rnaseq, "env.cue"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("examples/rnaseq/env.cue is not what import writes (-import +file); run envlock import there:\n%s", diff)
	}
}

// TestSchemaDefaults checks the schema's defaults against the Go
// packages that use them.
func TestSchemaDefaults(t *testing.T) {
	m := loadString(t, map[string]string{"env.cue": "package env\nname: \"x\"\n"})
	if m.System.Glibc != virtual.DefaultGlibc {
		t.Errorf("default glibc %q, want 2.17 (virtual.DefaultGlibc)", m.System.Glibc)
	}
	if len(m.Platforms) != 1 || m.Platforms[0] != "linux-64" {
		t.Errorf("default platforms %v, want the host's [linux-64]", m.Platforms)
	}
	if len(m.Channels) != 1 || m.Channels[0] != "conda-forge" {
		t.Errorf("default channels %v, want [conda-forge]", m.Channels)
	}
}
