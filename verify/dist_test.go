package verify

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRecord(t *testing.T) {
	const record = `requests/__init__.py,sha256=kMxaXQjhJ4p2lNT8B5VvZ_AXSAlc1jeDvCf4xQWlpP4,4924
requests-2.31.0.dist-info/RECORD,,
"requests/odd,name.py",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0
../../../bin/normalizer,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0
../../../../../etc/passwd,,
requests/__pycache__/api.cpython-311.pyc,,
`
	got, err := parseRecord(strings.NewReader(record), "lib/python3.11/site-packages")
	if err != nil {
		t.Fatal(err)
	}
	want := []recordEntry{
		{Path: "lib/python3.11/site-packages/requests/__init__.py", SHA256: "90cc5a5d08e1278a7694d4fc07956f67f01748095cd63783bc27f8c505a5a4fe", Size: 4924},
		{Path: "lib/python3.11/site-packages/requests-2.31.0.dist-info/RECORD", Size: -1},
		{Path: "lib/python3.11/site-packages/requests/odd,name.py", SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Size: 0},
		{Path: "bin/normalizer", SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Size: 0},
		// ../../../../../etc/passwd leaves the prefix: dropped.
		{Path: "lib/python3.11/site-packages/requests/__pycache__/api.cpython-311.pyc", Size: -1},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(recordEntry{})); diff != "" {
		t.Errorf("parseRecord (-want +got):\n%s", diff)
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add("a/b.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n")
	f.Add("\"x,y\",,\n../../z,sha256=!!,abc\n")
	f.Fuzz(func(t *testing.T, s string) {
		es, err := parseRecord(strings.NewReader(s), "lib/python3.11/site-packages")
		if err != nil {
			return
		}
		for _, e := range es {
			if strings.HasPrefix(e.Path, "../") || e.Path == ".." || strings.HasPrefix(e.Path, "/") {
				t.Fatalf("entry %q escapes the prefix", e.Path)
			}
		}
	})
}
