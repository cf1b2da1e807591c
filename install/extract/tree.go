package extract

// The extractor's model of the tree it writes (kinds, link targets),
// how entries go through os.Root, and how links are followed.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type kind uint8

const (
	kindDir kind = iota + 1
	kindFile
	kindLink
)

// clean checks an entry name and returns it as a relative slash path.
func clean(name string) (string, string) {
	if name == "" {
		return "", "empty name"
	}
	if strings.ContainsRune(name, 0) {
		return "", "NUL in the name"
	}
	if strings.HasPrefix(name, "/") || filepath.IsAbs(name) || (len(name) > 1 && name[1] == ':') {
		return "", "absolute path"
	}
	for _, part := range strings.Split(strings.ReplaceAll(name, `\`, "/"), "/") {
		if part == ".." {
			return "", `path with ".."`
		}
	}
	c := path.Clean(strings.TrimPrefix(name, "./"))
	if path.IsAbs(c) { // ".//etc": absolute once cleaned
		return "", "absolute path"
	}
	if c == "." {
		return "", ""
	}
	return c, ""
}

func (x *extractor) clean(name string) (string, error) {
	c, why := clean(name)
	if why != "" {
		return "", x.unsafe(name, why)
	}
	return c, nil
}

// condaMeta reports whether p is conda-meta or under it.
func condaMeta(p string) bool {
	return p == "conda-meta" || strings.HasPrefix(p, "conda-meta/")
}

// within reports whether the slash path p (relative to the package root)
// stays inside it, read as text.
func within(p string) bool {
	c := path.Clean(p)
	return c != ".." && !strings.HasPrefix(c, "../") && !path.IsAbs(c)
}

// checkParents refuses an entry whose parent directories go through a
// symlink: writing through it would put the file somewhere its name does
// not say (os.Root keeps even that inside the package).
func (x *extractor) checkParents(name string) error {
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		switch x.kinds[dir] {
		case kindLink:
			return x.unsafe(name, fmt.Sprintf("written through the symlink %q", dir))
		case kindDir:
			return nil // its own parents were checked when it was made
		}
	}
	return nil
}

// mkdirs makes the parents of name, each once: the model knows which
// exist.
func (x *extractor) mkdirs(name string) error {
	dir := path.Dir(name)
	if dir == "." || x.kinds[dir] == kindDir {
		return nil
	}
	if err := x.mkdirs(dir); err != nil {
		return err
	}
	if err := x.fs.mkdir(dir, 0o755); err != nil {
		return x.fsErr(name, err)
	}
	x.kinds[dir] = kindDir
	return nil
}

func (x *extractor) fsErr(name string, err error) error {
	return fmt.Errorf("%s: extracting %s: %w", filepath.Base(x.archive), name, err)
}

// clear removes what an earlier entry of the same name left, as tar
// does: a later entry wins.
func (x *extractor) clear(name string) error {
	k, ok := x.kinds[name]
	if !ok {
		return nil
	}
	// A writer may not have created it yet.
	if err := x.settle(); err != nil {
		return err
	}
	if err := x.fs.remove(name, k == kindDir); err != nil {
		if k == kindDir {
			return x.unsafe(name, "replaces a directory the package already filled")
		}
		return x.fsErr(name, err)
	}
	delete(x.kinds, name)
	delete(x.links, name)
	delete(x.sums, name)
	return nil
}

func (x *extractor) dir(name string) error {
	switch x.kinds[name] {
	case kindDir:
		return nil
	case kindLink:
		return x.unsafe(name, "a directory entry over a symlink of the same name")
	case kindFile:
		return x.unsafe(name, "a directory entry over a file of the same name")
	}
	if d := x.declaredFor(name); d == nil {
		if err := x.spendUndeclared(name, 0); err != nil {
			return err
		}
	}
	if err := x.mkdirs(name); err != nil {
		return err
	}
	if err := x.fs.mkdir(name, 0o755); err != nil {
		return x.fsErr(name, err)
	}
	x.kinds[name] = kindDir
	return nil
}

func (k kind) String() string {
	switch k {
	case kindDir:
		return "a directory"
	case kindFile:
		return "a file"
	case kindLink:
		return "a symlink"
	}
	return "nothing"
}

func (x *extractor) symlink(name, target string) error {
	d := x.declaredFor(name)
	if target == "" {
		if d != nil && d.Type == "softlink" {
			x.skipQuirk(name, "a symlink with an empty target")
			return nil
		}
		x.res.Warnings = append(x.res.Warnings, Warning{Entry: name, Reason: "symlink with an empty target (skipped)"})
		return nil
	}
	if strings.ContainsRune(target, 0) {
		return x.unsafe(name, "NUL in the symlink's target")
	}
	if path.IsAbs(target) || filepath.IsAbs(target) {
		return x.unsafe(name, fmt.Sprintf("symlink to the absolute path %q", target))
	}
	if !within(path.Join(path.Dir(name), target)) {
		return x.unsafe(name, fmt.Sprintf("symlink to %q, outside the package", target))
	}
	if d != nil && d.Type != "softlink" {
		return x.content(name, "the archive holds a symlink, info/paths.json says %s", d.Type)
	}
	if d == nil {
		if err := x.spendUndeclared(name, 0); err != nil {
			return err
		}
	}
	if err := x.clear(name); err != nil {
		return err
	}
	if err := x.mkdirs(name); err != nil {
		return err
	}
	if err := x.fs.symlink(target, name); err != nil {
		return x.fsErr(name, err)
	}
	x.kinds[name] = kindLink
	x.links[name] = target
	if d != nil {
		d.seen = true
	}
	x.res.Files++
	return nil
}

func (x *extractor) hardlink(name, target string) error {
	ln, why := clean(target)
	if why != "" || ln == "" {
		return x.unsafe(name, fmt.Sprintf("hard link to %q", target))
	}
	if x.kinds[ln] != kindFile {
		return x.unsafe(name, fmt.Sprintf("hard link to %q, which is not a file extracted before it", target))
	}
	if ln == name {
		return nil
	}
	d := x.declaredFor(name)
	if d != nil && d.Type != "hardlink" {
		return x.content(name, "the archive holds a hard link, info/paths.json says %s", d.Type)
	}
	// The file linked to may still be with a writer.
	if err := x.settle(); err != nil {
		return err
	}
	s := x.sums[ln]
	if d == nil {
		if err := x.spendUndeclared(name, 0); err != nil {
			return err
		}
	}
	if d != nil && d.SHA256 != "" && s.sha == "" {
		// The linked file was not hashed (info/, or no record): hash
		// it now, through the root.
		sum, err := x.hashFile(ln)
		if err != nil {
			return x.fsErr(name, err)
		}
		s.sha = sum
	}
	if err := x.clear(name); err != nil {
		return err
	}
	if err := x.mkdirs(name); err != nil {
		return err
	}
	if err := x.fs.link(ln, name); err != nil {
		return x.fsErr(name, err)
	}
	x.kinds[name] = kindFile
	x.sums[name] = s
	x.res.Files++
	if d != nil {
		return x.checkFile(name, d)
	}
	return nil
}

func (x *extractor) hashFile(name string) (string, error) {
	f, err := x.fs.open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

const recordFile = "info/repodata_record.json"

// writeRecord writes envlock's info/repodata_record.json, replacing the
// archive's if it held one, never writing through a link.
func (x *extractor) writeRecord() error {
	switch x.kinds["info"] {
	case kindLink, kindFile:
		return x.unsafe("info", "info/ is not a directory")
	}
	if err := x.clear(recordFile); err != nil {
		return err
	}
	if err := x.mkdirs(recordFile); err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if x.opts.FileMode != 0 {
		perm = x.opts.FileMode
	}
	f, err := x.fs.create(recordFile, perm)
	if err != nil {
		return x.fsErr(recordFile, err)
	}
	_, err = f.Write(x.opts.Record)
	if err == nil && x.opts.FileMode != 0 {
		err = f.chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return x.fsErr(recordFile, err)
	}
	x.kinds[recordFile] = kindFile
	return nil
}

// setTime gives name the archive's mtime (a zero time leaves it).
func (x *extractor) setTime(name string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if err := x.fs.chtimes(name, t); err != nil {
		return x.fsErr(name, err)
	}
	return nil
}

// dirTimes gives the directories the archive's mtimes once nothing more
// is written into them, deepest first.
func (x *extractor) dirTimes() error {
	names := make([]string, 0, len(x.dtimes))
	for d := range x.dtimes {
		if x.kinds[d] == kindDir {
			names = append(names, d)
		}
	}
	sort.Slice(names, func(i, j int) bool { return strings.Count(names[i], "/") > strings.Count(names[j], "/") })
	for _, d := range names {
		if err := x.setTime(d, x.dtimes[d]); err != nil {
			return err
		}
	}
	return nil
}

type resolution int

const (
	resolveInside resolution = iota
	resolveOutside
	resolveLoop
)

// resolve follows the slash path p through the package's symlinks and
// returns where it leads, component by component, as the kernel does: a
// ".." after a link climbs from the link's target, not from its name.
// Components that do not exist are taken as written.
func (x *extractor) resolve(p string) (string, resolution) {
	var out []string
	rest := strings.Split(p, "/")
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(out) == 0 {
				return "", resolveOutside
			}
			out = out[:len(out)-1]
			continue
		}
		cur := strings.Join(append(out, c), "/")
		if t, ok := x.links[cur]; ok {
			if hops++; hops > 40 {
				return "", resolveLoop
			}
			if path.IsAbs(t) {
				return "", resolveOutside
			}
			rest = append(strings.Split(t, "/"), rest...)
			continue
		}
		out = append(out, c)
	}
	return strings.Join(out, "/"), resolveInside
}
