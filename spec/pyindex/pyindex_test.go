package pyindex

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const jsonPageText = `{
  "meta": {"api-version": "1.1"},
  "name": "demo",
  "files": [
    {"filename": "demo-1.0-py3-none-any.whl", "url": "../../files/demo-1.0-py3-none-any.whl",
     "hashes": {"sha256": "AB12"}, "requires-python": ">=3.8", "core-metadata": {"sha256": "cd34"}, "size": 1200},
    {"filename": "demo-0.9.tar.gz", "url": "https://files.example.org/demo-0.9.tar.gz#sha256=ef56",
     "hashes": {}, "yanked": "broken build", "dist-info-metadata": false},
    {"filename": "demo-0.8-py3-none-any.whl", "url": "/files/demo-0.8-py3-none-any.whl", "hashes": {"sha256": "01"}, "yanked": true, "data-dist-info-metadata": true}
  ]
}`

const htmlPageText = `<!DOCTYPE html><html><head><base href="https://mirror.example.org/simple/demo/"></head><body>
<a href="../../files/demo-1.0-py3-none-any.whl#sha256=AB12" data-requires-python="&gt;=3.8" data-core-metadata="sha256=cd34">demo-1.0-py3-none-any.whl</a><br/>
<a href="https://files.example.org/demo-0.9.tar.gz#sha256=ef56" data-yanked="broken build">demo-0.9.tar.gz</a>
<a href="/files/demo-0.8-py3-none-any.whl#sha256=01" data-yanked data-dist-info-metadata="true">demo-0.8-py3-none-any.whl</a>
</body></html>`

func TestParsePages(t *testing.T) {
	want := []File{
		{Filename: "demo-1.0-py3-none-any.whl", URL: "https://mirror.example.org/files/demo-1.0-py3-none-any.whl", SHA256: "ab12", RequiresPython: ">=3.8", Metadata: true, MetadataSHA256: "cd34", Size: 1200},
		{Filename: "demo-0.9.tar.gz", URL: "https://files.example.org/demo-0.9.tar.gz", SHA256: "ef56", Yanked: true, YankedReason: "broken build"},
		{Filename: "demo-0.8-py3-none-any.whl", URL: "https://mirror.example.org/files/demo-0.8-py3-none-any.whl", SHA256: "01", Yanked: true, Metadata: true},
	}
	j, err := ParseJSON([]byte(jsonPageText), "https://mirror.example.org/simple/demo/")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, j.Files); d != "" {
		t.Errorf("JSON (-want +got):\n%s", d)
	}
	h, err := ParseHTML([]byte(htmlPageText), "https://other.example.org/simple/demo/")
	if err != nil {
		t.Fatal(err)
	}
	want[0].Size = 0 // HTML pages carry no sizes
	if d := cmp.Diff(want, h.Files); d != "" {
		t.Errorf("HTML (-want +got):\n%s", d)
	}
}

func TestParseJSONErrors(t *testing.T) {
	for in, msg := range map[string]string{
		`<html>`:                           "not a PEP 691 JSON page",
		`{"meta": {"api-version": "2.0"}}`: "simple API version 2.0",
		`{"files": [{"filename": "", "url": "x"}]}`: "has no filename",
	} {
		if _, err := ParseJSON([]byte(in), "https://x/simple/p/"); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseJSON(%q) = %v, want %q", in, err, msg)
		}
	}
}

func TestParseMetadata(t *testing.T) {
	m, err := ParseMetadata([]byte("Metadata-Version: 2.1\r\nName: demo\r\nVersion: 1.0\r\nRequires-Python: >=3.8\r\nProvides-Extra: gpu\r\nRequires-Dist: numpy>=1.20\r\nRequires-Dist: cupy;\r\n  extra == 'gpu'\r\nDescription-Content-Type: text/markdown\r\n\r\nName: not-a-header\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Metadata{Name: "demo", Version: "1.0", RequiresPython: ">=3.8", RequiresDist: []string{"numpy>=1.20", "cupy; extra == 'gpu'"}, ProvidesExtra: []string{"gpu"}}
	if d := cmp.Diff(want, m); d != "" {
		t.Error(d)
	}
	for in, msg := range map[string]string{"Name: x\n": "no Name or Version", " cont\n": "continuation line", "Name: x\ngarbage\n": "line 2"} {
		if _, err := ParseMetadata([]byte(in)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseMetadata(%q) = %v, want %q", in, err, msg)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(jsonPageText))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseJSON(data, "https://x.example.org/simple/p/")
	})
}

func FuzzParseHTML(f *testing.F) {
	f.Add([]byte(htmlPageText))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseHTML(data, "https://x.example.org/simple/p/")
		if err == nil {
			for _, file := range p.Files {
				if strings.Contains(file.Filename, "/") {
					t.Fatalf("file name %q has a slash", file.Filename)
				}
			}
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte("Name: demo\nVersion: 1.0\nRequires-Dist: a\n  ; extra == 'x'\n\nbody"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseMetadata(data)
	})
}
