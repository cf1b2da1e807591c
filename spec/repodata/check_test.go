package repodata

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/spec/ident"
)

var (
	sha = strings.Repeat("ab", 32)
	md5 = strings.Repeat("cd", 16)
)

// hostile is a repodata.json whose records each break one rule, beside
// one good record.
var hostile = `{
  "info": {"subdir": "linux-64"},
  "packages.conda": {
    "good-1.0-0.conda": {"name": "good", "version": "1.0", "build": "0", "sha256": "` + sha + `", "md5": "` + md5 + `"},
    "x-1.0-0/../../x.conda": {"name": "x", "version": "1.0", "build": "0/../../x"},
    "..-1.0-0.conda": {"name": "..", "version": "1.0", "build": "0"},
    "y-..-0.conda": {"name": "y", "version": "..", "build": "0"},
    "other-1.0-0.conda": {"name": "z", "version": "1.0", "build": "0"},
    "z-1.0-0.zip": {"name": "z", "version": "1.0", "build": "0"},
    "../z-1.0-0.conda": {"name": "z", "version": "1.0", "build": "0"},
    "h-1.0-0.conda": {"name": "h", "version": "1.0", "build": "0", "sha256": "../../etc/passwd"},
    "m-1.0-0.conda": {"name": "m", "version": "1.0", "build": "0", "md5": "zz"},
    "p-1.0-0.conda": {"name": "p", "version": "1.0", "build": "0", "python_site_packages_path": "../../x"},
    "q-1.0-0.conda": {"name": "q", "version": "1.0", "build": "0", "python_site_packages_path": "/usr/lib"},
    "s-1.0-0.conda": {"name": "s", "version": "1.0", "build": "0", "subdir": "../linux-64"},
    "o-1.0-0.conda": {"name": "o", "version": "1.0", "build": "0", "subdir": "osx-64"},
    "n-1.0-0.conda": {"name": "n", "version": "1.0", "build": "0", "noarch": "weird"},
    "b-1.0-0.conda": {"name": "b", "version": "1.0", "build": "0", "build_number": -1},
    "c-1.0-0.conda": {"name": "c", "version": "1.0", "build": "0", "size": -1},
    "d-1.0-0.conda": {"name": "d", "version": "1.0", "build": "0", "size": 1e30},
    "e-1.0-0.conda": {"name": "e", "version": "1.0", "build": "0", "build_number": 9007199254740993}
  }
}`

// TestHostileRecords checks that a record with a bad identity is dropped
// and reported, the rest of the channel kept.
func TestHostileRecords(t *testing.T) {
	rd, err := Parse([]byte(hostile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Records) != 1 || rd.Records[0].Name != "good" {
		t.Fatalf("records %v, want only good", rd.Records)
	}
	want := []string{
		`record "x-1.0-0/../../x.conda": build: "0/../../x" is not a valid build string`,
		`record "..-1.0-0.conda": name: ".." is not a valid package name`,
		`record "y-..-0.conda": version: ".." is not a valid version`,
		`record "other-1.0-0.conda": fn: "other-1.0-0.conda" is not a valid file name (want z-1.0-0.conda`,
		`record "z-1.0-0.zip": fn: "z-1.0-0.zip" is not a valid file name (a conda package ends in .conda or .tar.bz2)`,
		`record "../z-1.0-0.conda": fn: "../z-1.0-0.conda" is not a valid file name`,
		`record "h-1.0-0.conda": sha256: "../../etc/passwd" is not a valid sha256`,
		`record "m-1.0-0.conda": md5: "zz" is not a valid md5`,
		`record "p-1.0-0.conda": python_site_packages_path: "../../x" is not a valid python_site_packages_path`,
		`record "q-1.0-0.conda": python_site_packages_path: "/usr/lib" is not a valid python_site_packages_path`,
		`record "s-1.0-0.conda": subdir: "../linux-64" is not a valid subdir`,
		`record "o-1.0-0.conda": subdir: osx-64, in the repodata of linux-64`,
		`record "n-1.0-0.conda": noarch: "weird" is neither "generic" nor "python"`,
		`record "b-1.0-0.conda": build_number: -1 is negative`,
		`record "c-1.0-0.conda": size: -1 is negative`,
		`record "d-1.0-0.conda": size: `, // out of range: negative on amd64, saturated on arm64
		`record "e-1.0-0.conda": build_number: 9007199254740993 is larger than 9007199254740991`,
	}
	if len(rd.Invalid) != len(want) {
		t.Errorf("%d invalid records, want %d: %v", len(rd.Invalid), len(want), rd.Invalid)
	}
	for i, w := range want {
		if i >= len(rd.Invalid) {
			break
		}
		var re *RecordError
		if !errors.As(rd.Invalid[i], &re) || !strings.HasPrefix(rd.Invalid[i].Error(), w) {
			t.Errorf("invalid[%d] = %v\nwant       %s…", i, rd.Invalid[i], w)
		}
	}
	var ie *ident.Error
	if !errors.As(rd.Invalid[0], &ie) || ie.Kind != "build string" {
		t.Errorf("%v does not unwrap to an ident.Error", rd.Invalid[0])
	}
}

func TestUpperCaseHex(t *testing.T) {
	rd, err := Parse([]byte(`{"packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "sha256": "` + strings.ToUpper(sha) + `"}}}`))
	if err != nil || len(rd.Records) != 1 || rd.Records[0].SHA256 != sha {
		t.Fatalf("%v %+v", err, rd)
	}
}

// knownBadFixtures are the records of ../shared/data whose file name is
// not name-version-build: dummies in conda's own solver fixtures.
var knownBadFixtures = []string{
	"anaconda-custom-0.tar.bz2",
	"_dummy_anaconda_impl-1.0-0.tar.bz2",
	"_dummy_anaconda_impl-2.0-0.tar.bz2",
}

// TestSharedIdentities checks the grammar against real channels: every
// record of every repodata file under ../shared/data passes Check, but
// for conda's dummy test fixtures.
func TestSharedIdentities(t *testing.T) {
	root := testdata.SharedDir(t)
	n, bad := 0, 0
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
				return err
			}
		}
		rel, _ := filepath.Rel(root, path)
		var invalid []error
		if bytes.Contains(data[:min(len(data), 4096)], []byte(`"packages"`)) || bytes.Contains(data, []byte(`"info"`)) {
			rd, err := Parse(data)
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				return nil
			}
			invalid = rd.Invalid
			n += len(rd.Records)
		} else {
			s := &scanner{data: data}
			sp := s.spans()
			if s.err != nil {
				t.Errorf("%s: %v", rel, s.err)
				return nil
			}
			recs, inv, err := decodeSpans(data, sp, "")
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				return nil
			}
			invalid = inv
			n += len(recs)
		}
		for _, err := range invalid {
			var re *RecordError
			if errors.As(err, &re) && re.Field == "fn" && slices.Contains(knownBadFixtures, re.Fn) {
				bad++
				continue
			}
			t.Errorf("%s: a real record refused: %v", rel, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d records pass, %d known fixtures refused", n, bad)
	if n < 10000 {
		t.Errorf("checked only %d records", n)
	}
}

// BenchmarkCheck measures Record.Check alone over a real repodata: what
// validation adds to BenchmarkParse, per record.
func BenchmarkCheck(b *testing.B) {
	data, err := os.ReadFile(testdata.SharedPath(b, "repodata/conda-forge-py39-subset/linux-64/repodata.json"))
	if err != nil {
		b.Fatal(err)
	}
	rd, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rd.Records {
			if err := r.checkIn("linux-64"); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rd.Records)), "ns/record")
}
