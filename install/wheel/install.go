package wheel

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/envlock/envlock/install/link"
)

// Installer is what INSTALLER says for wheels envlock installed; verify
// reports any other value as drift.
const Installer = "envlock"

// Options say where a wheel goes.
type Options struct {
	// Stage is the directory files are written under (a staging copy of
	// the prefix), opened as an os.Root so no path of the wheel leads a
	// write out of it; Prefix is where it will live, for script
	// shebangs.
	Stage  *os.Root
	Prefix string
	// SitePackages is relative to the prefix: "lib/python3.11/site-packages".
	SitePackages string
	// PythonVersion is "3.11", for the headers directory.
	PythonVersion string
	// URL is where the wheel came from; a file:// URL is recorded in
	// direct_url.json (PEP 610).
	URL string
	// DirectSHA256, when set, says the manifest named the wheel by URL
	// ("name @ URL"): URL and this hash go to direct_url.json, as pip
	// writes it for a direct reference.
	DirectSHA256 string
	// Requested marks a wheel the manifest asked for (REQUESTED).
	Requested bool
	// Name and Version, when set, are the locked project and version:
	// the wheel's .dist-info and METADATA must name them.
	Name, Version string
	// Unpacked, when set, is the wheel as Unpack left it in the package
	// cache (checked against RECORD there): its files are hard-linked
	// into the stage rather than unzipped again, falling back to a copy
	// from the archive where a link cannot be made.
	Unpacked *os.Root
	// Bytecode, with Unpacked, names the byte-code an earlier install
	// compiled beside a .py file of the unpacked tree and found valid
	// for it: given the file's path in the archive and its size and
	// mtime as the archive gives them (what the tree keeps), the .pyc's
	// path in the tree and its RECORD entry. Each .pyc named is linked
	// beside its .py in the same pass as the wheel's files, replacing a
	// file of the wheel at that path, and recorded in RECORD; one that
	// cannot be linked is left out (Result.Compiled says which were
	// linked), for the caller to compile. An empty pyc with ok says the
	// file is known not to compile: nothing is linked for it.
	Bytecode func(name string, size int64, mtime time.Time) (pyc string, e RecordEntry, ok bool)
}

// A Result describes an installed wheel.
type Result struct {
	Name, Version string
	// DistInfo is the .dist-info directory relative to the prefix.
	DistInfo string
	// Files are the installed files relative to the prefix, sorted.
	Files []string
	// Sources maps each file hard-linked from Options.Unpacked (relative
	// to the prefix) to its path in that tree.
	Sources map[string]string
	// Compiled maps each .py file (relative to the prefix) whose .pyc
	// Options.Bytecode named and that was linked to that .pyc (also in
	// Files and RECORD), or to "" when Bytecode said it does not compile.
	Compiled map[string]string
}

// maxMeta bounds a metadata file of a wheel (WHEEL, METADATA, RECORD,
// entry_points.txt), the only files read whole into memory.
const maxMeta = 64 << 20

// MaxUnpacked bounds what a wheel of archiveSize bytes may unpack to:
// 200 times its size plus 64 MiB. Real wheels compress a few times
// over; a zip bomb a thousand times.
func MaxUnpacked(archiveSize int64) int64 { return 200*archiveSize + 64<<20 }

// Install unpacks the wheel at archive into o.Stage, streaming each
// file from the archive on disk (or linking it from o.Unpacked). Nothing
// is written unless every file matches the wheel's RECORD.
func Install(archive string, o Options) (*Result, error) {
	p, err := Open(archive, o)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return p.Install()
}

// A Plan is a wheel read and checked (its metadata against the locked
// project, every file against RECORD, every destination against the
// prefix) and planned file by file, nothing written yet: Dests says
// where it will write, so that wheels can be installed side by side
// when no two write the same path. Close releases the archive.
type Plan struct {
	z        *zip.ReadCloser
	o        Options
	base     string // the archive's file name, for errors
	res      *Result
	entries  []*entry
	distInfo string
	// uncompiled are the .py files Options.Bytecode said do not compile.
	uncompiled []string
}

// Open reads and plans the wheel at archive for o (see Plan).
func Open(archive string, o Options) (*Plan, error) {
	z, err := zip.OpenReader(archive)
	if err != nil {
		return nil, fmt.Errorf("%s: not a wheel: %w", filepath.Base(archive), err)
	}
	fi, err := os.Stat(archive)
	if err != nil {
		z.Close()
		return nil, err
	}
	p := &Plan{z: z, o: o, base: filepath.Base(archive)}
	if err := p.plan(&z.Reader, fi.Size()); err != nil {
		z.Close()
		return nil, fmt.Errorf("%s: %w", p.base, err)
	}
	return p, nil
}

// Close releases the archive.
func (p *Plan) Close() error { return p.z.Close() }

// Dests are the paths, relative to the prefix, the wheel will write
// (its RECORD included).
func (p *Plan) Dests() []string {
	out := make([]string, 0, len(p.entries)+1)
	for _, e := range p.entries {
		out = append(out, e.dest)
	}
	return append(out, path.Join(p.distInfo, "RECORD"))
}

// Files counts the files the wheel will write.
func (p *Plan) Files() int { return len(p.entries) + 1 }

// Install writes the planned wheel into o.Stage.
func (p *Plan) Install() (*Result, error) {
	res, err := p.install()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.base, err)
	}
	return res, nil
}

type entry struct {
	zf *zip.File // the archive's file, nil for one envlock writes
	// pyc, for a .pyc compiled in Options.Unpacked, is its path there
	// (zf and data are nil; hash and size are its RECORD entry).
	pyc  string
	dest string // path relative to the prefix
	data []byte // content of a file envlock writes
	hash string // RECORD's hash of zf
	size int64  // RECORD's size of zf, -1 when not given
	exec bool
	// shebang marks a script whose "#!python" line becomes the
	// environment's python.
	shebang bool
	// source, for a .pyc, is the .py file it was compiled from
	// (relative to the prefix).
	source string
}

// namePEP508 is a project name (PEP 508).
var namePEP508 = regexp.MustCompile(`(?i)^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`)

// separators are what PEP 503 normalization folds into one "-".
var separators = regexp.MustCompile(`[-_.]+`)

// normalize is PEP 503 name normalization.
func normalize(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

func (p *Plan) plan(z *zip.Reader, archiveSize int64) error {
	o := p.o
	files := make(map[string]*zip.File, len(z.File))
	distInfo := ""
	var total uint64
	for _, f := range z.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if !safe(f.Name) {
			return fmt.Errorf("entry %q leaves the wheel's root", f.Name)
		}
		if files[f.Name] != nil {
			return fmt.Errorf("entry %q is in the archive twice", f.Name)
		}
		files[f.Name] = f
		total += f.UncompressedSize64
		if dir, base, ok := strings.Cut(f.Name, "/"); ok && base == "WHEEL" && strings.HasSuffix(dir, ".dist-info") {
			if distInfo != "" {
				return fmt.Errorf("two .dist-info directories: %s and %s", distInfo, dir)
			}
			distInfo = dir
		}
	}
	if distInfo == "" {
		return fmt.Errorf("no .dist-info/WHEEL: not a wheel")
	}
	if total > uint64(MaxUnpacked(archiveSize)) {
		return fmt.Errorf("it unpacks to %d bytes from a %d-byte archive, more than %d: refusing it (a zip bomb?)", total, archiveSize, MaxUnpacked(archiveSize))
	}
	read := func(name string) ([]byte, error) {
		f := files[name]
		if f == nil {
			return nil, fmt.Errorf("%s is missing", name)
		}
		if f.UncompressedSize64 > maxMeta {
			return nil, fmt.Errorf("%s is larger than %d bytes", name, maxMeta)
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		// The size the archive declares, read at once; the read past
		// it must find the end (archive/zip checks the CRC there).
		b := make([]byte, f.UncompressedSize64)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			if err == nil || err == io.EOF {
				err = fmt.Errorf("longer than the archive says")
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return b, nil
	}
	// readHead reads the header block of an RFC 822 style file (up to
	// its first empty line): what header needs of METADATA, whose body
	// (the project's long description) can be the larger part.
	readHead := func(name string) ([]byte, error) {
		f := files[name]
		if f == nil {
			return nil, fmt.Errorf("%s is missing", name)
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		br := bufio.NewReader(io.LimitReader(r, maxMeta))
		var head []byte
		partial := false // line continues a longer one
		for {
			line, err := br.ReadSlice('\n')
			head = append(head, line...)
			if err == bufio.ErrBufferFull {
				partial = true
				continue
			}
			if err == io.EOF || (!partial && len(bytes.TrimRight(line, "\r\n")) == 0) {
				return head, nil
			}
			partial = false
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	wheelFile, err := read(distInfo + "/WHEEL")
	if err != nil {
		return err
	}
	if v := header(wheelFile, "Wheel-Version"); !strings.HasPrefix(v, "1.") {
		return fmt.Errorf("Wheel-Version %q: envlock installs version 1 wheels", v)
	}
	meta, err := readHead(distInfo + "/METADATA")
	if err != nil {
		return err
	}
	res := &Result{Name: header(meta, "Name"), Version: header(meta, "Version"), DistInfo: path.Join(o.SitePackages, distInfo)}
	p.res, p.distInfo = res, path.Join(o.SitePackages, distInfo)
	if err := o.checkIdentity(distInfo, res.Name, res.Version); err != nil {
		return err
	}
	recData, err := read(distInfo + "/RECORD")
	if err != nil {
		return err
	}
	record, err := ReadRecord(bytes.NewReader(recData))
	if err != nil {
		return err
	}
	listed := make(map[string]RecordEntry, len(record))
	for _, e := range record {
		listed[e.Path] = e
	}
	// Plan every file and check every destination before anything is
	// read or written.
	dataDir := strings.TrimSuffix(distInfo, ".dist-info") + ".data/"
	entries := make([]*entry, 0, len(z.File)+4)
	for _, f := range z.File {
		if strings.HasSuffix(f.Name, "/") || f.Name == distInfo+"/RECORD" {
			continue
		}
		e, ok := listed[f.Name]
		if !ok {
			return fmt.Errorf("%s is not listed in RECORD", f.Name)
		}
		delete(listed, f.Name)
		if e.Hash == "" {
			return fmt.Errorf("RECORD gives no hash for %s", f.Name)
		}
		ent := &entry{zf: f, hash: e.Hash, size: e.Size, exec: f.Mode()&0o111 != 0}
		if rest, ok := strings.CutPrefix(f.Name, dataDir); ok {
			scheme, sub, _ := strings.Cut(rest, "/")
			switch scheme {
			case "purelib", "platlib":
				ent.dest = path.Join(o.SitePackages, sub)
			case "scripts":
				ent.dest = path.Join("bin", sub)
				ent.exec, ent.shebang = true, true
			case "headers":
				ent.dest = path.Join("include", "python"+o.PythonVersion, res.Name, sub)
			case "data":
				ent.dest = sub
			default:
				return fmt.Errorf("%s: unknown .data scheme %q (purelib, platlib, scripts, headers or data)", f.Name, scheme)
			}
			if sub == "" || strings.HasPrefix(sub, "/") || strings.Contains(sub, "//") {
				return fmt.Errorf("%s: the path after %s%s/ is not a relative path", f.Name, dataDir, scheme)
			}
		} else {
			ent.dest = path.Join(o.SitePackages, f.Name)
		}
		if err := link.CheckDest(ent.dest); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		entries = append(entries, ent)
	}
	for l := range listed {
		if l != distInfo+"/RECORD" {
			return fmt.Errorf("RECORD lists %s, which the wheel does not hold", l)
		}
	}
	if o.Unpacked != nil && o.Bytecode != nil {
		entries, p.uncompiled = withBytecode(entries, o.Bytecode)
	}
	// Every file against RECORD, streamed from the archive: a wheel
	// whose files do not match is not installed at all. An unpacked
	// cache entry was checked so when it was made.
	if o.Unpacked == nil {
		for _, e := range entries {
			if err := copyChecked(io.Discard, e, o.Prefix); err != nil {
				return err
			}
		}
	}
	if ep, ok := files[distInfo+"/entry_points.txt"]; ok {
		data, err := read(ep.Name)
		if err != nil {
			return err
		}
		scripts, err := entryPoints(data, o.Prefix)
		if err != nil {
			return err
		}
		entries = append(entries, scripts...)
	}
	di := path.Join(o.SitePackages, distInfo)
	entries = append(entries, &entry{dest: path.Join(di, "INSTALLER"), data: []byte(Installer + "\n")})
	if o.Requested {
		entries = append(entries, &entry{dest: path.Join(di, "REQUESTED"), data: nil})
	}
	switch {
	case o.DirectSHA256 != "":
		du, _ := json.Marshal(map[string]any{"url": o.URL, "archive_info": map[string]any{
			"hash": "sha256=" + o.DirectSHA256, "hashes": map[string]string{"sha256": o.DirectSHA256}}})
		entries = append(entries, &entry{dest: path.Join(di, "direct_url.json"), data: append(du, '\n')})
	case strings.HasPrefix(o.URL, "file://"):
		du, _ := json.Marshal(map[string]any{"url": o.URL, "archive_info": map[string]any{}})
		entries = append(entries, &entry{dest: path.Join(di, "direct_url.json"), data: append(du, '\n')})
	}
	p.entries = entries
	return nil
}

// withBytecode adds to entries the .pyc that bytecode names for each
// .py file, in its __pycache__ beside it; a file of the wheel at the
// same path (a .pyc it ships) gives way to it, as to one compiled at
// install. It returns as well the .py files bytecode says do not
// compile.
func withBytecode(entries []*entry, bytecode func(string, int64, time.Time) (string, RecordEntry, bool)) ([]*entry, []string) {
	var pycs []*entry
	var uncompiled []string
	at := map[string]bool{}
	for _, e := range entries {
		if e.zf == nil || e.shebang || !strings.HasSuffix(e.dest, ".py") {
			continue
		}
		pyc, re, ok := bytecode(e.zf.Name, int64(e.zf.UncompressedSize64), e.zf.Modified)
		if ok && pyc == "" {
			uncompiled = append(uncompiled, e.dest)
			continue
		}
		if !ok || path.Dir(pyc) != path.Join(path.Dir(e.zf.Name), "__pycache__") || !strings.HasSuffix(pyc, ".pyc") {
			continue
		}
		dest := path.Join(path.Dir(e.dest), "__pycache__", path.Base(pyc))
		if at[dest] {
			continue
		}
		at[dest] = true
		pycs = append(pycs, &entry{pyc: pyc, dest: dest, hash: re.Hash, size: re.Size, source: e.dest})
	}
	if len(pycs) == 0 {
		return entries, uncompiled
	}
	entries = slices.DeleteFunc(entries, func(e *entry) bool { return e.zf != nil && at[e.dest] })
	return append(entries, pycs...), uncompiled
}

func (p *Plan) install() (*Result, error) {
	o, res := p.o, p.res
	di := p.distInfo
	var installed []RecordEntry
	dirs := &stageDirs{stage: o.Stage, roots: map[string]*os.Root{}}
	defer dirs.close()
	var lk *linker
	if o.Unpacked != nil {
		lk = &linker{Linker: link.NewLinker(o.Unpacked, o.Stage), stage: o.Stage}
		defer lk.Close()
	}
	for _, e := range p.entries {
		mode := os.FileMode(0o644)
		if e.exec {
			mode = 0o755
		}
		if e.pyc != "" {
			// Compiled in the tree: linked, or left for the caller.
			if lk == nil || lk.entry(e.pyc, e.dest) != nil {
				continue
			}
			rel, _ := filepathRel(o.SitePackages, e.dest)
			installed = append(installed, RecordEntry{Path: rel, Hash: e.hash, Size: e.size})
			res.Files = append(res.Files, e.dest)
			if res.Sources == nil {
				res.Sources = map[string]string{}
			}
			res.Sources[e.dest] = e.pyc
			if res.Compiled == nil {
				res.Compiled = map[string]string{}
			}
			res.Compiled[e.source] = e.dest
			continue
		}
		if lk != nil && e.zf != nil && !e.shebang && lk.entry(e.zf.Name, e.dest) == nil {
			rel, _ := filepathRel(o.SitePackages, e.dest)
			installed = append(installed, RecordEntry{Path: rel, Hash: e.hash, Size: int64(e.zf.UncompressedSize64)})
			res.Files = append(res.Files, e.dest)
			if res.Sources == nil {
				res.Sources = map[string]string{}
			}
			res.Sources[e.dest] = e.zf.Name
			continue
		}
		dr, name, err := dirs.at(e.dest)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := writeEntry(dr, name, e, mode, h, o.Prefix)
		if err != nil {
			return nil, err
		}
		// The archive's mtime, as pip keeps it; a rewritten script gets
		// the install time.
		if e.zf != nil && !e.shebang && !e.zf.Modified.IsZero() {
			if err := dr.Chtimes(name, e.zf.Modified, e.zf.Modified); err != nil {
				return nil, fmt.Errorf("%s: %w", e.dest, err)
			}
		}
		rel, _ := filepathRel(o.SitePackages, e.dest)
		installed = append(installed, RecordEntry{Path: rel, Hash: "sha256=" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)), Size: n})
		res.Files = append(res.Files, e.dest)
	}
	recPath := path.Join(di, "RECORD")
	installed = append(installed, RecordEntry{Path: path.Join(path.Base(di), "RECORD"), Size: -1})
	var rb bytes.Buffer
	if err := writeRecord(&rb, installed); err != nil {
		return nil, err
	}
	dr, name, err := dirs.at(recPath)
	if err != nil {
		return nil, err
	}
	if err := writeEntryData(dr, name, rb.Bytes(), 0o644); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, recPath)
	slices.Sort(res.Files)
	for _, py := range p.uncompiled {
		if res.Compiled == nil {
			res.Compiled = map[string]string{}
		}
		res.Compiled[py] = ""
	}
	return res, nil
}

// checkIdentity checks the .dist-info directory and METADATA name the
// locked project and version (PEP 503 names, PEP 427 directory names).
func (o *Options) checkIdentity(distInfo, name, version string) error {
	if !namePEP508.MatchString(name) {
		return fmt.Errorf("METADATA's Name %q is not a project name", name)
	}
	if version == "" || strings.ContainsAny(version, "/\\ ") {
		return fmt.Errorf("METADATA's Version %q is not a version", version)
	}
	dn, dv, _ := strings.Cut(strings.TrimSuffix(distInfo, ".dist-info"), "-")
	if normalize(dn) != normalize(name) || dv != version {
		return fmt.Errorf("its %s does not match METADATA's %s %s", distInfo, name, version)
	}
	if o.Name != "" && (normalize(name) != normalize(o.Name) || !strings.EqualFold(version, o.Version)) {
		return fmt.Errorf("it holds %s %s, not the locked %s %s (%s)", name, version, o.Name, o.Version, distInfo)
	}
	return nil
}

// copyChecked streams e's file from the archive to w (with a script's
// "#!python" line rewritten), checking its bytes against RECORD's hash
// and size. It returns what it wrote to w.
func copyChecked(w io.Writer, e *entry, prefix string) error {
	r, err := e.zf.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", e.zf.Name, err)
	}
	defer r.Close()
	h := sha256.New()
	// archive/zip fails a file that inflates past its declared size.
	src := io.TeeReader(io.LimitReader(r, int64(e.zf.UncompressedSize64)+1), h)
	var n int64
	if e.shebang {
		br := bufio.NewReaderSize(src, 4096)
		if head, _ := br.Peek(8); bytes.HasPrefix(head, []byte("#!python")) {
			// "#!python" (and "#!pythonw") means the installing
			// interpreter: the environment's.
			line, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				return fmt.Errorf("%s: its #! line is longer than 4096 bytes", e.zf.Name)
			}
			if err != nil && err != io.EOF {
				return fmt.Errorf("%s: %w", e.zf.Name, err)
			}
			n += int64(len(line))
			py := "#!" + filepath.ToSlash(filepath.Join(prefix, "bin", "python"))
			if err == nil {
				py += "\n"
			}
			if _, err := io.WriteString(w, py); err != nil {
				return err
			}
		}
		k, err := io.Copy(w, br)
		n += k
		if err != nil {
			return fmt.Errorf("%s: %w", e.zf.Name, err)
		}
	} else {
		k, err := io.Copy(w, src)
		n += k
		if err != nil {
			return fmt.Errorf("%s: %w", e.zf.Name, err)
		}
	}
	if n != int64(e.zf.UncompressedSize64) {
		return fmt.Errorf("%s: %d bytes, the archive says %d (the wheel is corrupt)", e.zf.Name, n, e.zf.UncompressedSize64)
	}
	got := "sha256=" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	if err := checkHashString(e.hash, got); err != nil {
		return fmt.Errorf("%s: %w (the wheel is corrupt or was altered)", e.zf.Name, err)
	}
	if e.size >= 0 && n != e.size {
		return fmt.Errorf("%s: %d bytes, RECORD says %d (the wheel is corrupt or was altered)", e.zf.Name, n, e.size)
	}
	return nil
}

// A stageDirs opens each directory of the stage a wheel writes files
// in (its .dist-info, bin/) once, made if need be, as a root of its own:
// a file is then made with one lookup, not a walk from the stage's top.
type stageDirs struct {
	stage *os.Root
	roots map[string]*os.Root
}

// at returns the root of dest's directory and dest's name in it.
func (d *stageDirs) at(dest string) (*os.Root, string, error) {
	dir := path.Dir(dest)
	if r := d.roots[dir]; r != nil {
		return r, path.Base(dest), nil
	}
	if err := d.stage.MkdirAll(dir, 0o755); err != nil {
		return nil, "", fmt.Errorf("%s: %w", dest, err)
	}
	r, err := d.stage.OpenRoot(dir)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", dest, err)
	}
	d.roots[dir] = r
	return r, path.Base(dest), nil
}

func (d *stageDirs) close() {
	for _, r := range d.roots {
		r.Close()
	}
}

// writeEntry writes e into the directory root as the new file name
// (whatever a conda package put there is replaced: the wheel's wins, as
// with pip), feeding what it writes to h.
func writeEntry(root *os.Root, name string, e *entry, mode os.FileMode, h io.Writer, prefix string) (int64, error) {
	f, err := createIn(root, name, mode)
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: io.MultiWriter(f, h)}
	if e.zf != nil {
		err = copyChecked(cw, e, prefix)
	} else {
		_, err = cw.Write(e.data)
	}
	return cw.n, errors.Join(err, f.Close())
}

// A linker hard-links entries from an unpacked cache tree into the
// stage, making each directory of the stage once.
type linker struct {
	*link.Linker
	stage *os.Root
}

// entry hard-links the file src of the unpacked cache entry to dest in
// the stage, replacing what is there (not a directory).
func (l *linker) entry(src, dest string) error {
	if err := l.MkdirAll(path.Dir(dest)); err != nil {
		return err
	}
	err := l.Link(src, dest)
	if err == nil || !errors.Is(err, fs.ErrExist) {
		return err
	}
	// A conda package's file of the same name: the wheel's wins.
	if fi, err := l.stage.Lstat(dest); err == nil && fi.IsDir() {
		return fmt.Errorf("%s: would replace a directory", dest)
	}
	if err := l.stage.Remove(dest); err != nil {
		return err
	}
	return l.Link(src, dest)
}

func writeEntryData(stage *os.Root, dest string, data []byte, mode os.FileMode) error {
	f, err := createIn(stage, dest, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// createIn makes dest a new file in the stage, its directories made and
// anything there before removed (a directory is an error).
func createIn(stage *os.Root, dest string, mode os.FileMode) (*os.File, error) {
	if dir := path.Dir(dest); dir != "." {
		if err := stage.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("%s: %w", dest, err)
		}
	}
	if fi, err := stage.Lstat(dest); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s: would replace a directory", dest)
		}
		if err := stage.Remove(dest); err != nil {
			return nil, err
		}
	}
	f, err := stage.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dest, err)
	}
	return f, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// filepathRel is dest relative to the site-packages directory, in "/"
// form ("../../../bin/tool" for a script).
func filepathRel(sitePackages, dest string) (string, error) {
	r, err := filepath.Rel(filepath.FromSlash(sitePackages), filepath.FromSlash(dest))
	return filepath.ToSlash(r), err
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
