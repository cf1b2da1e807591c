// Package link places one extracted package into a prefix: files are
// hard-linked from the package cache when nothing in them changes (and
// the cache is on the same file system), otherwise copied; symlinks are
// recreated; prefix placeholders are replaced (text files everywhere,
// binary files inside each NUL-terminated string, padded with NULs, as
// conda does); in those files, shebangs longer than the kernel's limit
// are rewritten to "#!/usr/bin/env" (conda's rule: no other file is
// read); noarch python packages are laid out for the prefix's
// python and get their entry points as scripts.
//
// Every file goes into the staging directory through an os.Root of it,
// and out of the package cache through an os.Root of the package: a
// link a package made (or a chain of links across packages) cannot lead
// a write out of the stage. Hard links are made between the final names
// in parent directories opened through the roots (linkat, never
// following); destinations in conda-meta/ are refused (CheckDest); text
// placeholders may not grow a file beyond MaxGrowth.
package link

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/envlock/envlock/install/pkginfo"
)

// Mode is how files without changes get into the prefix.
type Mode string

// Link modes.
const (
	Auto     Mode = ""         // hardlink, falling back to copy
	Hardlink Mode = "hardlink" // hardlink or fail
	Copy     Mode = "copy"
	Reflink  Mode = "reflink" // copy-on-write clone, falling back to copy
)

// Options say where and how to link.
type Options struct {
	// Stage is the directory being filled (the prefix's staging copy),
	// opened as an os.Root: every file linking makes goes through it, so
	// no path or symlink of a package can lead a write out of it.
	Stage *os.Root
	// Prefix is the final path of the environment: what placeholders
	// become.
	Prefix string
	// Mode chooses hardlinks or copies.
	Mode Mode
	// PythonVersion is "3.12" when the environment has python (for noarch
	// python packages); SitePackages overrides lib/pythonX.Y/site-packages.
	PythonVersion string
	SitePackages  string
	// Exclusive makes any path of the package that is already in the
	// stage (a file, a link, something where a directory must be) a
	// *ConflictError instead of a clobber, so that packages can be
	// linked at the same time: the caller links them again one by one,
	// in order, when one conflicts (clobbering then depends on the
	// order).
	Exclusive bool
}

// A File is one path the package installed, as conda-meta records it.
type File struct {
	Path           string           `json:"_path"`
	Type           pkginfo.PathType `json:"path_type"`
	SHA256         string           `json:"sha256,omitempty"`
	SHA256InPrefix string           `json:"sha256_in_prefix,omitempty"`
	Size           int64            `json:"size_in_bytes,omitempty"`
	Placeholder    string           `json:"prefix_placeholder,omitempty"`
	FileMode       pkginfo.FileMode `json:"file_mode,omitempty"`
}

// Result says what linking did.
type Result struct {
	Files []File
	// Copied counts files copied where a hardlink was wanted; reflinks
	// count as copies, as conda-meta's link type has none for them.
	Copied, Hardlinked int
	// Reflinked counts, of Copied, the files cloned for Reflink;
	// ReflinkFailed the files copied because the clone failed, and
	// ReflinkErr says why the first of them did, so the installer can
	// say once that reflinks were not possible.
	Reflinked, ReflinkFailed int
	ReflinkErr               error
	Warnings                 []string
	// LinkType is conda's link type for conda-meta: 1 hardlink, 3 copy.
	LinkType int
}

// A PaddingError is a binary file whose placeholder is shorter than the
// prefix: the path cannot be written in place.
type PaddingError struct {
	File        string
	Placeholder string
	Prefix      string
}

func (e *PaddingError) Error() string {
	return fmt.Sprintf("%s: the install path %q (%d bytes) is longer than the package's binary placeholder (%d bytes); choose a shorter prefix", e.File, e.Prefix, len(e.Prefix), len(e.Placeholder))
}

// A PlaceholderError is a file whose prefix placeholder, replaced by
// the install path, would grow it beyond MaxGrowth.
type PlaceholderError struct {
	File        string
	Placeholder string
	Size, Grown int64
}

func (e *PlaceholderError) Error() string {
	return fmt.Sprintf("%s: replacing its prefix placeholder %q would grow it from %d to %d bytes, more than a real package's file grows; the package is malformed or hostile", e.File, e.Placeholder, e.Size, e.Grown)
}

// MaxGrowth bounds the size of a text file after its placeholders are
// replaced: four times its size plus 1 MiB. conda-build's placeholders
// are long (up to 255 bytes) and few a file, so real files shrink or
// grow a little; a file of a one-byte placeholder would grow by the
// length of the install path for every byte.
func MaxGrowth(size int64) int64 { return 4*size + 1<<20 }

// Package links the package extracted at pkgDir.
func Package(pkgDir string, info *pkginfo.Info, opts Options) (*Result, error) {
	src, err := os.OpenRoot(pkgDir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	l := &linker{Linker: NewLinker(src, opts.Stage), src: src, opts: opts}
	l.exclusive = opts.Exclusive
	defer l.Close()
	res := &Result{LinkType: 1}
	for _, p := range info.Paths {
		dest := p.Path
		if info.Noarch == "python" {
			var ok bool
			if dest, ok = noarchPath(p.Path, opts); !ok {
				return nil, fmt.Errorf("%s: noarch python package, but the environment has no python", filepath.Base(pkgDir))
			}
		}
		if err := CheckDest(dest); err != nil {
			return nil, fmt.Errorf("%s: info/paths.json entry %q: %w", filepath.Base(pkgDir), p.Path, err)
		}
		f, err := l.linkOne(pkgDir, p, dest, res)
		if err != nil {
			return nil, err
		}
		if f != nil {
			res.Files = append(res.Files, *f)
		}
	}
	if info.Noarch == "python" {
		for _, ep := range info.EntryPoints {
			f, err := l.entryPoint(ep)
			if err != nil {
				return nil, fmt.Errorf("%s: entry point %q: %v", filepath.Base(pkgDir), ep, err)
			}
			res.Files = append(res.Files, *f)
		}
	}
	if res.Copied > 0 && res.Hardlinked == 0 {
		res.LinkType = 3
	}
	return res, nil
}

// noarchPath maps a noarch python package's paths into the prefix.
func noarchPath(p string, opts Options) (string, bool) {
	switch {
	case strings.HasPrefix(p, "site-packages/"):
		if opts.PythonVersion == "" && opts.SitePackages == "" {
			return "", false
		}
		sp := opts.SitePackages
		if sp == "" {
			sp = "lib/python" + opts.PythonVersion + "/site-packages"
		}
		return sp + strings.TrimPrefix(p, "site-packages"), true
	case strings.HasPrefix(p, "python-scripts/"):
		return "bin/" + strings.TrimPrefix(p, "python-scripts/"), true
	}
	return p, true
}

// CheckDest refuses a destination path that is not a plain relative path
// inside the prefix, or that lies in conda-meta/ (the records of what is
// installed: conda's own, written by the installer alone).
func CheckDest(dest string) error {
	c := path.Clean(dest)
	if dest == "" || c == "." || !filepath.IsLocal(filepath.FromSlash(c)) || strings.Contains(dest, "\\") {
		return fmt.Errorf("the path %q is not inside the prefix", dest)
	}
	first, _, _ := strings.Cut(c, "/")
	if strings.EqualFold(first, "conda-meta") {
		return fmt.Errorf("the path %q is in conda-meta/, which only the installer writes", dest)
	}
	return nil
}

// A linker links one package: src is its extracted tree, opts.Stage the
// staging directory, both os.Roots; its Linker keeps the directories of
// both open (made once, in the stage) and the listing of each source
// directory read.
type linker struct {
	*Linker
	src  *os.Root
	opts Options
	// noHardlinks is set once a hard link failed with EXDEV: the cache
	// is on another file system, and the package's other files are
	// copied without trying.
	noHardlinks bool
}

func (l *linker) linkOne(pkgDir string, p pkginfo.Path, dest string, res *Result) (*File, error) {
	f := &File{Path: dest, Type: p.Type, SHA256: p.SHA256, Size: p.Size, Placeholder: p.Placeholder, FileMode: p.Mode}
	if p.Type == pkginfo.Directory {
		if _, err := l.mkdirAll(dest); err != nil {
			return nil, fmt.Errorf("%s: %w", dest, err)
		}
		return f, nil
	}
	// The stage's directories are made once a package, from its file
	// list, and kept open.
	dd, err := l.mkdirAll(path.Dir(dest))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dest, err)
	}
	// What the cache holds under the name, from its directory's listing
	// (one getdents for the directory, no stat for each file).
	typ, ok := l.srcType(p.Path)
	if !ok {
		if p.Type == pkginfo.SoftLink {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: info/paths.json lists a symlink the archive does not hold (broken packaging); not installed", p.Path))
			// Not recorded either: conda-meta must describe what is on
			// disk, or every verify would report the link missing.
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %s is in info/paths.json but not in the package", filepath.Base(pkgDir), p.Path)
	}
	if typ&os.ModeSymlink != 0 {
		if err := l.vacate(pkgDir, dest, res); err != nil {
			return nil, err
		}
		ln, err := l.src.Readlink(p.Path)
		if err != nil {
			return nil, err
		}
		f.Type = pkginfo.SoftLink
		if err := l.opts.Stage.Symlink(ln, dest); err != nil {
			return nil, l.conflict(dest, err)
		}
		return f, nil
	}
	if !typ.IsRegular() {
		return nil, fmt.Errorf("%s: %s is not a regular file", filepath.Base(pkgDir), p.Path)
	}
	if p.Type == pkginfo.SoftLink {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: info/paths.json says symlink but the archive holds a regular file; installed as a file", p.Path))
	}
	// Only a file with a prefix placeholder is read and rewritten (its
	// shebang too): conda's rule (update_prefix runs for files with a
	// placeholder alone), so every other file is one linkat.
	if p.Placeholder == "" && (l.opts.Mode == Auto || l.opts.Mode == Hardlink) && !l.noHardlinks {
		sd, err := l.dir(false, path.Dir(p.Path))
		if err != nil {
			return nil, err
		}
		err = linkAt(sd, path.Base(p.Path), dd, path.Base(dest))
		if isExist(err) {
			if err := l.vacate(pkgDir, dest, res); err != nil {
				return nil, err
			}
			err = linkAt(sd, path.Base(p.Path), dd, path.Base(dest))
		}
		if err == nil {
			res.Hardlinked++
			return f, nil
		}
		if l.opts.Mode == Hardlink {
			return nil, fmt.Errorf("hard-linking %s: %v (the cache and the prefix must share a file system for --link hardlink)", dest, err)
		}
		if isCrossDevice(err) {
			l.noHardlinks = true
		}
	}
	if err := l.vacate(pkgDir, dest, res); err != nil {
		return nil, err
	}
	fi, err := l.lstat(false, p.Path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %s is not a regular file", filepath.Base(pkgDir), p.Path)
	}
	if p.Placeholder == "" {
		return f, l.place(p.Path, dest, fi, res)
	}
	data, err := l.readFile(p.Path)
	if err != nil {
		return nil, err
	}
	out := data
	switch p.Mode {
	case pkginfo.Binary:
		out, err = binaryReplace(data, []byte(p.Placeholder), []byte(l.opts.Prefix))
		if err != nil {
			return nil, &PaddingError{File: dest, Placeholder: p.Placeholder, Prefix: l.opts.Prefix}
		}
	default:
		n := int64(bytes.Count(data, []byte(p.Placeholder)))
		grown := int64(len(data)) + n*(int64(len(l.opts.Prefix))-int64(len(p.Placeholder)))
		if grown > MaxGrowth(int64(len(data))) {
			return nil, &PlaceholderError{File: dest, Placeholder: p.Placeholder, Size: int64(len(data)), Grown: grown}
		}
		out = bytes.ReplaceAll(data, []byte(p.Placeholder), []byte(l.opts.Prefix))
		out = fixShebang(out)
	}
	if err := l.writeNew(dest, out, fi.Mode().Perm()); err != nil {
		return nil, l.conflict(dest, err)
	}
	res.Copied++
	if !bytes.Equal(out, data) {
		sum := sha256.Sum256(out)
		f.SHA256InPrefix = hex.EncodeToString(sum[:])
	}
	return f, nil
}

// A ConflictError is a path of the stage that is already there when
// Options.Exclusive: another package (or this one) put something there.
type ConflictError struct {
	Path string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s is already in the environment being made (two packages install it)", e.Path)
}

// conflict turns an "exists" error for dest into a *ConflictError when
// the linker is exclusive.
func (l *linker) conflict(dest string, err error) error {
	if l.exclusive && isExist(err) {
		return &ConflictError{Path: dest}
	}
	return err
}

// vacate makes way for dest in the stage: nothing there is fine; a file
// of another package is removed with a warning (conda's default
// path_conflict, clobber: the later package's file wins); a directory is
// an error. With Options.Exclusive anything there is a *ConflictError.
func (l *linker) vacate(pkgDir, dest string, res *Result) error {
	ti, err := l.lstat(true, dest)
	if err != nil {
		return nil
	}
	if l.exclusive {
		return &ConflictError{Path: dest}
	}
	if ti.IsDir() {
		return fmt.Errorf("%s: %s would replace a directory of another package", filepath.Base(pkgDir), dest)
	}
	res.Warnings = append(res.Warnings, fmt.Sprintf("%s: replaces a file of another package (clobbering)", dest))
	return l.opts.Stage.Remove(dest)
}

// writeNew creates name in the stage (it must not exist: O_EXCL never
// follows a link left there) with data.
func (l *linker) writeNew(name string, data []byte, perm os.FileMode) error {
	out, err := l.open(true, name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	return errors.Join(err, out.Close())
}

// readFile reads the source's file name, not following a link.
func (l *linker) readFile(name string) ([]byte, error) {
	f, err := l.open(false, name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// place reflinks or copies an unchanged file (a hard link was tried
// before, where wanted): into a new name of the stage.
func (l *linker) place(src, dest string, fi os.FileInfo, res *Result) error {
	if l.opts.Mode == Reflink {
		// A failed clone falls back to a copy, as conda and pixi do: the
		// environment works either way, and the installer says so.
		err := l.copy(src, dest, fi.Mode().Perm(), true)
		if err == nil {
			res.Copied++
			res.Reflinked++
			return l.keepTime(dest, fi)
		}
		if err := l.conflict(dest, err); errors.As(err, new(*ConflictError)) {
			return err
		}
		res.ReflinkFailed++
		if res.ReflinkErr == nil {
			res.ReflinkErr = err
		}
	}
	res.Copied++
	if err := l.copy(src, dest, fi.Mode().Perm(), false); err != nil {
		return l.conflict(dest, err)
	}
	return l.keepTime(dest, fi)
}

// keepTime gives a copy or clone the cached file's mtime, which a hard
// link shares: a package's .pyc files record their sources' mtimes.
func (l *linker) keepTime(dest string, fi os.FileInfo) error {
	t := fi.ModTime()
	if err := l.opts.Stage.Chtimes(dest, t, t); err != nil {
		return fmt.Errorf("setting the mtime of %s: %w", dest, err)
	}
	return nil
}

// copy copies (or, clone, reflinks) the source's src, not following a
// link, into a new file dest of the stage.
func (l *linker) copy(src, dest string, perm os.FileMode, clone bool) error {
	in, err := l.open(false, src, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := l.open(true, dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if clone {
		if err := reflink(in, out); err != nil {
			out.Close()
			l.opts.Stage.Remove(dest)
			return err
		}
		return out.Close()
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// binaryReplace replaces search by repl inside each NUL-terminated string
// that holds it, padding the string with NULs so every offset in the file
// stays where it was (conda's binary_replace). It fails when repl is
// longer than search.
func binaryReplace(data, search, repl []byte) ([]byte, error) {
	if len(repl) > len(search) {
		if bytes.Contains(data, search) {
			return nil, errors.New("padding")
		}
		return data, nil
	}
	var out bytes.Buffer
	out.Grow(len(data))
	rest := data
	for {
		i := bytes.Index(rest, search)
		if i < 0 {
			out.Write(rest)
			break
		}
		out.Write(rest[:i])
		seg := rest[i:]
		end := bytes.IndexByte(seg, 0)
		if end < 0 {
			// Not NUL-terminated: leave it alone, as conda's regex does.
			out.Write(seg)
			break
		}
		str := seg[:end]
		n := bytes.Count(str, search)
		out.Write(bytes.ReplaceAll(str, search, repl))
		out.Write(make([]byte, n*(len(search)-len(repl))))
		out.WriteByte(0)
		rest = seg[end+1:]
	}
	if out.Len() != len(data) {
		return nil, fmt.Errorf("internal error: binary replacement changed the size")
	}
	return out.Bytes(), nil
}

// ShebangLimit is the longest "#!" line Linux executes (127 bytes).
const ShebangLimit = 127

// fixShebang rewrites a shebang line longer than the kernel's limit to
// "#!/usr/bin/env NAME ARGS", as conda does for deep prefixes.
func fixShebang(data []byte) []byte {
	if !bytes.HasPrefix(data, []byte("#!")) {
		return data
	}
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		nl = len(data)
	}
	line := string(data[2:nl])
	if nl <= ShebangLimit {
		return data
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return data
	}
	exe := path.Base(fields[0])
	newLine := "#!/usr/bin/env " + strings.Join(append([]string{exe}, fields[1:]...), " ")
	return append([]byte(newLine), data[nl:]...)
}

// pythonExe is the interpreter an entry point runs: bin/pythonX.Y, as
// conda writes it (get_python_short_path), when the version is known.
func pythonExe(opts Options) string {
	if opts.PythonVersion != "" {
		return "python" + opts.PythonVersion
	}
	return "python"
}

// entryPoint writes a console script for "name = module:func".
func (l *linker) entryPoint(ep string) (*File, error) {
	opts := l.opts
	name, target, ok := strings.Cut(ep, "=")
	if !ok {
		return nil, errors.New("want NAME = MODULE:FUNCTION")
	}
	name, target = strings.TrimSpace(name), strings.TrimSpace(target)
	mod, fn, ok := strings.Cut(target, ":")
	if !ok || name == "" || mod == "" || fn == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return nil, errors.New("want NAME = MODULE:FUNCTION")
	}
	fn = strings.Fields(fn)[0] // drop "[extras]"
	attr, _, _ := strings.Cut(fn, ".")
	script := fmt.Sprintf(`#!%s
# -*- coding: utf-8 -*-
import re
import sys

from %s import %s

if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\.pyw?|\.exe)?$', '', sys.argv[0])
    sys.exit(%s())
`, opts.Prefix+"/bin/"+pythonExe(opts), mod, attr, fn)
	data := fixShebang([]byte(script))
	rel := "bin/" + name
	if _, err := l.mkdirAll("bin"); err != nil {
		return nil, err
	}
	if fi, err := l.lstat(true, rel); err == nil {
		if l.exclusive {
			return nil, &ConflictError{Path: rel}
		}
		if !fi.IsDir() {
			opts.Stage.Remove(rel)
		}
	}
	if err := l.writeNew(rel, data, 0o755); err != nil {
		return nil, l.conflict(rel, err)
	}
	sum := sha256.Sum256(data)
	return &File{Path: rel, Type: pkginfo.HardLink, SHA256: hex.EncodeToString(sum[:]), SHA256InPrefix: hex.EncodeToString(sum[:]), Size: int64(len(data))}, nil
}

// Between hard-links the file srcName of src to the new name dstName of
// dst: both parent directories are opened through their roots and
// neither final name is followed.
func Between(src *os.Root, srcName string, dst *os.Root, dstName string) error {
	l := NewLinker(src, dst)
	defer l.Close()
	return l.Link(srcName, dstName)
}

// A Linker hard-links many files from one root to another, keeping the
// parent directories it opened (through the roots) for the next file.
type Linker struct {
	src, dst *os.Root
	dirs     map[string]*os.File
	// types holds, for each source directory listed, the type of each
	// of its entries.
	types map[string]map[string]fs.FileMode
	// exclusive makes a level of MkdirAll that is there and no
	// directory (a symlink a root would follow, a file) a
	// *ConflictError.
	exclusive bool
}

// NewLinker returns a Linker from src to dst; Close releases it.
func NewLinker(src, dst *os.Root) *Linker {
	return &Linker{src: src, dst: dst, dirs: map[string]*os.File{}}
}

// srcType returns the type of the source's entry name (not followed),
// from its directory's listing, read once (getdents: one call for many
// entries, where a stat a file would be one each); false when there is
// no such entry.
func (l *Linker) srcType(name string) (fs.FileMode, bool) {
	dir := path.Dir(name)
	m, ok := l.types[dir]
	if !ok {
		m = map[string]fs.FileMode{}
		if d, err := l.dir(false, dir); err == nil {
			if t, err := listDir(d); err == nil {
				m = t
			}
		}
		if l.types == nil {
			l.types = map[string]map[string]fs.FileMode{}
		}
		l.types[dir] = m
	}
	t, ok := m[path.Base(name)]
	return t, ok
}

func (l *Linker) dir(dst bool, dir string) (*os.File, error) {
	key, root := "s:"+dir, l.src
	if dst {
		key, root = "d:"+dir, l.dst
	}
	if f := l.dirs[key]; f != nil {
		return f, nil
	}
	// A source directory is opened from its parent, kept open too: one
	// openat a level, not a walk from the root's top for each. A level
	// that is a symlink (or anything unusual) is left to the root.
	if !dst && dir != "." && filepath.IsLocal(dir) && path.Clean(dir) == dir && path.Base(dir) != ".." {
		if parent, err := l.dir(false, path.Dir(dir)); err == nil {
			if f, err := openDirAt(parent, dir, path.Base(dir)); err == nil {
				l.dirs[key] = f
				return f, nil
			}
		}
	}
	f, err := root.Open(dir)
	if err != nil {
		return nil, err
	}
	l.dirs[key] = f
	return f, nil
}

// MkdirAll makes the directory dir of the destination root and its
// parents (mode 0o755 less the umask) unless they are there, through
// the directories the Linker keeps open: each level is made (or found)
// and opened once, one level at a time, not following a symlink; a
// level that is one is resolved by the root, as os.Root.MkdirAll would,
// so what it makes stays under the root. dir is a clean relative path.
func (l *Linker) MkdirAll(dir string) error {
	_, err := l.mkdirAll(dir)
	return err
}

func (l *Linker) mkdirAll(dir string) (*os.File, error) {
	if dir == "." {
		return l.dir(true, ".")
	}
	if f := l.dirs["d:"+dir]; f != nil {
		return f, nil
	}
	name := path.Base(dir)
	if !filepath.IsLocal(dir) || path.Clean(dir) != dir || name == ".." {
		return nil, fmt.Errorf("making the directory %q: not a clean relative path", dir)
	}
	parent, err := l.mkdirAll(path.Dir(dir))
	if err != nil {
		return nil, err
	}
	f, err := mkdirAt(l.dst, parent, dir, name)
	if err != nil && l.exclusive {
		return nil, &ConflictError{Path: dir}
	}
	if err != nil {
		// A symlink to a directory of the root (what a package may
		// ship) is followed as the root follows it.
		if err := l.dst.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if f, err = l.dst.Open(dir); err != nil {
			return nil, err
		}
	}
	l.dirs["d:"+dir] = f
	return f, nil
}

// Link hard-links srcName to the new name dstName, whose directory must
// exist; neither final name is followed.
func (l *Linker) Link(srcName, dstName string) error {
	sd, err := l.dir(false, path.Dir(srcName))
	if err != nil {
		return err
	}
	dd, err := l.dir(true, path.Dir(dstName))
	if err != nil {
		return err
	}
	return linkAt(sd, path.Base(srcName), dd, path.Base(dstName))
}

// Close closes the directories the Linker opened.
func (l *Linker) Close() {
	for _, f := range l.dirs {
		f.Close()
	}
	clear(l.dirs)
}
