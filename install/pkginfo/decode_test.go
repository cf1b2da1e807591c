package pkginfo

import (
	"encoding/json"
	"reflect"
	"testing"
)

var pathsSeeds = []string{
	`{"paths": [], "paths_version": 1}`,
	`{"paths":[{"_path":"bin/x","path_type":"hardlink","sha256":"ab","size_in_bytes":12,"prefix_placeholder":"/opt/anaconda1anaconda2anaconda3","file_mode":"text"},{"_path":"lib/l.so","path_type":"softlink","size_in_bytes":0,"no_link":true}],"paths_version":1}`,
	"{\n  \"paths\": [\n    {\n      \"_path\": \"caf\u00e9/x\",\n      \"path_type\": \"directory\"\n    }\n  ],\n  \"paths_version\": 1\n}\n",
	`{"paths_version": 2}`,
	`{}`,
	`{"paths": [{}]}`,
	`{"paths": [{"_path": "a\"b"}]}`,            // an escape: encoding/json
	`{"paths": [{"_PATH": "a"}]}`,               // case-folded key: encoding/json
	`{"paths": [{"_path": "a", "extra": 1}]}`,   // unknown key
	`{"paths": null}`,                           // null
	`{"paths": [{"size_in_bytes": 1.5}]}`,       // float
	`{"paths": [{"size_in_bytes": 01}]}`,        // invalid
	`{"paths": [{"_path": "\xff"}]}`,            // invalid UTF-8
	`{"paths": [{"_path": "a"}], "paths": []}`,  // duplicate paths
	`{"paths": [{"_path": "a", "_path": "b"}]}`, // duplicate key: the last wins
	`{"paths": [{"no_link": false}]} trailing`,  // trailing data
	`{"paths": [{"size_in_bytes": -0}]}`,
	`{"paths": [{"size_in_bytes": 99999999999999999999}]}`,
	`{"paths_version": 1,}`,
	``,
}

// TestDecodePaths checks the fast paths.json decoder on the shape
// conda-build writes, and that it gives up where encoding/json must
// decide.
func TestDecodePaths(t *testing.T) {
	v, ps, ok := decodePaths([]byte(pathsSeeds[1]))
	want := []Path{
		{Path: "bin/x", Type: HardLink, SHA256: "ab", Size: 12, Placeholder: "/opt/anaconda1anaconda2anaconda3", Mode: Text},
		{Path: "lib/l.so", Type: SoftLink, NoLink: true},
	}
	if !ok || v != 1 || !reflect.DeepEqual(ps, want) {
		t.Errorf("decodePaths = %d, %+v, %v; want 1, %+v, true", v, ps, ok, want)
	}
	for _, s := range []string{`{"paths": [{"_path": "a\"b"}]}`, `{"paths": [{"_PATH": "a"}]}`, `{"paths": null}`, `{"paths": [{"_path": "\xff"}]}`, `{"paths": [], "paths": []}`} {
		if _, _, ok := decodePaths([]byte(s)); ok {
			t.Errorf("decodePaths(%q) did not leave it to encoding/json", s)
		}
	}
}

// FuzzDecodePaths: wherever the fast decoder answers, encoding/json
// decodes the same bytes without error to the same value.
func FuzzDecodePaths(f *testing.F) {
	for _, s := range pathsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, ps, ok := decodePaths(data)
		if !ok {
			return
		}
		var pj pathsJSON
		if err := json.Unmarshal(data, &pj); err != nil {
			t.Fatalf("decodePaths accepted %q, encoding/json says %v", data, err)
		}
		if v != pj.Version || !reflect.DeepEqual(ps, pj.Paths) {
			t.Fatalf("decodePaths(%q) = %d %+v, encoding/json %d %+v", data, v, ps, pj.Version, pj.Paths)
		}
	})
}
