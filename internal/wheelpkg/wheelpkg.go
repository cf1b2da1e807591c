// Package wheelpkg writes real wheels and Python package indexes for
// tests and examples: a .whl with its .dist-info (WHEEL, METADATA,
// RECORD with sha256 hashes, entry_points.txt), and a directory that is
// at once a PEP 503 HTML index and a PEP 691 JSON one (simple/NAME/
// index.html and index.json, PEP 658 .metadata files beside the wheels),
// with an http.Handler that negotiates between them as PyPI does.
package wheelpkg

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// A File is one file of a wheel, by its path inside the archive.
type File struct {
	Path string
	Data []byte
	Exec bool
}

// A Wheel is a wheel to write.
type Wheel struct {
	Name, Version string
	// Build is the optional build tag.
	Build string
	// Tag is the compatibility tag set: "py3-none-any" (the default),
	// "cp311-cp311-manylinux_2_17_x86_64".
	Tag string
	// Requires are Requires-Dist lines (PEP 508); Extras the
	// Provides-Extra names; RequiresPython the Requires-Python specifier.
	Requires       []string
	Extras         []string
	RequiresPython string
	// ConsoleScripts and GUIScripts are entry points: "name = mod:func".
	ConsoleScripts []string
	GUIScripts     []string
	// Files are the wheel's files outside .dist-info: "pkg/__init__.py",
	// "NAME-VERSION.data/scripts/tool".
	Files []File
	// Yanked marks the file yanked on the index (PEP 592), with
	// YankedReason as the reason when not empty.
	Yanked       bool
	YankedReason string
}

func (w *Wheel) tag() string {
	if w.Tag == "" {
		return "py3-none-any"
	}
	return w.Tag
}

var escape = regexp.MustCompile(`[-_.]+`)

// distName is the name as it appears in file names (PEP 427: runs of
// "-_." as "_").
func (w *Wheel) distName() string { return escape.ReplaceAllString(w.Name, "_") }

// DistInfo is the .dist-info directory's name.
func (w *Wheel) DistInfo() string { return w.distName() + "-" + w.Version + ".dist-info" }

// Filename is the wheel's file name.
func (w *Wheel) Filename() string {
	parts := []string{w.distName(), w.Version}
	if w.Build != "" {
		parts = append(parts, w.Build)
	}
	return strings.Join(append(parts, w.tag()), "-") + ".whl"
}

// Metadata returns the METADATA file.
func (w *Wheel) Metadata() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", w.Name, w.Version)
	if w.RequiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", w.RequiresPython)
	}
	for _, e := range w.Extras {
		fmt.Fprintf(&b, "Provides-Extra: %s\n", e)
	}
	for _, r := range w.Requires {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	fmt.Fprintf(&b, "Summary: %s, a test wheel\n\n%s is a wheel written by envlock's tests.\n", w.Name, w.Name)
	return []byte(b.String())
}

// Bytes returns the wheel archive.
func (w *Wheel) Bytes() ([]byte, error) {
	di := w.DistInfo()
	files := append([]File(nil), w.Files...)
	wheel := "Wheel-Version: 1.0\nGenerator: envlock-wheelpkg\n"
	purelib := strings.HasSuffix(w.tag(), "-none-any")
	if purelib {
		wheel += "Root-Is-Purelib: true\n"
	} else {
		wheel += "Root-Is-Purelib: false\n"
	}
	for _, t := range expand(w.tag()) {
		wheel += "Tag: " + t + "\n"
	}
	if w.Build != "" {
		wheel += "Build: " + w.Build + "\n"
	}
	files = append(files, File{Path: di + "/WHEEL", Data: []byte(wheel)}, File{Path: di + "/METADATA", Data: w.Metadata()})
	if len(w.ConsoleScripts)+len(w.GUIScripts) > 0 {
		var ep strings.Builder
		if len(w.ConsoleScripts) > 0 {
			ep.WriteString("[console_scripts]\n" + strings.Join(w.ConsoleScripts, "\n") + "\n\n")
		}
		if len(w.GUIScripts) > 0 {
			ep.WriteString("[gui_scripts]\n" + strings.Join(w.GUIScripts, "\n") + "\n")
		}
		files = append(files, File{Path: di + "/entry_points.txt", Data: []byte(ep.String())})
	}
	var record strings.Builder
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", csvField(f.Path), base64.RawURLEncoding.EncodeToString(sum[:]), len(f.Data))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", di)
	files = append(files, File{Path: di + "/RECORD", Data: []byte(record.String())})

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Path, Method: zip.Deflate}
		mode := os.FileMode(0o644)
		if f.Exec {
			mode = 0o755
		}
		h.SetMode(mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func expand(tag string) []string {
	parts := strings.SplitN(tag, "-", 3)
	var out []string
	for _, p := range strings.Split(parts[0], ".") {
		for _, a := range strings.Split(parts[1], ".") {
			for _, pl := range strings.Split(parts[2], ".") {
				out = append(out, p+"-"+a+"-"+pl)
			}
		}
	}
	return out
}

// An Extra is a file an index serves beside the wheels (an sdist, say).
type Extra struct {
	Project  string // the project it belongs to
	Filename string
	Data     []byte
}

// IndexOptions adjust WriteIndex.
type IndexOptions struct {
	// NoMetadata leaves out the PEP 658 .metadata files, so that clients
	// must read METADATA from the wheels.
	NoMetadata bool
	// Extras are further files (sdists).
	Extras []Extra
}

// WriteIndex writes the wheels as an index under dir: files/FILENAME,
// simple/index.html, and simple/NAME/index.html and index.json (NAME
// normalized, PEP 503).
func WriteIndex(dir string, wheels []*Wheel, o IndexOptions) error {
	projects := map[string][]entry{}
	for _, w := range wheels {
		data, err := w.Bytes()
		if err != nil {
			return err
		}
		if err := write(filepath.Join(dir, "files", w.Filename()), data); err != nil {
			return err
		}
		e := entry{fn: w.Filename(), sha: hexsum(data), requiresPython: w.RequiresPython, size: len(data), yanked: w.Yanked, yankedReason: w.YankedReason}
		if !o.NoMetadata {
			e.meta = w.Metadata()
			if err := write(filepath.Join(dir, "files", w.Filename()+".metadata"), e.meta); err != nil {
				return err
			}
		}
		key := Normalize(w.Name)
		projects[key] = append(projects[key], e)
	}
	for _, x := range o.Extras {
		if err := write(filepath.Join(dir, "files", x.Filename), x.Data); err != nil {
			return err
		}
		key := Normalize(x.Project)
		projects[key] = append(projects[key], entry{fn: x.Filename, sha: hexsum(x.Data), size: len(x.Data)})
	}
	return writePages(dir, projects)
}

// An entry is one file of a project page.
type entry struct {
	fn, sha, requiresPython string
	size                    int
	meta                    []byte
	yanked                  bool
	yankedReason            string
}

// writePages writes the project pages and the root page.
func writePages(dir string, projects map[string][]entry) error {
	var names []string
	for name, entries := range projects {
		names = append(names, name)
		sort.Slice(entries, func(i, j int) bool { return entries[i].fn < entries[j].fn })
		var h strings.Builder
		fmt.Fprintf(&h, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Links for %s</title></head><body>\n<h1>Links for %s</h1>\n", name, name)
		type jfile struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python,omitempty"`
			CoreMetadata   any               `json:"core-metadata"`
			Size           int               `json:"size"`
			Yanked         any               `json:"yanked,omitempty"` // true, or the reason
		}
		var jfiles []jfile
		for _, e := range entries {
			href := "../../files/" + e.fn + "#sha256=" + e.sha
			fmt.Fprintf(&h, "<a href=\"%s\"", html.EscapeString(href))
			if e.requiresPython != "" {
				fmt.Fprintf(&h, " data-requires-python=\"%s\"", html.EscapeString(e.requiresPython))
			}
			jf := jfile{Filename: e.fn, URL: "../../files/" + e.fn, Hashes: map[string]string{"sha256": e.sha}, RequiresPython: e.requiresPython, CoreMetadata: false, Size: e.size}
			if e.yanked {
				// PEP 592 in HTML (data-yanked, the reason or empty) and
				// PEP 691 in JSON (the reason, or true).
				fmt.Fprintf(&h, " data-yanked=\"%s\"", html.EscapeString(e.yankedReason))
				jf.Yanked = true
				if e.yankedReason != "" {
					jf.Yanked = e.yankedReason
				}
			}
			if e.meta != nil {
				fmt.Fprintf(&h, " data-core-metadata=\"sha256=%s\" data-dist-info-metadata=\"sha256=%s\"", hexsum(e.meta), hexsum(e.meta))
				jf.CoreMetadata = map[string]string{"sha256": hexsum(e.meta)}
			}
			fmt.Fprintf(&h, ">%s</a><br/>\n", html.EscapeString(e.fn))
			jfiles = append(jfiles, jf)
		}
		h.WriteString("</body></html>\n")
		if err := write(filepath.Join(dir, "simple", name, "index.html"), []byte(h.String())); err != nil {
			return err
		}
		j, _ := json.MarshalIndent(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "name": name, "files": jfiles}, "", "  ")
		if err := write(filepath.Join(dir, "simple", name, "index.json"), j); err != nil {
			return err
		}
	}
	sort.Strings(names)
	var root strings.Builder
	root.WriteString("<!DOCTYPE html>\n<html><body>\n")
	for _, n := range names {
		fmt.Fprintf(&root, "<a href=\"%s/\">%s</a>\n", n, n)
	}
	root.WriteString("</body></html>\n")
	return write(filepath.Join(dir, "simple", "index.html"), []byte(root.String()))
}

// Normalize is the PEP 503 normal form of a project name.
func Normalize(name string) string { return escape.ReplaceAllString(strings.ToLower(name), "-") }

func hexsum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func write(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// Handler serves an index written by WriteIndex: project pages in JSON
// when the request's Accept header asks for PEP 691's JSON type, else in
// HTML; files with Range support. Count, when not nil, is called with
// each request's path and Range header.
func Handler(dir string, count func(path, rng string)) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count != nil {
			count(r.URL.Path, r.Header.Get("Range"))
		}
		p := path.Clean(r.URL.Path)
		if strings.HasPrefix(p, "/simple/") && p != "/simple" {
			page := "index.html"
			ctype := "text/html"
			if strings.Contains(r.Header.Get("Accept"), "application/vnd.pypi.simple.v1+json") {
				page, ctype = "index.json", "application/vnd.pypi.simple.v1+json"
			}
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p), page))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", ctype)
			w.Write(data)
			return
		}
		files.ServeHTTP(w, r)
	})
}
