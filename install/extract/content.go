package extract

// Checks of content against the package's own metadata
// (info/paths.json, info/index.json) and the budgets of an extraction.

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// maxUndeclaredEntries bounds the entries info/paths.json does not
// declare (an archive of a million empty directories is an inode bomb);
// a variable for tests.
var maxUndeclaredEntries = 200_000

type fileSum struct {
	sha  string // hex; "" when not hashed
	size int64
}

// A declared path is one record of info/paths.json.
type declared struct {
	Path   string `json:"_path"`
	Type   string `json:"path_type"`
	SHA256 string `json:"sha256"`
	Size   *int64 `json:"size_in_bytes"`
	seen   bool   // the archive held it
}

// budgetReader counts decompressed bytes against the stream budget.
type budgetReader struct {
	r io.Reader
	x *extractor
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.x.streamed += int64(n)
	if limit := b.x.streamLimit(); b.x.streamed > limit {
		return n, &BudgetError{Archive: b.x.archive, Entry: "(archive)", Reason: fmt.Sprintf("decompresses to more than %d bytes, what its entries declare", limit)}
	}
	return n, err
}

func (x *extractor) streamLimit() int64 {
	return x.declTotal + x.undeclaredCap + int64(x.entries+1)*entryOverhead + 1<<20
}

// isInfo reports whether p is package metadata (info/), which
// paths.json never lists.
func isInfo(p string) bool { return strings.HasPrefix(p, "info/") }

func (x *extractor) spendUndeclared(name string, size int64) error {
	x.undecl += size
	x.undeclN++
	if x.undecl > x.undeclaredCap {
		return &BudgetError{Archive: x.archive, Entry: name, Reason: fmt.Sprintf("files info/paths.json does not declare add up to more than %d bytes (this one: %d)", x.undeclaredCap, size)}
	}
	if x.undeclN > maxUndeclaredEntries {
		return &BudgetError{Archive: x.archive, Entry: name, Reason: fmt.Sprintf("more than %d entries info/paths.json does not declare", maxUndeclaredEntries)}
	}
	return nil
}

// declaredFor returns name's record in paths.json, or nil when paths.json
// is not read yet or does not list it.
func (x *extractor) declaredFor(name string) *declared {
	if x.paths == nil || isInfo(name) {
		return nil
	}
	return x.paths[name]
}

func (x *extractor) skipQuirk(name, what string) {
	if x.skipped == nil {
		x.skipped = map[string]bool{}
	}
	x.skipped[name] = true
	x.res.Warnings = append(x.res.Warnings, Warning{Entry: name, Reason: fmt.Sprintf("info/paths.json says it is a symlink but the archive holds %s (a packaging bug of old packages); not extracted, so not installed", what)})
}

// checkFile compares a written file (or hard link) with its record.
func (x *extractor) checkFile(name string, d *declared) error {
	if skipChecks {
		d.seen = true
		return nil
	}
	s := x.sums[name]
	if d.Size != nil && s.size != *d.Size {
		return x.content(name, "%d bytes, info/paths.json says %d", s.size, *d.Size)
	}
	if d.SHA256 != "" {
		if s.sha == "" {
			return x.content(name, "not hashed while written") // cannot happen: hashIt covers it
		}
		if !strings.EqualFold(s.sha, d.SHA256) {
			return x.content(name, "sha256 %s, info/paths.json says %s", s.sha, strings.ToLower(d.SHA256))
		}
	}
	d.seen = true
	x.res.Checked++
	return nil
}

func (x *extractor) readPaths(data []byte) error {
	var pj struct {
		Version int         `json:"paths_version"`
		Paths   []*declared `json:"paths"`
	}
	if err := json.Unmarshal(data, &pj); err != nil {
		return x.content("info/paths.json", "not valid JSON: %v", err)
	}
	if pj.Version != 1 {
		return x.content("info/paths.json", "paths_version %d, envlock reads version 1", pj.Version)
	}
	x.paths = make(map[string]*declared, len(pj.Paths))
	for _, d := range pj.Paths {
		if d == nil {
			return x.content("info/paths.json", "a null record")
		}
		p, why := clean(d.Path)
		if why != "" || p == "" {
			return x.unsafe("info/paths.json", fmt.Sprintf("its record %q: %s", d.Path, cmpOr(why, "empty path")))
		}
		if condaMeta(p) {
			return x.unsafe("info/paths.json", fmt.Sprintf("its record %q is in conda-meta/, where the environment's records are", d.Path))
		}
		if d.Type == "" {
			d.Type = "hardlink"
		}
		switch d.Type {
		case "hardlink", "softlink", "directory":
		default:
			return x.content("info/paths.json", "record %q has path_type %q (conda knows hardlink, softlink, directory)", d.Path, d.Type)
		}
		if d.Size != nil && *d.Size < 0 {
			return x.content("info/paths.json", "record %q has a negative size", d.Path)
		}
		if d.Type == "hardlink" && d.Size != nil {
			x.declTotal += *d.Size
		}
		d.Path = p
		x.paths[p] = d
	}
	// Entries written before paths.json was read (a .tar.bz2 may hold it
	// last) are checked now, and their bytes leave the undeclared budget.
	for name, k := range x.kinds {
		d := x.declaredFor(name)
		if d == nil {
			continue
		}
		switch {
		case k == kindFile && d.Type == "softlink" && x.sums[name].size == 0:
			if err := x.clear(name); err != nil {
				return err
			}
			x.skipQuirk(name, "an empty file")
		case k == kindFile && d.Type == "hardlink":
			x.undecl -= x.sums[name].size
			if err := x.checkFile(name, d); err != nil {
				return err
			}
		case k == kindLink && d.Type == "softlink":
			d.seen = true
		case k == kindDir:
		default:
			return x.content(name, "the archive holds %s, info/paths.json says %s", k, d.Type)
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkIndex compares info/index.json with the locked identity.
func (x *extractor) checkIndex() error {
	want := x.opts.Want
	if want == (Identity{}) {
		return nil
	}
	var idx map[string]any
	if err := json.Unmarshal(x.index, &idx); err != nil {
		return x.content("info/index.json", "not valid JSON: %v", err)
	}
	for _, f := range []struct{ key, want string }{
		{"name", want.Name}, {"version", want.Version}, {"build", want.Build}, {"subdir", want.Subdir},
	} {
		if f.want == "" {
			continue
		}
		got, present := idx[f.key]
		if !present && f.key == "subdir" {
			continue // packages from before conda-build 2 have no subdir
		}
		if s, ok := got.(string); !ok || s != f.want {
			return x.content("info/index.json", "it says %s %s, the lock says %q: the channel serves another package under this file name", f.key, jsonText(got), f.want)
		}
	}
	return nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
