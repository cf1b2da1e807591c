// Package extract unpacks conda package archives: .conda (a zip holding
// info-*.tar.zst and pkg-*.tar.zst, decompressed as a stream with
// klauspost/compress) and .tar.bz2 (with dsnet/compress's bzip2, measured
// faster than the standard library's in BenchmarkBzip2).
//
// Archives come from the network, so every entry is checked before it
// touches the disk: no absolute paths, no "..", no device files, no
// symlink or hard link that points outside the package. A package that
// breaks a rule is refused whole with an error naming the package and the
// entry, and nothing of it is left: extraction goes to a temporary
// directory beside the destination that is renamed into place only when
// complete.
package extract

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	dsbzip2 "github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"
)

// An UnsafeError reports an archive entry that would escape the package
// or is not a kind of file a package may hold.
type UnsafeError struct {
	Archive string
	Entry   string
	Reason  string
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("%s: refusing entry %q: %s; the package is corrupt or malicious, nothing was extracted", filepath.Base(e.Archive), e.Entry, e.Reason)
}

// A Warning is something odd but harmless found in an archive, such as a
// symlink with an empty target (old packages carry these).
type Warning struct {
	Entry  string
	Reason string
}

// Result describes an extraction.
type Result struct {
	Files    int
	Bytes    int64 // unpacked bytes of regular files
	Warnings []Warning
}

// Package extracts the archive at src into dest, which must not exist.
// The caller holds the cache entry's lock.
func Package(ctx context.Context, src, dest string) (*Result, error) {
	if _, err := os.Lstat(dest); err == nil {
		return nil, fmt.Errorf("extracting %s: %s already exists", filepath.Base(src), dest)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return nil, err
	}
	res, err := Into(ctx, src, tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	os.Chmod(tmp, 0o755)
	if err := os.Rename(tmp, dest); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return res, nil
}

// Into extracts src into the existing, empty directory dir.
func Into(ctx context.Context, src, dir string) (*Result, error) {
	x := &extractor{ctx: ctx, archive: src, root: dir, res: &Result{}}
	var err error
	switch {
	case strings.HasSuffix(src, ".conda"):
		err = x.conda()
	case strings.HasSuffix(src, ".tar.bz2"):
		err = x.tarBz2()
	default:
		err = fmt.Errorf("%s: not a conda package (.conda or .tar.bz2)", filepath.Base(src))
	}
	if err != nil {
		return nil, err
	}
	return x.res, nil
}

type extractor struct {
	ctx     context.Context
	archive string
	root    string
	res     *Result
}

func (x *extractor) tarBz2() error {
	f, err := os.Open(x.archive)
	if err != nil {
		return err
	}
	defer f.Close()
	// dsnet/compress decodes bzip2 about 1.4 times as fast as the
	// standard library (BenchmarkBzip2).
	zr, err := dsbzip2.NewReader(bufio.NewReaderSize(f, 1<<16), nil)
	if err != nil {
		return err
	}
	defer zr.Close()
	return x.untar(zr)
}

func (x *extractor) conda() error {
	zr, err := zip.OpenReader(x.archive)
	if err != nil {
		return fmt.Errorf("%s: not a valid .conda (zip) file: %v", filepath.Base(x.archive), err)
	}
	defer zr.Close()
	found := 0
	for _, zf := range zr.File {
		name := zf.Name
		if !strings.HasSuffix(name, ".tar.zst") {
			continue // metadata.json and friends
		}
		if !strings.HasPrefix(name, "info-") && !strings.HasPrefix(name, "pkg-") {
			continue
		}
		found++
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: %s: %v", filepath.Base(x.archive), name, err)
		}
		dec, err := zstd.NewReader(rc, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<31))
		if err != nil {
			rc.Close()
			return err
		}
		err = x.untar(dec)
		dec.Close()
		rc.Close()
		if err != nil {
			return err
		}
	}
	if found == 0 {
		return fmt.Errorf("%s: no info-*.tar.zst or pkg-*.tar.zst inside; not a conda package", filepath.Base(x.archive))
	}
	return nil
}

func (x *extractor) unsafe(entry, reason string) error {
	return &UnsafeError{Archive: x.archive, Entry: entry, Reason: reason}
}

// clean checks an entry name and returns it as a relative slash path.
func (x *extractor) clean(name string) (string, error) {
	if name == "" {
		return "", x.unsafe(name, "empty name")
	}
	if strings.HasPrefix(name, "/") || filepath.IsAbs(name) || (len(name) > 1 && name[1] == ':') {
		return "", x.unsafe(name, "absolute path")
	}
	for _, part := range strings.Split(strings.ReplaceAll(name, `\`, "/"), "/") {
		if part == ".." {
			return "", x.unsafe(name, `path with ".."`)
		}
	}
	c := path.Clean(strings.TrimPrefix(name, "./"))
	if c == "." {
		return "", nil
	}
	return c, nil
}

// within reports whether the slash path p (relative to the package root)
// stays inside it.
func within(p string) bool {
	c := path.Clean(p)
	return c != ".." && !strings.HasPrefix(c, "../") && !path.IsAbs(c)
}

func (x *extractor) untar(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: corrupt archive: %v", filepath.Base(x.archive), err)
		}
		name, err := x.clean(h.Name)
		if err != nil {
			return err
		}
		if name == "" {
			continue
		}
		target := filepath.Join(x.root, filepath.FromSlash(name))
		if err := x.checkParents(name); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg, tar.TypeRegA:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			os.Remove(target) // a later entry of the same name wins, as with tar
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_EXCL, fileMode(h.Mode))
			if err != nil {
				return err
			}
			n, err := io.Copy(f, tr)
			cerr := f.Close()
			if err != nil {
				return fmt.Errorf("%s: %s: %v", filepath.Base(x.archive), name, err)
			}
			if cerr != nil {
				return cerr
			}
			x.res.Files++
			x.res.Bytes += n
		case tar.TypeSymlink:
			if h.Linkname == "" {
				x.res.Warnings = append(x.res.Warnings, Warning{Entry: name, Reason: "symlink with an empty target (skipped)"})
				continue
			}
			if path.IsAbs(h.Linkname) {
				return x.unsafe(name, fmt.Sprintf("symlink to the absolute path %q", h.Linkname))
			}
			if !within(path.Join(path.Dir(name), h.Linkname)) {
				return x.unsafe(name, fmt.Sprintf("symlink to %q, outside the package", h.Linkname))
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			os.Remove(target)
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
			x.res.Files++
		case tar.TypeLink:
			ln, err := x.clean(h.Linkname)
			if err != nil || ln == "" {
				return x.unsafe(name, fmt.Sprintf("hard link to %q", h.Linkname))
			}
			src := filepath.Join(x.root, filepath.FromSlash(ln))
			fi, err := os.Lstat(src)
			if err != nil || !fi.Mode().IsRegular() {
				return x.unsafe(name, fmt.Sprintf("hard link to %q, which is not a file extracted before it", h.Linkname))
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			os.Remove(target)
			if err := os.Link(src, target); err != nil {
				return err
			}
			x.res.Files++
		case tar.TypeXGlobalHeader, tar.TypeXHeader:
		default:
			return x.unsafe(name, fmt.Sprintf("unsupported entry type %q (devices, fifos and the like have no place in a package)", h.Typeflag))
		}
	}
}

// checkParents refuses an entry whose parent directories go through a
// symlink: writing through it could escape the package.
func (x *extractor) checkParents(name string) error {
	dir := path.Dir(name)
	for dir != "." && dir != "/" {
		fi, err := os.Lstat(filepath.Join(x.root, filepath.FromSlash(dir)))
		if err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return x.unsafe(name, fmt.Sprintf("written through the symlink %q", dir))
		}
		if errors.Is(err, os.ErrNotExist) {
			// Not created yet; nothing above it can be a link we made.
		}
		dir = path.Dir(dir)
	}
	return nil
}

// fileMode keeps a file's execute bits and makes it readable.
func fileMode(m int64) os.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}
