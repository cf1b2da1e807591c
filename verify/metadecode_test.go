package verify

import (
	"encoding/json"
	"reflect"
	"testing"
)

// metaSeeds are conda-meta records as conda, rattler and envlock write
// them, and shapes the fast decoder leaves to encoding/json.
var metaSeeds = []string{
	`{"build":"h4bc722e_7","build_number":7,"channel":"https://conda.anaconda.org/conda-forge/linux-64","constrains":[],"depends":["__glibc >=2.17,<3.0.a0","libgcc >=13"],"extracted_package_dir":"/opt/pkgs/bzip2-1.0.8-h4bc722e_7","features":"","files":["bin/bunzip2","include/bzlib.h"],"fn":"bzip2-1.0.8-h4bc722e_7.conda","license":"bzip2-1.0.6","link":{"source":"/opt/pkgs/bzip2-1.0.8-h4bc722e_7","type":1},"md5":"62ee74e96c5ebb0af99386de58cf9553","name":"bzip2","noarch":null,"package_tarball_full_path":"/opt/pkgs/bzip2-1.0.8-h4bc722e_7.conda","paths_data":{"paths":[{"_path":"bin/bunzip2","path_type":"hardlink","sha256":"a6d0d3e2e1a9c6b3a0b6d1c2f1e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1","sha256_in_prefix":"a6d0d3e2e1a9c6b3a0b6d1c2f1e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1","size_in_bytes":299464},{"_path":"include/bzlib.h","path_type":"hardlink","sha256":"6ac62e608dbf1d2c2f2e0b5c1a1e4b2e8f3a3c1d9e0f7a6b5c4d3e2f1a0b9c8d","size_in_bytes":6240,"file_mode":"text","prefix_placeholder":"/opt/anaconda1anaconda2anaconda3","no_link":false}],"paths_version":1},"requested_spec":"bzip2","sha256":"5a2d4e","size":252783,"subdir":"linux-64","timestamp":1720974522888,"track_features":"","url":"https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-h4bc722e_7.conda","version":"1.0.8"}`,
	`{"name":"six","version":"1.16.0","build":"pyh6c4a22f_0","noarch":"python","package_type":"noarch_python","files":["lib/python3.11/site-packages/six.py"],"paths_data":{"paths_version":1,"paths":[{"_path":"site-packages/six.py","path_type":"hardlink","sha256":"abc","size_in_bytes":34549}]}}`,
	`{"name":"python","version":"3.13.0","build":"h_0","python_site_packages_path":"lib/python3.13t/site-packages","paths_data":{"paths":[]},"link":{"type":2,"source":"/pkgs/python-3.13.0-h_0"}}`,
	`{"name":"old","version":"1","build":"0","noarch":true,"files":["a","b/c"]}`,
	` {"name" : "x" , "version":"1","build":"0","files":null,"extra":{"nested":[1,-2.5e+3,true,false,null,"\u00e9\n",{"a":[]}]}} `,
	`{"name":"esc\u0041","version":"1","build":"0"}`,
	`{"Name":"x","version":"1","build":"0"}`,
	`{"name":"x","name":"y","version":"1","build":"0"}`,
	`{"name":"x","version":"1","build":"0","paths_data":null}`,
	`{"name":"x","version":"1","build":"0","paths_data":{"paths":[{"_path":"a","size_in_bytes":1.5}]}}`,
	`{"name":"x","version":"1","build":"0","paths_data":{"paths":[{"_path":"a","size_in_bytes":-0}]}}`,
	`{"name":"x","version":"1","build":"0","link":{"type":"2"}}`,
	`{"name":"x","version":"1","build":"0"} trailing`,
	`{"name":"x","version":"1","build":"0","ſha":1,"paths_data":{"paths":[{"SHA256":"x"}]}}`,
	`[1,2]`,
	``,
}

// TestDecodeMetaFallback checks which records the fast decoder reads and
// which it leaves to encoding/json, and that every record decodes to
// what encoding/json makes of it.
func TestDecodeMetaFallback(t *testing.T) {
	wantFast := map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 10: true}
	for i, s := range metaSeeds {
		var fast metaRecord
		ok := decodeMeta([]byte(s), &fast)
		if ok != wantFast[i] {
			t.Errorf("seed %d: decodeMeta ok = %v, want %v: %s", i, ok, wantFast[i], s)
		}
		var viaJSON, got metaRecord
		jerr := json.Unmarshal([]byte(s), &viaJSON)
		err := decodeMetaRecord([]byte(s), &got)
		if (err == nil) != (jerr == nil) {
			t.Errorf("seed %d: decodeMetaRecord error %v, encoding/json %v", i, err, jerr)
		}
		if err == nil && !reflect.DeepEqual(got, viaJSON) {
			t.Errorf("seed %d: decodeMetaRecord\n%+v\nencoding/json\n%+v", i, got, viaJSON)
		}
	}
}

// FuzzDecodeMeta checks that whatever the fast decoder accepts,
// encoding/json accepts and decodes to the same record.
func FuzzDecodeMeta(f *testing.F) {
	for _, s := range metaSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast metaRecord
		if !decodeMeta(data, &fast) {
			return
		}
		var viaJSON metaRecord
		if err := json.Unmarshal(data, &viaJSON); err != nil {
			t.Fatalf("decodeMeta accepted %q, encoding/json: %v", data, err)
		}
		if !reflect.DeepEqual(fast, viaJSON) {
			t.Fatalf("decodeMeta(%q)\n%+v\nencoding/json\n%+v", data, fast, viaJSON)
		}
	})
}
