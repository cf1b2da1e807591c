package foreign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeMeta(t testing.TB, records map[string]string) string {
	prefix := t.TempDir()
	meta := filepath.Join(prefix, "conda-meta")
	if err := os.MkdirAll(filepath.Join(meta, "envlock"), 0o755); err != nil {
		t.Fatal(err)
	}
	for n, c := range records {
		if err := os.WriteFile(filepath.Join(meta, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return prefix
}

const zlibRecord = `{"name":"zlib","version":"1.3.1","build":"h0_2","build_number":2,"subdir":"linux-64",
"channel":"https://conda.anaconda.org/conda-forge/linux-64","url":"https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-h0_2.conda",
"sha256":"` + "d4bfe88d7cb447768e31650f06257995601f89076080e76df55e3112d4e47dc4" + `","md5":"41b599ed2b02abcfdd84302bff174b23","depends":["__glibc >=2.17"],
"track_features":"","noarch":null,"files":["lib/libz.so"]}`

func TestFromPrefix(t *testing.T) {
	f, notes, err := FromPrefix(writeMeta(t, map[string]string{"zlib-1.3.1-h0_2.json": zlibRecord, "history": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 0 || f.Format != Prefix || len(f.Platforms) != 1 || f.Platforms[0].Platform != "linux-64" ||
		len(f.Channels) != 1 || f.Channels[0] != "https://conda.anaconda.org/conda-forge" {
		t.Fatalf("got %+v, notes %q", f, notes)
	}
	z := f.Platforms[0].Packages[0]
	if z.Channel != "https://conda.anaconda.org/conda-forge" || z.BuildNumber != 2 || z.Subdir != "linux-64" || len(z.Depends) != 1 {
		t.Errorf("zlib = %+v", z)
	}

	for _, tc := range []struct {
		name    string
		records map[string]string
		want    string
	}{
		{"no sha256", map[string]string{"a-1-0.json": `{"name":"a","version":"1","build":"0","subdir":"linux-64","url":"https://x/c/linux-64/a-1-0.conda"}`},
			"a 1 0 has no sha256 and its archive is not in the package cache"},
		{"two platforms", map[string]string{"zlib-1.3.1-h0_2.json": zlibRecord,
			"b-1-0.json": `{"name":"b","version":"1","build":"0","subdir":"osx-arm64","url":"https://x/c/osx-arm64/b-1-0.conda","sha256":"` + strings.Repeat("a", 64) + `"}`},
			"holds packages for"},
		{"not a record", map[string]string{"c.json": `[1,2]`}, "c.json: not a package record"},
		{"URL is no archive", map[string]string{"d-1-0.json": `{"name":"d","version":"1","build":"0","subdir":"noarch","url":"https://x/d","sha256":"` + strings.Repeat("b", 64) + `"}`},
			"is not a conda package archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FromPrefix(writeMeta(t, tc.records))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, _, err := FromPrefix(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is not a conda environment (it has no conda-meta directory)") {
		t.Errorf("no conda-meta: %v", err)
	}
}

// FuzzFromPrefix: any record content is an error or a file, never a panic.
func FuzzFromPrefix(f *testing.F) {
	f.Add([]byte(zlibRecord))
	f.Add([]byte(`{"name":"x","noarch":true,"track_features":["a"],"url":"./c/noarch/x-1-0.tar.bz2","sha256":"00"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		prefix := writeMeta(t, map[string]string{"x-1-0.json": string(data)})
		FromPrefix(prefix)
	})
}
