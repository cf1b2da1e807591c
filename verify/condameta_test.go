package verify

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReadCondaMeta reads records as conda, rattler and older tools
// write them and checks the prefix-relative paths and types verify
// compares with.
func TestReadCondaMeta(t *testing.T) {
	for _, tc := range []struct {
		name    string
		records map[string]string // conda-meta file → content
		exist   []string          // files to create in the prefix
		want    map[string][]string
	}{
		{
			name: "conda noarch python: paths_data package-relative, files aligned",
			records: map[string]string{
				"python-3.11.2-0.json": `{"name":"python","version":"3.11.2","build":"0","files":["bin/python3.11"]}`,
				"g-1-py_0.json": `{"name":"g","version":"1","build":"py_0","noarch":"python","package_type":"noarch_python",
					"files":["lib/python3.11/site-packages/g/__init__.py","bin/g-info","lib/python3.11/site-packages/g/__pycache__/__init__.cpython-311.pyc","bin/g"],
					"paths_data":{"paths_version":1,"paths":[
						{"_path":"site-packages/g/__init__.py","path_type":"hardlink","sha256":"aa","size_in_bytes":1},
						{"_path":"python-scripts/g-info","path_type":"hardlink","sha256":"bb","size_in_bytes":1},
						{"_path":"lib/python3.11/site-packages/g/__pycache__/__init__.cpython-311.pyc","path_type":"pyc_file"},
						{"_path":"bin/g","path_type":"unix_python_entry_point","size_in_bytes":200}]}}`,
			},
			want: map[string][]string{
				"g":      {"lib/python3.11/site-packages/g/__init__.py hardlink", "bin/g-info hardlink", "bin/g unix_python_entry_point"},
				"python": {"bin/python3.11 hardlink"},
			},
		},
		{
			name: "noarch without aligned files: mapped by python's site-packages path; pyc kept when present",
			records: map[string]string{
				"python-3.13.0-0.json": `{"name":"python","version":"3.13.0","build":"0","python_site_packages_path":"lib/python3.13t/site-packages","files":[]}`,
				"g-1-py_0.json": `{"name":"g","version":"1","build":"py_0","noarch":"python","files":[],
					"paths_data":{"paths_version":1,"paths":[
						{"_path":"site-packages/g/__init__.py","path_type":"hardlink","sha256":"aa"},
						{"_path":"lib/python3.13t/site-packages/g/__pycache__/__init__.cpython-313.pyc","path_type":"pyc_file"}]}}`,
			},
			exist: []string{"lib/python3.13t/site-packages/g/__pycache__/__init__.cpython-313.pyc"},
			want: map[string][]string{
				"g":      {"lib/python3.13t/site-packages/g/__init__.py hardlink", "lib/python3.13t/site-packages/g/__pycache__/__init__.cpython-313.pyc pyc_file"},
				"python": {},
			},
		},
		{
			name: "old conda: no paths_data, files only; old noarch true",
			records: map[string]string{
				"z-1-0.json": `{"name":"z","version":"1","build":"0","noarch":true,"files":["lib/libz.so","include/zlib.h"]}`,
			},
			want: map[string][]string{"z": {"lib/libz.so hardlink", "include/zlib.h hardlink"}},
		},
		{
			name: "always_softlink: softlinks with a sha256 are checked by content; links of the package stay links",
			records: map[string]string{
				"l-1-0.json": `{"name":"l","version":"1","build":"0","link":{"source":"/pkgs/l-1-0","type":2},"files":["lib/l.so.1","share/LICENSE"],
					"paths_data":{"paths_version":1,"paths":[
						{"_path":"lib/l.so.1","path_type":"softlink","size_in_bytes":0},
						{"_path":"share/LICENSE","path_type":"softlink","sha256":"cc","size_in_bytes":13}]}}`,
			},
			want: map[string][]string{"l": {"lib/l.so.1 softlink", "share/LICENSE hardlink"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := t.TempDir()
			meta := filepath.Join(prefix, "conda-meta")
			os.MkdirAll(filepath.Join(meta, "envlock"), 0o755)
			os.WriteFile(filepath.Join(meta, "envlock", "envlock.json"), []byte(`{"lock":"x"}`), 0o644)
			os.WriteFile(filepath.Join(meta, "envlock.json"), []byte(`{"lock":"x"}`), 0o644)
			for n, c := range tc.records {
				if err := os.WriteFile(filepath.Join(meta, n), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tc.exist {
				os.MkdirAll(filepath.Dir(filepath.Join(prefix, f)), 0o755)
				os.WriteFile(filepath.Join(prefix, f), nil, 0o644)
			}
			tr, err := openTree(prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.close()
			recs, bad, err := readCondaMeta(tr, prefix)
			if err != nil || len(bad) != 0 {
				t.Fatalf("readCondaMeta: %v, unreadable %q", err, bad)
			}
			got := map[string][]string{}
			for _, r := range recs {
				got[r.Name] = []string{}
				for _, p := range r.paths() {
					got[r.Name] = append(got[r.Name], p.Path+" "+p.Type)
				}
			}
			for n, w := range tc.want {
				if !slices.Equal(got[n], w) {
					t.Errorf("%s: %q, want %q", n, got[n], w)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("records %v, want %d (envlock's marker is no record)", got, len(tc.want))
			}
		})
	}
}
