package repodata

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/internal/testdata"
)

const small = `{
  "info": {"subdir": "linux-64", "base_url": "https://mirror.example/cf/linux-64/"},
  "repodata_version": 2,
  "packages": {
    "zlib-1.2.13-h0_5.tar.bz2": {"name": "zlib", "version": "1.2.13", "build": "h0_5", "build_number": 5,
      "depends": ["libgcc-ng >=12"], "md5": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "size": 10, "timestamp": 1700000000},
    "old-1.0-0.tar.bz2": {"name": "old", "version": "1.0", "build": "0", "build_number": 0,
      "depends": [], "noarch": true, "track_features": "mkl debug", "license": null}
  },
  "packages.conda": {
    "zlib-1.2.13-h0_5.conda": {"name": "zlib", "version": "1.2.13", "build": "h0_5", "build_number": 5,
      "depends": ["libgcc-ng >=12"], "constrains": ["zlib-ng <0"], "sha256": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "md5": "cccccccccccccccccccccccccccccccc",
      "size": 20, "timestamp": 1700000000123, "license": "Zlib", "noarch": null,
      "python_site_packages_path": "lib/python3.13t/site-packages", "extra": {"nested": [1, {"a": "b"}]}}
  },
  "removed": ["gone-1.0-0.tar.bz2"]
}`

func TestParseSmall(t *testing.T) {
	rd, err := Parse([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	if rd.Info.Subdir != "linux-64" || rd.Info.BaseURL != "https://mirror.example/cf/linux-64/" || rd.Version != 2 {
		t.Errorf("info = %+v, version %d", rd.Info, rd.Version)
	}
	if len(rd.Removed) != 1 || rd.Removed[0] != "gone-1.0-0.tar.bz2" {
		t.Errorf("removed = %v", rd.Removed)
	}
	if len(rd.Records) != 2 {
		t.Fatalf("%d records, want 2 (the .tar.bz2 twin of the .conda dropped)", len(rd.Records))
	}
	z := rd.Records[0]
	if z.Fn != "zlib-1.2.13-h0_5.conda" || z.SHA256 != strings.Repeat("b", 64) || z.Timestamp != 1700000000123 ||
		z.Constrains[0] != "zlib-ng <0" || z.License != "Zlib" || z.Subdir != "linux-64" ||
		z.PythonSitePackagesPath != "lib/python3.13t/site-packages" || z.BuildNumber != 5 || z.Noarch != "" {
		t.Errorf("zlib record = %+v", z)
	}
	if !z.ParsedVersion().Equal(z.ParsedVersion()) || z.ParsedVersion().String() != "1.2.13" {
		t.Errorf("version not parsed: %v", z.ParsedVersion())
	}
	o := rd.Records[1]
	if o.Noarch != "generic" || strings.Join(o.TrackFeatures, ",") != "mkl,debug" || o.License != "" || o.Timestamp != 0 {
		t.Errorf("old record = %+v", o)
	}
	if o.Depends == nil || len(o.Depends) != 0 {
		t.Errorf("empty depends = %#v, want empty non-nil", o.Depends)
	}
}

func TestTimestampSeconds(t *testing.T) {
	rd, err := Parse([]byte(`{"packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "timestamp": 1600000000.5}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := rd.Records[0].Timestamp; got != 1600000000000 {
		t.Errorf("timestamp = %d, want seconds converted to ms", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{``, "unexpected end of input"},
		{`{"packages": {"a": {"name": "a", "version": "1"}`, "expected ',' or '}' in object"},
		{`{"packages": {"a": [1]}}`, `record for "a" is not an object`},
		{`{"packages": {"a": {"name": "a"}}}`, `record "a": missing name or version`},
		{`{"packages": {"a": {"name": "a", "version": 1}}}`, `record "a": line 1, column 45 (byte 44): expected '"', found '1'`},
		{"{\"info\": {\"subdir\": \"x\nyz\"}}", "control character in string"},
		{`{} x`, "unexpected data after the top-level object"},
		{`{"packages": {"a": {"name": "a", "version": "1", "build_number": "x"}}}`, "expected a number"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %q", tc.in, tc.msg)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) = %v, want it to contain %q", tc.in, err, tc.msg)
		}
	}
	var se *SyntaxError
	_, err := Parse([]byte("{\n  \"packages\": 7x}"))
	if !errors.As(err, &se) || se.Line != 2 {
		t.Errorf("error %v: want a *SyntaxError on line 2", err)
	}
}

// TestAgainstEncodingJSON decodes the real files with encoding/json too
// and compares every field the scanner fills.
func TestAgainstEncodingJSON(t *testing.T) {
	path := testdata.SharedPath(t, "repodata/conda-forge-py39-subset/linux-64/repodata.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Packages      map[string]map[string]any `json:"packages"`
		PackagesConda map[string]map[string]any `json:"packages.conda"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	want := len(ref.PackagesConda)
	for fn := range ref.Packages {
		if _, twin := ref.PackagesConda[strings.TrimSuffix(fn, ".tar.bz2")+".conda"]; !twin {
			want++
		}
	}
	if len(rd.Records) != want {
		t.Fatalf("%d records, want %d", len(rd.Records), want)
	}
	for _, r := range rd.Records {
		m := ref.PackagesConda[r.Fn]
		if m == nil {
			m = ref.Packages[r.Fn]
		}
		if m["name"] != r.Name || m["version"] != r.Version || m["build"] != r.Build || int64(m["build_number"].(float64)) != r.BuildNumber {
			t.Fatalf("%s: got %s %s %s %d, encoding/json says %v", r.Fn, r.Name, r.Version, r.Build, r.BuildNumber, m)
		}
		deps, _ := m["depends"].([]any)
		if len(deps) != len(r.Depends) {
			t.Fatalf("%s: %d depends, want %d", r.Fn, len(r.Depends), len(deps))
		}
		for i, d := range deps {
			if d.(string) != r.Depends[i] {
				t.Fatalf("%s: depends[%d] = %q, want %q", r.Fn, i, r.Depends[i], d)
			}
		}
		if sha, _ := m["sha256"].(string); sha != r.SHA256 {
			t.Fatalf("%s: sha256 %q, want %q", r.Fn, r.SHA256, sha)
		}
	}
}

// TestSharedRepodata parses every repodata file under ../shared/data.
func TestSharedRepodata(t *testing.T) {
	root := testdata.SharedDir(t)
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".json.zst") || strings.Contains(path, "envfiles") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(name, ".zst") {
			dec, _ := zstd.NewReader(nil)
			data, err = dec.DecodeAll(data, nil)
			dec.Close()
			if err != nil {
				t.Errorf("%s: %v", path, err)
				return nil
			}
		}
		rel, _ := filepath.Rel(root, path)
		var count int
		if bytes.Contains(data[:min(len(data), 4096)], []byte(`"packages"`)) || bytes.Contains(data, []byte(`"info"`)) {
			rd, err := Parse(data)
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				return nil
			}
			count = len(rd.Records)
		} else {
			recs, err := ParseIndex(data)
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				return nil
			}
			count = len(recs)
		}
		if count == 0 && !strings.Contains(rel, "noarch") {
			t.Errorf("%s: no records", rel)
		}
		t.Logf("%s: %d records", rel, count)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("parsed only %d files", n)
	}
}

func BenchmarkParse(b *testing.B) {
	path := testdata.SharedPath(b, "repodata/conda-forge-py39-subset/linux-64/repodata.json")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		rd, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		n = len(rd.Records)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkParseEncodingJSON is the reference the scanner is measured
// against.
func BenchmarkParseEncodingJSON(b *testing.B) {
	path := testdata.SharedPath(b, "repodata/conda-forge-py39-subset/linux-64/repodata.json")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v struct {
			Packages      map[string]json.RawMessage `json:"packages"`
			PackagesConda map[string]json.RawMessage `json:"packages.conda"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
		for _, m := range []map[string]json.RawMessage{v.Packages, v.PackagesConda} {
			for _, raw := range m {
				var r struct {
					Name, Version, Build string
					BuildNumber          int64 `json:"build_number"`
					Depends              []string
					SHA256               string
					Timestamp            int64
				}
				json.Unmarshal(raw, &r)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte(hostile))
	f.Add([]byte(`{"packages": {"a-1-0.tar.bz2": {"name": "a\u00e9", "version": "1", "build": "0", "depends": ["b \"x\""]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := Parse(data)
		if err != nil {
			return
		}
		for _, r := range rd.Records {
			if r.Name == "" || r.Version == "" {
				t.Fatalf("record without name or version: %+v", r)
			}
			// What Parse keeps has passed the identity grammar.
			if err := r.Check(); err != nil {
				t.Fatalf("kept a record that fails Check: %v", err)
			}
		}
	})
}
