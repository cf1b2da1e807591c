package install

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/envlock/envlock/install/link"
	"github.com/envlock/envlock/install/pkginfo"
	"github.com/envlock/envlock/lock/export"
	"github.com/envlock/envlock/lock/lockfile"
)

// This file builds conda-meta as conda 26 writes it, as values and bytes
// (the caller writes them): the package records
// conda-meta/<name>-<version>-<build>.json, info/repodata_record.json of
// an extracted package, conda-meta/history and conda-meta/created_at.
// TestCondaMetaLikeConda compares the records with real conda's,
// record by record; its allowed differences are the documented ones.

// PackageRecord is what a conda-meta package record is built from: one
// locked package and how it was linked.
type PackageRecord struct {
	Package *lockfile.Package
	// BaseDir resolves the lock's relative URLs ("./channel/…") into
	// absolute file:// ones: conda and rattler refuse relative URLs.
	BaseDir string
	// Archive and Extracted are the package's archive and extracted tree
	// in the cache (package_tarball_full_path, extracted_package_dir,
	// link.source).
	Archive, Extracted string
	// Info is the package's info/ as read; Files what link.Package put in
	// the prefix, in its order.
	Info  *pkginfo.Info
	Files []link.File
	// Pyc are the .pyc files compiled for the package's .py files,
	// relative to the prefix: paths_data's pyc_file entries, with the
	// hash and size of what was written so verify checks them.
	Pyc []CompiledFile
	// Copy says the install asked for copies (--link copy): link.type 3.
	// Otherwise conda records 1 (hard link), even where a file had to be
	// copied because the cache is on another file system.
	Copy bool
}

// A CompiledFile is a .pyc file the install wrote.
type CompiledFile struct {
	Path   string
	SHA256 string
	Size   int64
}

// field is one key of a JSON object written in conda's key order.
type field struct {
	key string
	val any
}

// object is a JSON object whose keys keep their order.
type object []field

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteByte(':')
		v, err := marshalPlain(f.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalPlain is json.Marshal without HTML escaping: conda (Python's
// json) writes "<" and ">" as they are, and so must a record to diff
// equal.
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// indent returns o as json.Indent(marshalPlain(o), "", "  ") would,
// written in one pass: a record lists every file of its package, and
// encoding/json would check and copy each nested value's bytes at every
// level, then indent the whole again (83 ms for 10,000 files).
func indent(o object) ([]byte, error) {
	return appendIndent(make([]byte, 0, 4096), o, 0)
}

// newline starts a line indented at depth (two spaces a level).
func newline(b []byte, depth int) []byte {
	b = append(b, '\n')
	for range depth {
		b = append(b, ' ', ' ')
	}
	return b
}

// appendArray appends a JSON array of n elements, each appended by elem
// one level deeper, indented as json.Indent does.
func appendArray(b []byte, n, depth int, elem func(b []byte, i int) ([]byte, error)) ([]byte, error) {
	if n == 0 {
		return append(b, '[', ']'), nil
	}
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = newline(b, depth+1)
		var err error
		if b, err = elem(b, i); err != nil {
			return nil, err
		}
	}
	b = newline(b, depth)
	return append(b, ']'), nil
}

// appendIndent appends v, indented at depth (two spaces a level), to b.
// Types outside a record's go through encoding/json.
func appendIndent(b []byte, v any, depth int) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case object:
		if len(v) == 0 {
			return append(b, '{', '}'), nil
		}
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = newline(b, depth+1)
			b = appendString(b, f.key)
			b = append(b, ':', ' ')
			if b, err = appendIndent(b, f.val, depth+1); err != nil {
				return nil, fmt.Errorf("%s: %w", f.key, err)
			}
		}
		b = newline(b, depth)
		return append(b, '}'), nil
	case []metaPath:
		return appendArray(b, len(v), depth, func(b []byte, i int) ([]byte, error) {
			return v[i].appendIndent(b, depth+1), nil
		})
	case []object:
		return appendArray(b, len(v), depth, func(b []byte, i int) ([]byte, error) {
			return appendIndent(b, v[i], depth+1)
		})
	case []string:
		return appendArray(b, len(v), depth, func(b []byte, i int) ([]byte, error) {
			return appendString(b, v[i]), nil
		})
	case string:
		return appendString(b, v), nil
	case pkginfo.PathType:
		return appendString(b, string(v)), nil
	case pkginfo.FileMode:
		return appendString(b, string(v)), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	}
	raw, err := marshalPlain(v)
	if err != nil {
		return nil, err
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, raw, strings.Repeat("  ", depth), "  "); err != nil {
		return nil, err
	}
	return append(b, ind.Bytes()...), nil
}

// appendString appends s as a JSON string, as marshalPlain writes it:
// plain ASCII as it is, anything else through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			q, _ := marshalPlain(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// absURL returns u with a relative URL ("./channel/linux-64/x.conda", as
// a lock of a project's local channel holds) made a file:// URL under
// base (lock/export's rule); other URLs are returned as they are.
func absURL(u, base string) string {
	if base == "" {
		base = "."
	}
	if a, err := filepath.Abs(base); err == nil {
		base = a
	}
	if v, err := export.AbsURL(u, base); err == nil {
		return v
	}
	return u
}

// recordFields are the repodata fields of a record, in conda's order,
// with the URL and channel absolute.
func recordFields(pk *lockfile.Package, base string) object {
	u := absURL(pk.URL, base)
	fn := fileName(pk)
	ch := strings.TrimSuffix(strings.TrimSuffix(u, fn), "/")
	if ch == u || ch == "" {
		ch = strings.TrimRight(absURL(pk.Channel, base), "/") + "/" + pk.Subdir
	}
	o := object{
		{"name", pk.Name}, {"version", pk.Version}, {"build", pk.Build}, {"build_number", pk.BuildNumber},
		{"channel", ch}, {"subdir", pk.Subdir}, {"fn", fn},
	}
	if pk.MD5 != "" {
		o = append(o, field{"md5", pk.MD5})
	}
	o = append(o, field{"url", u})
	if pk.SHA256 != "" {
		o = append(o, field{"sha256", pk.SHA256})
	}
	o = append(o, field{"depends", nonNil(pk.Depends)}, field{"constrains", nonNil(pk.Constrains)})
	if pk.Noarch != "" {
		o = append(o, field{"noarch", pk.Noarch})
	}
	if len(pk.TrackFeatures) > 0 {
		o = append(o, field{"track_features", strings.Join(pk.TrackFeatures, " ")})
	}
	if pk.License != "" {
		o = append(o, field{"license", pk.License})
	}
	if pk.Noarch != "" {
		o = append(o, field{"package_type", "noarch_" + pk.Noarch})
	}
	if pk.Timestamp != 0 {
		o = append(o, field{"timestamp", pk.Timestamp})
	}
	if pk.Size != 0 {
		o = append(o, field{"size", pk.Size})
	}
	return o
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// RepodataRecord returns info/repodata_record.json for a package
// extracted into the cache: its repodata record with absolute URLs.
func RepodataRecord(pk *lockfile.Package, base string) ([]byte, error) {
	b, err := indent(recordFields(pk, base))
	if err != nil {
		return nil, fmt.Errorf("repodata record of %s: %w", pk.Name, err)
	}
	return append(b, '\n'), nil
}

// A metaPath is one paths_data entry; appendIndent writes it as the
// object its object method returns, without building that (a record
// holds one for every file of its package).
type metaPath struct {
	path, placeholder string
	mode              pkginfo.FileMode
	typ               string
	sha256, inPrefix  string
	size              int64
	hasSize           bool
}

// newMetaPath is the paths_data entry of p, as conda writes it.
func newMetaPath(p string, typ pkginfo.PathType, src *pkginfo.Path, inPrefix string, size *int64) metaPath {
	m := metaPath{path: p, typ: string(typ), inPrefix: inPrefix}
	if src != nil && src.Placeholder != "" {
		m.placeholder, m.mode = src.Placeholder, src.Mode
		if m.mode == "" {
			m.mode = pkginfo.Text
		}
	}
	if src != nil {
		m.sha256 = src.SHA256
	}
	if size != nil {
		m.size, m.hasSize = *size, true
	}
	return m
}

// object is the entry in conda's key order.
func (m metaPath) object() object {
	o := object{{"_path", m.path}}
	if m.placeholder != "" {
		o = append(o, field{"prefix_placeholder", m.placeholder}, field{"file_mode", m.mode})
	}
	o = append(o, field{"path_type", m.typ})
	if m.sha256 != "" {
		o = append(o, field{"sha256", m.sha256})
	}
	if m.hasSize {
		o = append(o, field{"size_in_bytes", m.size})
	}
	if m.inPrefix != "" {
		o = append(o, field{"sha256_in_prefix", m.inPrefix})
	}
	return o
}

// appendIndent appends m as appendIndent(b, m.object(), depth) would.
func (m metaPath) appendIndent(b []byte, depth int) []byte {
	key := func(b []byte, k string) []byte {
		b = newline(b, depth+1)
		b = append(b, '"')
		b = append(b, k...)
		return append(b, '"', ':', ' ')
	}
	b = append(b, '{')
	b = key(b, "_path")
	b = appendString(b, m.path)
	if m.placeholder != "" {
		b = append(b, ',')
		b = key(b, "prefix_placeholder")
		b = appendString(b, m.placeholder)
		b = append(b, ',')
		b = key(b, "file_mode")
		b = appendString(b, string(m.mode))
	}
	b = append(b, ',')
	b = key(b, "path_type")
	b = appendString(b, m.typ)
	if m.sha256 != "" {
		b = append(b, ',')
		b = key(b, "sha256")
		b = appendString(b, m.sha256)
	}
	if m.hasSize {
		b = append(b, ',')
		b = key(b, "size_in_bytes")
		b = strconv.AppendInt(b, m.size, 10)
	}
	if m.inPrefix != "" {
		b = append(b, ',')
		b = key(b, "sha256_in_prefix")
		b = appendString(b, m.inPrefix)
	}
	b = append(b, '\n')
	for range depth {
		b = append(b, ' ', ' ')
	}
	return append(b, '}')
}

// PycFileType is conda's path_type for byte-code compiled at install.
const PycFileType = "pyc_file"

// EntryPointType is conda's path_type for a console script written for a
// noarch python package's entry point.
const EntryPointType = "unix_python_entry_point"

// pathsData pairs the files linked with the package's paths.json
// entries: paths_data as conda writes it (noarch python paths
// package-relative, as in the package, "site-packages/…"; entry points
// last) and the prefix-relative files list.
func (r *PackageRecord) pathsData() (files []string, paths []metaPath) {
	files = make([]string, 0, len(r.Files)+len(r.Pyc))
	paths = make([]metaPath, 0, len(r.Files)+len(r.Pyc))
	j := 0
	for i := range r.Info.Paths {
		src := &r.Info.Paths[i]
		if j >= len(r.Files) {
			break
		}
		f := r.Files[j]
		if !samePath(f.Path, src.Path, r.Info.Noarch == "python") {
			continue // not linked (a broken symlink the archive lacks)
		}
		j++
		files = append(files, f.Path)
		p := src.Path
		if r.Info.Noarch != "python" {
			p = f.Path
		}
		switch f.Type {
		case pkginfo.SoftLink:
			size := src.Size
			paths = append(paths, newMetaPath(p, pkginfo.SoftLink, src, "", &size))
		case pkginfo.Directory:
			paths = append(paths, newMetaPath(p, pkginfo.Directory, nil, "", nil))
		default:
			inPrefix := f.SHA256InPrefix
			if inPrefix == "" {
				inPrefix = src.SHA256
			}
			var size *int64
			if src.Size != 0 || src.SHA256 != "" {
				s := src.Size
				size = &s
			}
			paths = append(paths, newMetaPath(p, pkginfo.HardLink, src, inPrefix, size))
		}
	}
	// What follows the package's own paths are its entry points.
	for _, f := range r.Files[j:] {
		files = append(files, f.Path)
		size := f.Size
		paths = append(paths, metaPath{path: f.Path, typ: EntryPointType, size: size, hasSize: true})
	}
	// conda lists the byte-code it compiled as pyc_file.
	for _, c := range r.Pyc {
		files = append(files, c.Path)
		paths = append(paths, metaPath{path: c.Path, typ: PycFileType, sha256: c.SHA256, size: c.Size, hasSize: true})
	}
	return files, paths
}

// samePath says whether dest, a path in the prefix, is where the
// package's path src went.
func samePath(dest, src string, noarchPython bool) bool {
	if dest == src {
		return true
	}
	if !noarchPython {
		return false
	}
	switch {
	case strings.HasPrefix(src, "site-packages/"):
		return strings.HasSuffix(dest, "/"+src)
	case strings.HasPrefix(src, "python-scripts/"):
		return dest == "bin/"+strings.TrimPrefix(src, "python-scripts/")
	}
	return false
}

// JSON returns conda-meta/<name>-<version>-<build>.json as conda 26
// writes it: the repodata record, requested_spec(s), where the package
// came from, files, paths_data (version 1) and link.
func (r *PackageRecord) JSON() ([]byte, error) {
	pk := r.Package
	o := recordFields(pk, r.BaseDir)
	// conda 26 writes requested_spec and, last, requested_specs for a
	// package asked for, and an empty _requested_specs for the others
	// (conda/models/records.py, PrefixRecord.dump).
	if pk.Requested != "" {
		o = append(o, field{"requested_spec", pk.Requested})
	} else {
		o = append(o, field{"_requested_specs", []string{}})
	}
	o = append(o, field{"package_tarball_full_path", r.Archive}, field{"extracted_package_dir", r.Extracted})
	files, paths := r.pathsData()
	o = append(o, field{"files", nonNil(files)})
	o = append(o, field{"paths_data", object{{"paths_version", 1}, {"paths", paths}}})
	linkType := 1
	if r.Copy {
		linkType = 3
	}
	o = append(o, field{"link", object{{"source", r.Extracted}, {"type", linkType}}})
	if pk.Requested != "" {
		o = append(o, field{"requested_specs", []string{pk.Requested}})
	}
	// About 300 bytes a path: one allocation for the record.
	b, err := appendIndent(make([]byte, 0, 2048+320*len(paths)), o, 0)
	if err != nil {
		return nil, fmt.Errorf("conda-meta record of %s: %w", pk.Name, err)
	}
	return b, nil
}

// RecordFile is the name of a package's record in conda-meta.
func RecordFile(pk *lockfile.Package) string {
	return pk.Name + "-" + pk.Version + "-" + pk.Build + ".json"
}

// History returns conda-meta/history for a new environment, in conda's
// format (conda/history.py): a head with the time and command, a "+" line
// per package as channel/subdir::name-version-build, sorted, and the
// specs asked for as a Python list (repr), which conda parses back with
// ast.literal_eval.
func History(pl *lockfile.Platform, base string, now time.Time, cmd string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "==> %s <==\n", now.Format("2006-01-02 15:04:05"))
	fmt.Fprintf(&b, "# cmd: %s\n", cmd)
	var lines []string
	for _, pk := range pl.Packages {
		lines = append(lines, "+"+canonicalChannel(absURL(pk.Channel, base))+"/"+pk.Subdir+"::"+pk.Name+"-"+pk.Version+"-"+pk.Build)
	}
	sort.Strings(lines)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if len(pl.Requested) > 0 {
		fmt.Fprintf(&b, "# update specs: %s\n", PyList(pl.Requested))
	}
	return []byte(b.String())
}

// canonicalChannel is conda's canonical name of a channel: the name
// alone for anaconda.org channels and defaults' pkgs/*, else the URL.
func canonicalChannel(c string) string {
	c = strings.TrimRight(c, "/")
	for _, p := range []string{"https://conda.anaconda.org/", "https://repo.anaconda.com/"} {
		if strings.HasPrefix(c, p) {
			return strings.TrimPrefix(c, p)
		}
	}
	return c
}

// PyList returns ss as Python's repr of a list of str.
func PyList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = PyRepr(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// PyRepr returns Python's repr of the string s: single quotes unless s
// holds a single quote and no double quote, backslash escapes for the
// quote, backslashes and unprintable characters.
func PyRepr(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// CreatedAt returns conda-meta/created_at: the creation time as seconds
// since the epoch, as conda 26 writes it (str of a Python float), for
// file systems without a birth time.
func CreatedAt(now time.Time) []byte {
	s := strconv.FormatFloat(float64(now.UnixMicro())/1e6, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return []byte(s)
}
