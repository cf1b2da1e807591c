package pyindex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/html"
)

// A File is one distribution file of a project on an index.
type File struct {
	// Filename is the file's name: "pkg-1.0-py3-none-any.whl".
	Filename string
	// URL is absolute, without the hash fragment.
	URL string
	// SHA256 is the file's hex sha256 ("" when the index gives none).
	SHA256 string
	// RequiresPython is the PEP 440 specifier set of Requires-Python.
	RequiresPython string
	// Yanked is set for files withdrawn from the index (PEP 592);
	// YankedReason says why when the index does.
	Yanked       bool
	YankedReason string
	// Metadata says the index serves the file's METADATA at URL +
	// ".metadata" (PEP 658, PEP 714); MetadataSHA256 is its hash.
	Metadata       bool
	MetadataSHA256 string
	// Size in bytes, 0 when unknown (PEP 700).
	Size int64
}

// A Project is a project's page on an index.
type Project struct {
	Name  string
	Files []File
}

// A PageError says why an index page could not be read.
type PageError struct {
	URL string
	Msg string
}

func (e *PageError) Error() string { return fmt.Sprintf("index page %s: %s", e.URL, e.Msg) }

// JSONType and HTMLType are the media types of PEP 691.
const (
	JSONType = "application/vnd.pypi.simple.v1+json"
	HTMLType = "application/vnd.pypi.simple.v1+html"
)

type jsonPage struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Name  string `json:"name"`
	Files []struct {
		Filename           string            `json:"filename"`
		URL                string            `json:"url"`
		Hashes             map[string]string `json:"hashes"`
		RequiresPython     *string           `json:"requires-python"`
		CoreMetadata       json.RawMessage   `json:"core-metadata"`
		DistInfoMetadata   json.RawMessage   `json:"dist-info-metadata"`
		DataDistInfoMetada json.RawMessage   `json:"data-dist-info-metadata"`
		Yanked             json.RawMessage   `json:"yanked"`
		Size               int64             `json:"size"`
	} `json:"files"`
}

// ParseJSON parses a PEP 691 JSON project page fetched from pageURL.
func ParseJSON(data []byte, pageURL string) (*Project, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, &PageError{URL: pageURL, Msg: err.Error()}
	}
	var pg jsonPage
	if err := json.Unmarshal(data, &pg); err != nil {
		return nil, &PageError{URL: pageURL, Msg: "not a PEP 691 JSON page: " + err.Error()}
	}
	if v := pg.Meta.APIVersion; v != "" && !strings.HasPrefix(v, "1.") {
		return nil, &PageError{URL: pageURL, Msg: fmt.Sprintf("simple API version %s; envlock reads 1.x", v)}
	}
	p := &Project{Name: pg.Name}
	for i, f := range pg.Files {
		if f.Filename == "" || f.URL == "" {
			return nil, &PageError{URL: pageURL, Msg: fmt.Sprintf("file %d has no filename or url", i)}
		}
		u, sum, err := resolve(base, f.URL)
		if err != nil {
			return nil, &PageError{URL: pageURL, Msg: fmt.Sprintf("file %s: %v", f.Filename, err)}
		}
		file := File{Filename: path.Base(f.Filename), URL: u, SHA256: strings.ToLower(f.Hashes["sha256"]), Size: f.Size}
		if !safeName(file.Filename) {
			return nil, &PageError{URL: pageURL, Msg: fmt.Sprintf("file name %q cannot be a distribution's", f.Filename)}
		}
		if file.SHA256 == "" {
			file.SHA256 = sum
		}
		if f.RequiresPython != nil {
			file.RequiresPython = *f.RequiresPython
		}
		for _, raw := range []json.RawMessage{f.CoreMetadata, f.DistInfoMetadata, f.DataDistInfoMetada} {
			if ok, sum := metadataField(raw); ok {
				file.Metadata, file.MetadataSHA256 = true, sum
				break
			}
		}
		if len(f.Yanked) > 0 {
			var b bool
			var s string
			switch {
			case json.Unmarshal(f.Yanked, &b) == nil:
				file.Yanked = b
			case json.Unmarshal(f.Yanked, &s) == nil:
				file.Yanked, file.YankedReason = true, s
			}
		}
		p.Files = append(p.Files, file)
	}
	return p, nil
}

// metadataField reads "core-metadata": true, false or {"sha256": …}.
func metadataField(raw json.RawMessage) (bool, string) {
	if len(raw) == 0 {
		return false, ""
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, ""
	}
	var h map[string]string
	if json.Unmarshal(raw, &h) == nil {
		return true, strings.ToLower(h["sha256"])
	}
	return false, ""
}

// ParseHTML parses a PEP 503 HTML project page fetched from pageURL: each
// anchor is a file, its text the file name, its href the URL (with an
// optional #sha256= fragment), and data-requires-python, data-yanked and
// data-core-metadata (or data-dist-info-metadata) its attributes.
func ParseHTML(data []byte, pageURL string) (*Project, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, &PageError{URL: pageURL, Msg: err.Error()}
	}
	p := &Project{}
	z := html.NewTokenizer(bytes.NewReader(data))
	var cur *File
	var text strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return p, nil
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "base":
				if href := attr(tok, "href"); href != "" {
					if b, err := base.Parse(href); err == nil {
						base = b
					}
				}
			case "a":
				href := attr(tok, "href")
				if href == "" {
					continue
				}
				u, sum, err := resolve(base, href)
				if err != nil {
					return nil, &PageError{URL: pageURL, Msg: fmt.Sprintf("link %q: %v", href, err)}
				}
				cur = &File{URL: u, SHA256: sum, RequiresPython: attr(tok, "data-requires-python")}
				if y, ok := attrOK(tok, "data-yanked"); ok {
					cur.Yanked, cur.YankedReason = true, y
				}
				for _, name := range []string{"data-core-metadata", "data-dist-info-metadata"} {
					if v, ok := attrOK(tok, name); ok && v != "false" {
						cur.Metadata = true
						if h, ok := strings.CutPrefix(v, "sha256="); ok {
							cur.MetadataSHA256 = strings.ToLower(h)
						}
						break
					}
				}
				text.Reset()
			}
		case html.TextToken:
			if cur != nil {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			if cur != nil && z.Token().Data == "a" {
				cur.Filename = strings.TrimSpace(text.String())
				if cur.Filename == "" {
					cur.Filename = path.Base(strings.SplitN(cur.URL, "?", 2)[0])
				}
				cur.Filename = path.Base(cur.Filename)
				if safeName(cur.Filename) {
					p.Files = append(p.Files, *cur)
				}
				cur = nil
			}
		}
	}
}

// safeName reports whether a file name can name a file in a cache
// directory: not empty, ".", ".." or with a backslash.
func safeName(fn string) bool {
	return fn != "" && fn != "." && fn != ".." && fn != "/" && !strings.ContainsAny(fn, "\\\x00")
}

func attr(t html.Token, name string) string {
	v, _ := attrOK(t, name)
	return v
}

func attrOK(t html.Token, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// resolve makes href absolute against base and splits off a
// "#sha256=…" fragment.
func resolve(base *url.URL, href string) (string, string, error) {
	u, err := base.Parse(href)
	if err != nil {
		return "", "", err
	}
	sum := ""
	if algo, h, ok := strings.Cut(u.Fragment, "="); ok && algo == "sha256" {
		sum = strings.ToLower(h)
	}
	u.Fragment = ""
	return u.String(), sum, nil
}
