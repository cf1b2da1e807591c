package wheel

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Installer is what INSTALLER says for wheels envlock installed; verify
// reports any other value as drift.
const Installer = "envlock"

// Options say where a wheel goes.
type Options struct {
	// Stage is the directory files are written under (a staging copy of
	// the prefix); Prefix is where it will live, for script shebangs.
	Stage, Prefix string
	// SitePackages is relative to the prefix: "lib/python3.11/site-packages".
	SitePackages string
	// PythonVersion is "3.11", for the headers directory.
	PythonVersion string
	// URL is where the wheel came from; a file:// URL is recorded in
	// direct_url.json (PEP 610).
	URL string
	// Requested marks a wheel the manifest asked for (REQUESTED).
	Requested bool
}

// A Result describes an installed wheel.
type Result struct {
	Name, Version string
	// DistInfo is the .dist-info directory relative to the prefix.
	DistInfo string
	// Files are the installed files relative to the prefix, sorted.
	Files []string
}

// maxFile bounds one file of a wheel in memory.
const maxFile = 1 << 30

// Install unpacks the wheel at archive into o.Stage. Nothing is written
// unless every file matches the wheel's RECORD.
func Install(archive string, o Options) (*Result, error) {
	z, err := zip.OpenReader(archive)
	if err != nil {
		return nil, fmt.Errorf("%s: not a wheel: %w", filepath.Base(archive), err)
	}
	defer z.Close()
	res, err := install(&z.Reader, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(archive), err)
	}
	return res, nil
}

type entry struct {
	src  string // path in the archive
	dest string // path relative to the prefix
	data []byte
	exec bool
}

func install(z *zip.Reader, o Options) (*Result, error) {
	files := map[string]*zip.File{}
	distInfo := ""
	for _, f := range z.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if !safe(f.Name) {
			return nil, fmt.Errorf("entry %q leaves the wheel's root", f.Name)
		}
		files[f.Name] = f
		if dir, base, ok := strings.Cut(f.Name, "/"); ok && base == "WHEEL" && strings.HasSuffix(dir, ".dist-info") {
			if distInfo != "" {
				return nil, fmt.Errorf("two .dist-info directories: %s and %s", distInfo, dir)
			}
			distInfo = dir
		}
	}
	if distInfo == "" {
		return nil, fmt.Errorf("no .dist-info/WHEEL: not a wheel")
	}
	read := func(name string) ([]byte, error) {
		f := files[name]
		if f == nil {
			return nil, fmt.Errorf("%s is missing", name)
		}
		if f.UncompressedSize64 > maxFile {
			return nil, fmt.Errorf("%s is larger than %d bytes", name, maxFile)
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(io.LimitReader(r, maxFile))
	}
	wheelFile, err := read(distInfo + "/WHEEL")
	if err != nil {
		return nil, err
	}
	if v := header(wheelFile, "Wheel-Version"); !strings.HasPrefix(v, "1.") {
		return nil, fmt.Errorf("Wheel-Version %q: envlock installs version 1 wheels", v)
	}
	meta, err := read(distInfo + "/METADATA")
	if err != nil {
		return nil, err
	}
	res := &Result{Name: header(meta, "Name"), Version: header(meta, "Version"), DistInfo: path.Join(o.SitePackages, distInfo)}
	recData, err := read(distInfo + "/RECORD")
	if err != nil {
		return nil, err
	}
	record, err := ReadRecord(bytes.NewReader(recData))
	if err != nil {
		return nil, err
	}
	listed := map[string]RecordEntry{}
	for _, e := range record {
		listed[e.Path] = e
	}
	// Check everything first: a wheel whose files do not match its
	// RECORD is not installed at all.
	dataDir := strings.TrimSuffix(distInfo, ".dist-info") + ".data/"
	var entries []*entry
	for _, f := range z.File {
		if strings.HasSuffix(f.Name, "/") || f.Name == distInfo+"/RECORD" {
			continue
		}
		data, err := read(f.Name)
		if err != nil {
			return nil, err
		}
		e, ok := listed[f.Name]
		if !ok {
			return nil, fmt.Errorf("%s is not listed in RECORD", f.Name)
		}
		delete(listed, f.Name)
		if e.Hash == "" {
			return nil, fmt.Errorf("RECORD gives no hash for %s", f.Name)
		}
		if err := CheckHash(e.Hash, data); err != nil {
			return nil, fmt.Errorf("%s: %w (the wheel is corrupt or was altered)", f.Name, err)
		}
		ent := &entry{src: f.Name, data: data, exec: f.Mode()&0o111 != 0}
		if rest, ok := strings.CutPrefix(f.Name, dataDir); ok {
			scheme, p, _ := strings.Cut(rest, "/")
			switch scheme {
			case "purelib", "platlib":
				ent.dest = path.Join(o.SitePackages, p)
			case "scripts":
				ent.dest = path.Join("bin", p)
				ent.exec = true
				// "#!python" (and "#!pythonw") means the installing
				// interpreter: the environment's.
				if bytes.HasPrefix(data, []byte("#!python")) {
					rest := []byte{}
					if i := bytes.IndexByte(data, '\n'); i >= 0 {
						rest = data[i:]
					}
					ent.data = append([]byte("#!"+filepath.ToSlash(filepath.Join(o.Prefix, "bin", "python"))), rest...)
				}
			case "headers":
				ent.dest = path.Join("include", "python"+o.PythonVersion, res.Name, p)
			case "data":
				ent.dest = p
			default:
				return nil, fmt.Errorf("%s: unknown .data scheme %q (purelib, platlib, scripts, headers or data)", f.Name, scheme)
			}
		} else {
			ent.dest = path.Join(o.SitePackages, f.Name)
		}
		entries = append(entries, ent)
	}
	for p := range listed {
		if p != distInfo+"/RECORD" {
			return nil, fmt.Errorf("RECORD lists %s, which the wheel does not hold", p)
		}
	}
	if ep, ok := files[distInfo+"/entry_points.txt"]; ok {
		data, err := read(ep.Name)
		if err != nil {
			return nil, err
		}
		scripts, err := entryPoints(data, o.Prefix)
		if err != nil {
			return nil, err
		}
		entries = append(entries, scripts...)
	}
	di := path.Join(o.SitePackages, distInfo)
	entries = append(entries, &entry{dest: path.Join(di, "INSTALLER"), data: []byte(Installer + "\n")})
	if o.Requested {
		entries = append(entries, &entry{dest: path.Join(di, "REQUESTED"), data: nil})
	}
	if strings.HasPrefix(o.URL, "file://") {
		du, _ := json.Marshal(map[string]any{"url": o.URL, "archive_info": map[string]any{}})
		entries = append(entries, &entry{dest: path.Join(di, "direct_url.json"), data: append(du, '\n')})
	}

	var installed []RecordEntry
	for _, e := range entries {
		dst := filepath.Join(o.Stage, filepath.FromSlash(e.dest))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		mode := os.FileMode(0o644)
		if e.exec {
			mode = 0o755
		}
		os.Remove(dst) // a file of a conda package: the wheel's wins, as with pip
		if err := os.WriteFile(dst, e.data, mode); err != nil {
			return nil, err
		}
		rel, _ := filepathRel(o.SitePackages, e.dest)
		installed = append(installed, RecordEntry{Path: rel, Hash: Hash(e.data), Size: int64(len(e.data))})
		res.Files = append(res.Files, e.dest)
	}
	recPath := path.Join(di, "RECORD")
	installed = append(installed, RecordEntry{Path: path.Join(distInfo, "RECORD"), Size: -1})
	var rb bytes.Buffer
	if err := writeRecord(&rb, installed); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Stage, filepath.FromSlash(recPath)), rb.Bytes(), 0o644); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, recPath)
	sortStrings(res.Files)
	return res, nil
}

// filepathRel is dest relative to the site-packages directory, in "/"
// form ("../../../bin/tool" for a script).
func filepathRel(sitePackages, dest string) (string, error) {
	r, err := filepath.Rel(filepath.FromSlash(sitePackages), filepath.FromSlash(dest))
	return filepath.ToSlash(r), err
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// safe reports whether an archive path stays inside the wheel's root.
func safe(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return false
		}
	}
	return true
}

// header returns the first value of an RFC 822 style header.
func header(data []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), key) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var (
	entryRE = regexp.MustCompile(`^([A-Za-z0-9_.\-]+)\s*=\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?::\s*([A-Za-z_][A-Za-z0-9_.]*))?\s*(\[.*\])?\s*$`)
)

// entryPoints turns console_scripts and gui_scripts into scripts in bin/
// that run the environment's python, as pip's launcher scripts do.
func entryPoints(data []byte, prefix string) ([]*entry, error) {
	var out []*entry
	section := ""
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[] ")
			continue
		case section != "console_scripts" && section != "gui_scripts":
			continue
		}
		m := entryRE.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("entry_points.txt line %d: %q is not \"name = module:function\"", i+1, line)
		}
		name, module, attr := m[1], m[2], m[3]
		if strings.Contains(name, "/") || name == "." || name == ".." {
			return nil, fmt.Errorf("entry_points.txt line %d: bad script name %q", i+1, name)
		}
		imp, call := "import "+module, module
		if attr != "" {
			top, _, _ := strings.Cut(attr, ".")
			imp, call = "from "+module+" import "+top, attr
		}
		script := fmt.Sprintf("#!%s\n# -*- coding: utf-8 -*-\n# Written by envlock for the %s entry point %s.\nimport re\nimport sys\n%s\nif __name__ == \"__main__\":\n    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    sys.exit(%s())\n",
			filepath.ToSlash(filepath.Join(prefix, "bin", "python")), section, name, imp, call)
		out = append(out, &entry{dest: path.Join("bin", name), data: []byte(script), exec: true})
	}
	return out, nil
}
