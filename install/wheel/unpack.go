package wheel

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Unpack unpacks the wheel at archive into dest (which must not exist)
// as the package cache keeps it: the archive's paths as they are, every
// file checked against RECORD as it streams, the archive's mtimes kept.
// It writes into a private temporary directory beside dest, renamed
// into place only when complete, all through an os.Root. fileMode and
// dirMode, when not 0, are the modes of a group-shared cache (fileMode
// gains 0o111 for executables). The caller holds the cache entry's lock.
func Unpack(ctx context.Context, archive, dest, tmpPrefix string, fileMode, dirMode os.FileMode) error {
	z, err := zip.OpenReader(archive)
	if err != nil {
		return fmt.Errorf("%s: not a wheel (zip) file: %v", filepath.Base(archive), err)
	}
	defer z.Close()
	var size int64
	if fi, err := os.Stat(archive); err == nil {
		size = fi.Size()
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), tmpPrefix+"*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := unpack(ctx, &z.Reader, size, root, fileMode); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(archive), err)
	}
	if dirMode == 0 {
		dirMode = 0o755
	}
	if err := chmodDirs(root, dirMode); err != nil {
		return err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return err
	}
	ok = true
	return nil
}

func unpack(ctx context.Context, z *zip.Reader, archiveSize int64, root *os.Root, fileMode os.FileMode) error {
	var total uint64
	var record *zip.File
	for _, f := range z.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if !safe(f.Name) {
			return fmt.Errorf("entry %q leaves the wheel's root", f.Name)
		}
		total += f.UncompressedSize64
		if dir, base, ok := strings.Cut(f.Name, "/"); ok && base == "RECORD" && strings.HasSuffix(dir, ".dist-info") {
			if record != nil {
				return fmt.Errorf("two RECORD files: %s and %s", record.Name, f.Name)
			}
			record = f
		}
	}
	if record == nil {
		return fmt.Errorf("no .dist-info/RECORD: not a wheel")
	}
	if total > uint64(MaxUnpacked(archiveSize)) {
		return fmt.Errorf("it unpacks to %d bytes from a %d-byte archive, more than %d: refusing it (a zip bomb?)", total, archiveSize, MaxUnpacked(archiveSize))
	}
	if record.UncompressedSize64 > maxMeta {
		return fmt.Errorf("%s is larger than %d bytes", record.Name, maxMeta)
	}
	rr, err := record.Open()
	if err != nil {
		return err
	}
	recData, err := io.ReadAll(io.LimitReader(rr, maxMeta+1))
	rr.Close()
	if err != nil {
		return err
	}
	es, err := ReadRecord(bytes.NewReader(recData))
	if err != nil {
		return err
	}
	listed := map[string]RecordEntry{}
	for _, e := range es {
		listed[e.Path] = e
	}
	seen := map[string]bool{}
	for _, f := range z.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if seen[f.Name] {
			return fmt.Errorf("entry %q is in the archive twice", f.Name)
		}
		seen[f.Name] = true
		mode := os.FileMode(0o644)
		if fileMode != 0 {
			mode = fileMode
		}
		if f.Mode()&0o111 != 0 {
			mode |= 0o111
		}
		out, err := createIn(root, f.Name, mode)
		if err != nil {
			return err
		}
		if f == record {
			_, err = out.Write(recData)
		} else {
			e, ok := listed[f.Name]
			switch {
			case !ok:
				err = fmt.Errorf("%s is not listed in RECORD", f.Name)
			case e.Hash == "":
				err = fmt.Errorf("RECORD gives no hash for %s", f.Name)
			default:
				err = copyChecked(out, &entry{zf: f, hash: e.Hash, size: e.Size}, "")
			}
		}
		if err == nil && fileMode != 0 {
			err = out.Chmod(mode) // the umask narrowed it
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if !f.Modified.IsZero() {
			if err := root.Chtimes(f.Name, f.Modified, f.Modified); err != nil {
				return err
			}
		}
	}
	for p := range listed {
		if !seen[p] {
			return fmt.Errorf("RECORD lists %s, which the wheel does not hold", p)
		}
	}
	return nil
}

// chmodDirs gives every directory under root (and root) mode.
func chmodDirs(root *os.Root, mode os.FileMode) error {
	var dirs []string
	if err := walkDirs(root, func(p, _ string) (bool, error) {
		dirs = append(dirs, p)
		return true, nil
	}); err != nil {
		return err
	}
	for _, d := range append(dirs, ".") {
		if err := root.Chmod(d, mode); err != nil {
			return err
		}
	}
	return nil
}

// CheckUnpacked checks a wheel unpacked by Unpack against its RECORD
// (an edit through a hard link changes the cache's copy too) and returns
// the first file that differs, or "".
func CheckUnpacked(dir string) (string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var recPath string
	for _, e := range ents {
		if e.IsDir() && strings.HasSuffix(e.Name(), ".dist-info") {
			if _, err := root.Lstat(e.Name() + "/RECORD"); err == nil {
				recPath = e.Name() + "/RECORD"
			}
		}
	}
	if recPath == "" {
		return "RECORD", nil
	}
	data, err := root.ReadFile(recPath)
	if err != nil {
		return recPath, nil
	}
	es, err := ReadRecord(bytes.NewReader(data))
	if err != nil {
		return recPath, nil
	}
	h := sha256.New()
	for _, e := range es {
		if e.Path == recPath || e.Hash == "" {
			continue
		}
		f, err := root.Open(e.Path)
		if err != nil {
			return e.Path, nil
		}
		h.Reset()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil || (e.Size >= 0 && n != e.Size) || checkHashString(e.Hash, "sha256="+base64.RawURLEncoding.EncodeToString(h.Sum(nil))) != nil {
			return e.Path, nil
		}
	}
	return "", nil
}

// DropCompiled removes the __pycache__ directories of a tree Unpack
// made, through an os.Root: byte-code compiled there is derived, and a
// .pyc changed through a hard link keeps a valid header, so a repair
// compiles it afresh rather than trust it. Environments linked to the
// old files keep them.
func DropCompiled(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return walkDirs(root, func(p, name string) (bool, error) {
		if name == "__pycache__" {
			return false, root.RemoveAll(p)
		}
		return true, nil
	})
}

// walkDirs calls visit for every directory under root, parents first,
// with its path and name; visit says whether to go into it.
func walkDirs(root *os.Root, visit func(p, name string) (bool, error)) error {
	var walk func(dir string) error
	walk = func(dir string) error {
		f, err := root.Open(dir)
		if err != nil {
			return err
		}
		ents, err := f.ReadDir(-1)
		f.Close()
		if err != nil {
			return err
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			p := path.Join(dir, e.Name())
			into, err := visit(p, e.Name())
			if err != nil {
				return err
			}
			if into {
				if err := walk(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(".")
}
