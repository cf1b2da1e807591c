package elfscan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// maxArchiveELF bounds the size of one ELF file read from an archive into
// memory (the largest real shared libraries, CUDA's, are a few hundred
// MB).
const maxArchiveELF = 2 << 30

// ReadArchive calls fn with each dynamic ELF file of a package archive
// (.conda, .tar.bz2) or a wheel (.whl), by its path inside the package,
// reading the archive as a stream: nothing is extracted to disk, and only
// entries that start with the ELF magic are read whole. It stops at fn's
// first error. A malformed ELF entry is passed to bad (when not nil)
// rather than stopping the walk.
func ReadArchive(ctx context.Context, path string, fn func(name string, info *Info) error, bad func(name string, err error)) error {
	var err error
	switch {
	case strings.HasSuffix(path, ".whl"):
		err = readZip(ctx, path, fn, bad)
	case strings.HasSuffix(path, ".conda"):
		err = readConda(ctx, path, fn, bad)
	case strings.HasSuffix(path, ".tar.bz2"):
		f, ferr := os.Open(path)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		err = readTar(ctx, bzip2.NewReader(f), fn, bad)
	default:
		return fmt.Errorf("%s: not a .conda, .tar.bz2 or .whl archive", path)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// inspect reads one entry whose first bytes are in r.
func inspect(name string, r io.Reader, size int64, fn func(string, *Info) error, bad func(string, error)) error {
	if size < 64 || size > maxArchiveELF {
		return nil
	}
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil
	}
	if !bytes.Equal(magic[:], elfMagic) {
		return nil
	}
	// The declared size is the archive's word: grow to it as data
	// arrives rather than allocate it up front.
	buf := bytes.NewBuffer(make([]byte, 0, min(size, 1<<20)))
	buf.Write(magic[:])
	if _, err := io.CopyN(buf, r, size-4); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	info, err := ReadFrom(bytes.NewReader(buf.Bytes()), name)
	if err != nil {
		if bad != nil {
			bad(name, err)
		}
		return nil
	}
	if !info.Dynamic() {
		return nil
	}
	return fn(name, info)
}

func readZip(ctx context.Context, path string, fn func(string, *Info) error, bad func(string, error)) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !f.Mode().IsRegular() {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		err = inspect(f.Name, r, int64(f.UncompressedSize64), fn, bad)
		r.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func readConda(ctx context.Context, path string, fn func(string, *Info) error, bad func(string, error)) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	found := false
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "pkg-") || !strings.HasSuffix(f.Name, ".tar.zst") {
			continue
		}
		found = true
		r, err := f.Open()
		if err != nil {
			return err
		}
		dec, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			r.Close()
			return err
		}
		err = readTar(ctx, dec, fn, bad)
		dec.Close()
		r.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	if !found {
		return errors.New("no pkg-*.tar.zst inside")
	}
	return nil
}

func readTar(ctx context.Context, r io.Reader, fn func(string, *Info) error, bad func(string, error)) error {
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg || strings.HasPrefix(h.Name, "info/") {
			continue
		}
		if err := inspect(strings.TrimPrefix(h.Name, "./"), tr, h.Size, fn, bad); err != nil {
			return err
		}
	}
}
