package install

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/envlock/envlock/install/link"
	"github.com/envlock/envlock/install/pkginfo"
	"github.com/envlock/envlock/lock/lockfile"
)

// TestPyRepr: specs in conda-meta/history are written as Python's repr,
// which conda reads back with ast.literal_eval (the outputs are
// CPython 3.11's).
func TestPyRepr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"greet", `'greet'`},
		{"greet[version='>=1']", `"greet[version='>=1']"`},
		{`a"b`, `'a"b'`},
		{`a'b"c`, `'a\'b"c'`},
		{"tab\there", `'tab\there'`},
		{`back\slash`, `'back\\slash'`},
		{"ünï", `'ünï'`},
		{"\x7f\x01", `'\x7f\x01'`},
		{"\u0085", `'\x85'`},
	} {
		if got := PyRepr(tc.in); got != tc.want {
			t.Errorf("PyRepr(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := PyList([]string{"greet[version='>=1']", "greet-py"}); got != `["greet[version='>=1']", 'greet-py']` {
		t.Errorf("PyList = %s", got)
	}
}

// TestHistory: conda's format, channel/subdir::name-version-build lines
// sorted, relative channels made absolute.
func TestHistory(t *testing.T) {
	pl := &lockfile.Platform{Requested: []string{"zlib", "numpy[version='>=1.26']"}, Packages: []*lockfile.Package{
		{Name: "zlib", Version: "1.3", Build: "h0_0", Subdir: "linux-64", Channel: "https://conda.anaconda.org/conda-forge"},
		{Name: "greet", Version: "1", Build: "h_0", Subdir: "noarch", Channel: "./channel"},
	}}
	got := string(History(pl, "/proj", time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), "envlock install"))
	want := "==> 2026-05-01 12:00:00 <==\n# cmd: envlock install\n" +
		"+conda-forge/linux-64::zlib-1.3-h0_0\n+file:///proj/channel/noarch::greet-1-h_0\n" +
		"# update specs: ['zlib', \"numpy[version='>=1.26']\"]\n"
	if got != want {
		t.Errorf("History:\n%s\nwant:\n%s", got, want)
	}
	if got := string(CreatedAt(time.Unix(1795976907, 403864000))); got != "1795976907.403864" {
		t.Errorf("CreatedAt = %s", got)
	}
	if got := string(CreatedAt(time.Unix(1795976907, 0))); got != "1795976907.0" {
		t.Errorf("CreatedAt = %s", got)
	}
}

// TestPackageRecord: a noarch python package's record keeps its paths
// package-relative in paths_data, lists prefix paths in files, records
// entry points as conda does, and skips a symlink the archive lacked.
func TestPackageRecord(t *testing.T) {
	pk := &lockfile.Package{Name: "g", Version: "1", Build: "py_0", Subdir: "noarch", Noarch: "python",
		Channel: "./channel", URL: "./channel/noarch/g-1-py_0.conda", SHA256: "ab", MD5: "cd", Size: 10, Requested: "g"}
	r := &PackageRecord{Package: pk, BaseDir: "/proj", Archive: "/pkgs/g-1-py_0.conda", Extracted: "/pkgs/g-1-py_0",
		Info: &pkginfo.Info{Noarch: "python", Paths: []pkginfo.Path{
			{Path: "site-packages/g/__init__.py", Type: pkginfo.HardLink, SHA256: "11", Size: 3},
			{Path: "site-packages/g/gone", Type: pkginfo.SoftLink},
			{Path: "python-scripts/g-info", Type: pkginfo.HardLink, SHA256: "22", Size: 4, Placeholder: "/opt/anaconda1anaconda2anaconda3", Mode: pkginfo.Text},
		}},
		Files: []link.File{
			{Path: "lib/python3.11/site-packages/g/__init__.py", Type: pkginfo.HardLink, SHA256: "11", Size: 3},
			{Path: "bin/g-info", Type: pkginfo.HardLink, SHA256: "22", SHA256InPrefix: "33", Size: 4},
			{Path: "bin/g", Type: pkginfo.HardLink, SHA256: "44", SHA256InPrefix: "44", Size: 200},
		}}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["url"] != "file:///proj/channel/noarch/g-1-py_0.conda" || got["channel"] != "file:///proj/channel/noarch" || got["package_type"] != "noarch_python" ||
		got["requested_spec"] != "g" || len(got["requested_specs"].([]any)) != 1 {
		t.Errorf("record: %s", b)
	}
	files, _ := json.Marshal(got["files"])
	if string(files) != `["lib/python3.11/site-packages/g/__init__.py","bin/g-info","bin/g"]` {
		t.Errorf("files %s", files)
	}
	paths, _ := json.Marshal(got["paths_data"])
	want := `{"paths":[` +
		`{"_path":"site-packages/g/__init__.py","path_type":"hardlink","sha256":"11","sha256_in_prefix":"11","size_in_bytes":3},` +
		`{"_path":"python-scripts/g-info","file_mode":"text","path_type":"hardlink","prefix_placeholder":"/opt/anaconda1anaconda2anaconda3","sha256":"22","sha256_in_prefix":"33","size_in_bytes":4},` +
		`{"_path":"bin/g","path_type":"unix_python_entry_point","size_in_bytes":200}],"paths_version":1}`
	if string(paths) != want {
		t.Errorf("paths_data:\n%s\nwant:\n%s", paths, want)
	}
	if !strings.Contains(string(b), `"link": {`+"\n"+`    "source": "/pkgs/g-1-py_0",`+"\n"+`    "type": 1`) {
		t.Errorf("link: %s", b)
	}
	// Not requested: conda's empty _requested_specs, no requested_specs.
	pk.Requested = ""
	b, _ = r.JSON()
	if !strings.Contains(string(b), `"_requested_specs": []`) || strings.Contains(string(b), `"requested_spec`) {
		t.Errorf("unrequested record: %s", b)
	}
}

// TestIndentLikeEncodingJSON checks the one-pass writer of conda-meta
// records against encoding/json (marshalPlain, then json.Indent): the
// same bytes for every kind of value a record holds, escapes included.
func TestIndentLikeEncodingJSON(t *testing.T) {
	ref := func(o object) []byte {
		raw, err := marshalPlain(o)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := json.Indent(&b, raw, "", "  "); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, o := range []object{
		{},
		{{"name", "zlib"}, {"build_number", 3}, {"size", int64(1) << 40}, {"depends", []string{}}, {"constrains", []string{"a <2", "b >=1,<3"}}},
		{{"html", "<a href=\"x\">&amp;</a>"}, {"ctl", "tab\tnl\nnul\x00del\x7f"}, {"uni", "caf\u00e9 \u2028 \u2029 \U0001F600"}, {"bad", "\xff\xfe"}, {"bs", `C:\path`}},
		{{"paths_data", object{{"paths_version", 1}, {"paths", []object{}}}}, {"nested", []object{{{"_path", "bin/x"}, {"path_type", pkginfo.HardLink}, {"file_mode", pkginfo.Text}}, {}}}},
		{{"other", map[string]any{"b": []int{1, 2}, "a": true}}, {"deep", object{{"x", object{{"y", []bool{true, false}}}}}}, {"null", nil}, {"float", 1.5}},
	} {
		got, err := indent(o)
		if err != nil {
			t.Fatal(err)
		}
		if want := ref(o); !bytes.Equal(got, want) {
			t.Errorf("indent differs from encoding/json:\n%s\nwant:\n%s", got, want)
		}
	}
	// paths_data entries, written without their objects.
	size := int64(7)
	src := &pkginfo.Path{Path: "bin/x", SHA256: "ab", Placeholder: "/opt/anaconda1anaconda2anaconda3"}
	mps := []metaPath{
		newMetaPath("bin/x", pkginfo.HardLink, src, "cd", &size),
		newMetaPath("bin/\"q\"\u00e9", pkginfo.SoftLink, &pkginfo.Path{SHA256: "ef"}, "", &size),
		newMetaPath("share/d", pkginfo.Directory, nil, "", nil),
		{path: "bin/ep", typ: EntryPointType, size: 3, hasSize: true},
		{path: "a.pyc", typ: PycFileType, sha256: "01", size: 0, hasSize: true},
	}
	var objs []object
	for _, m := range mps {
		objs = append(objs, m.object())
	}
	for _, paths := range [][]metaPath{mps, {}} {
		got, err := indent(object{{"paths_data", object{{"paths_version", 1}, {"paths", paths}}}})
		if err != nil {
			t.Fatal(err)
		}
		want := ref(object{{"paths_data", object{{"paths_version", 1}, {"paths", objs[:len(paths)]}}}})
		if !bytes.Equal(got, want) {
			t.Errorf("paths_data differs from encoding/json:\n%s\nwant:\n%s", got, want)
		}
	}
}
