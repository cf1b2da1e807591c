package channel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/spec/platform"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "local", "chan"), 0o755)
	for _, tc := range []struct{ in, url, name string }{
		{"conda-forge", "https://conda.anaconda.org/conda-forge", "conda-forge"},
		{"https://repo.anaconda.com/pkgs/main/", "https://repo.anaconda.com/pkgs/main", "pkgs/main"},
		{"https://mirror.example.org/conda-forge", "https://mirror.example.org/conda-forge", "https://mirror.example.org/conda-forge"},
		{"file:///srv/chan", "file:///srv/chan", "file:///srv/chan"},
		{"./local/chan", "file://" + filepath.ToSlash(filepath.Join(dir, "local", "chan")), ""},
		{filepath.Join(dir, "local"), "file://" + filepath.ToSlash(filepath.Join(dir, "local")), ""},
	} {
		c, err := Parse(tc.in, dir, "")
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if c.URL != tc.url || (tc.name != "" && c.Name() != tc.name) {
			t.Errorf("Parse(%q) = %q (name %q), want %q (%q)", tc.in, c.URL, c.Name(), tc.url, tc.name)
		}
	}
	if _, err := Parse("conda forge", dir, ""); err == nil {
		t.Error("a name with a space parsed")
	}
}

func TestLoadLocal(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("linux-64/repodata.json", `{"info": {"subdir": "linux-64"}, "packages.conda": {"a-1-0.conda": {"name": "a", "version": "1", "build": "0"}}}`)
	write("noarch/repodata.json", `{"info": {"subdir": "noarch", "base_url": "https://cdn.example/files/"}, "packages": {"b-1-py_0.tar.bz2": {"name": "b", "version": "1", "build": "py_0", "noarch": "python"}}}`)
	c, err := Parse(dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Load(context.Background(), c, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[0].URL != c.URL+"/linux-64/a-1-0.conda" || recs[0].Channel != c.URL {
		t.Errorf("a: url %q channel %q", recs[0].URL, recs[0].Channel)
	}
	if recs[1].URL != "https://cdn.example/files/b-1-py_0.tar.bz2" || recs[1].Subdir != "noarch" {
		t.Errorf("b: url %q subdir %q", recs[1].URL, recs[1].Subdir)
	}
	// A platform the channel lacks.
	if _, err := Load(context.Background(), c, platform.OsxArm64); err != nil {
		t.Errorf("osx-arm64 with only noarch: %v", err)
	}
	empty := t.TempDir()
	ce, _ := Parse(empty, "", "")
	_, err = Load(context.Background(), ce, platform.Linux64)
	if err == nil || !strings.Contains(err.Error(), "has no repodata for linux-64") {
		t.Errorf("empty channel: %v", err)
	}
	write("linux-aarch64/repodata.json", `{"packages": {`)
	_, err = Load(context.Background(), c, platform.LinuxAarch64)
	if err == nil || !strings.Contains(err.Error(), "linux-aarch64/repodata.json: line 1") || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt repodata: %v", err)
	}
}

func TestLoadSubsetZst(t *testing.T) {
	dir := testdata.SharedPath(t, "repodata/conda-forge-py39-subset")
	// Copy only the .zst files so the loader must fall back to them.
	tmp := t.TempDir()
	for _, sub := range []string{"linux-64", "noarch"} {
		data, err := os.ReadFile(filepath.Join(dir, sub, "repodata.json.zst"))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(tmp, sub), 0o755)
		os.WriteFile(filepath.Join(tmp, sub, "repodata.json.zst"), data, 0o644)
	}
	c, _ := Parse(tmp, "", "")
	zrecs, err := Load(context.Background(), c, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := Parse(dir, "", "")
	jrecs, err := Load(context.Background(), c2, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	if len(zrecs) != len(jrecs) || len(jrecs) < 1000 {
		t.Errorf(".zst gave %d records, .json %d", len(zrecs), len(jrecs))
	}
}
