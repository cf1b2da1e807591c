// Package extract unpacks conda package archives: .conda (a zip holding
// info-*.tar.zst and pkg-*.tar.zst, decompressed as streams with
// klauspost/compress) and .tar.bz2 (bzip2 blocks decoded on every core
// by bzblock.go's decoder, dsnet/compress's as the reference and the
// fallback: bzip2.go).
//
// Speed: decompression runs on goroutines of its own, ahead of the
// extractor (both .conda streams at once; a .tar.bz2's blocks in
// parallel); small files are written by writer goroutines; every file
// costs one openat, one write, one futimens and one close, on
// descriptors of the directories the extractor made (dirs_unix.go).
// BenchmarkExtractConda and BenchmarkExtractTarBz2 compare it with
// py-rattler's and conda-package-handling's extraction in the same run.
//
// Archives come from the network, so nothing in them is trusted:
//
//   - Confinement. Every file operation goes through an os.Root opened on
//     the extraction directory, so no name, ".." or symlink (however
//     chained) can reach outside it. On top of that the extractor keeps a
//     model of what it wrote and refuses entries written through a
//     symlink, symlinks that resolve outside the package (following the
//     package's own links, as the kernel would), hard links to anything
//     but a file extracted before, device files, and anything under
//     conda-meta/ (the environment's records are not a package's to
//     write).
//   - Content. Each payload file is checked against info/paths.json as it
//     is written: its size before a byte is written (from the tar
//     header), its sha256 as it streams (conda's extra_safety_checks,
//     always on). info/index.json must name the locked package
//     (Options.Want).
//   - Budgets. A file is never larger than paths.json declares; bytes
//     paths.json does not declare (info/, and every file of old packages
//     without paths.json) share a budget of max(256 MiB, 100× the
//     archive), and so do the decompressed streams; zstd windows are
//     bounded. A bomb is refused at the tar header that reveals it.
//
// A package that breaks a rule is refused whole with an error naming the
// archive, the entry and what was expected, and nothing of it is left:
// extraction goes to a private (0700) temporary directory beside the
// destination that is renamed into place only when complete, after the
// envlock-written files (Options.Record) and the cache's permissions are
// applied. Old packages' known bug, a link in paths.json that the archive
// holds as an empty symlink or empty file (anaconda's zlib 1.2.11), is
// skipped with a warning rather than refused: see TestZlibQuirk.
package extract

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/fetch/cache"
)

// skipChecks turns off the content checks (hashing, comparing with
// info/paths.json, following symlinks), for BenchmarkSafetyCost alone:
// confinement and budgets stay.
var skipChecks = false

// Budgets of an extraction.
const (
	// MinUndeclared is the floor of the budget for bytes info/paths.json
	// does not declare; UndeclaredRatio times the archive's size raises it.
	MinUndeclared   = 256 << 20
	UndeclaredRatio = 100
	// maxMetadata bounds info/index.json and info/paths.json, which are
	// read into memory.
	maxMetadata = 64 << 20
	// entryOverhead is what the decompressed-stream budget allows per
	// entry for its tar header, PAX records and padding.
	entryOverhead = 4 << 10
	// maxZstdWindow bounds a .conda's zstd window (zstd --ultra -22
	// uses 128 MiB; a hostile frame may ask for GiBs).
	maxZstdWindow = 256 << 20
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

// A ContentError reports a package whose content is not what its own
// metadata (info/paths.json) or the lock (info/index.json) says.
type ContentError struct {
	Archive string
	Entry   string // the file, or info/index.json
	Reason  string // what was expected and what was found
}

func (e *ContentError) Error() string {
	return fmt.Sprintf("%s: %s: %s; the package is corrupt or was altered, nothing was extracted", filepath.Base(e.Archive), e.Entry, e.Reason)
}

// A BudgetError reports an archive that expands beyond what it declares
// (a decompression bomb).
type BudgetError struct {
	Archive string
	Entry   string
	Reason  string
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("%s: %s: %s; refusing what looks like a decompression bomb, nothing was extracted", filepath.Base(e.Archive), e.Entry, e.Reason)
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
	// Checked is how many files were checked against info/paths.json.
	Checked int
}

// Identity is what info/index.json must say: the locked record's fields.
// Empty fields are not checked.
type Identity struct {
	Name, Version, Build, Subdir string
}

// Options adjust an extraction.
type Options struct {
	// Want is the identity info/index.json must agree with; when Name is
	// set, a package without info/index.json is refused.
	Want Identity
	// Record, when not nil, is written as info/repodata_record.json (as
	// conda's package cache does), replacing any the archive holds.
	Record []byte
	// FileMode and DirMode, when not 0, are the permissions of created
	// files (executables get 0o111 added) and directories whatever the
	// umask: a group-shared cache's modes.
	FileMode, DirMode os.FileMode
	// MaxUndeclared overrides the budget of bytes info/paths.json does
	// not declare (0: max(MinUndeclared, UndeclaredRatio × archive size)).
	MaxUndeclared int64
}

// Package extracts the archive at src into dest, which must not exist.
// The caller holds the cache entry's lock.
func Package(ctx context.Context, src, dest string, opts Options) (*Result, error) {
	if _, err := os.Lstat(dest); err == nil {
		return nil, fmt.Errorf("extracting %s: %s already exists", filepath.Base(src), dest)
	}
	// MkdirTemp makes the directory 0700: no other user of a shared cache
	// can change anything in it while it is extracted and checked.
	tmp, err := os.MkdirTemp(filepath.Dir(dest), cache.TempPrefix(filepath.Base(dest))+"*")
	if err != nil {
		return nil, fmt.Errorf("extracting %s: %w", filepath.Base(src), err)
	}
	if opts.DirMode == 0 {
		opts.DirMode = 0o755 // not MkdirTemp's 0700
	}
	// into applies DirMode to every directory, the root last, through
	// the root's descriptor.
	res, err := into(ctx, src, tmp, &opts)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return res, nil
}

// Into extracts src into the existing, empty directory dir, with the
// same checks as Package and default options.
func Into(ctx context.Context, src, dir string) (*Result, error) {
	return into(ctx, src, dir, &Options{})
}

func into(ctx context.Context, src, dir string, opts *Options) (*Result, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var size int64
	if fi, err := os.Stat(src); err == nil {
		size = fi.Size()
	}
	x, err := newExtractor(ctx, src, size, root, opts)
	if err != nil {
		return nil, err
	}
	defer x.close()
	switch {
	case strings.HasSuffix(src, ".conda"):
		err = x.conda()
	case strings.HasSuffix(src, ".tar.bz2"):
		err = x.tarBz2()
	default:
		err = fmt.Errorf("%s: not a conda package (.conda or .tar.bz2)", filepath.Base(src))
	}
	if err == nil {
		err = x.finish()
	}
	if err != nil {
		return nil, err
	}
	return x.res, nil
}

func newExtractor(ctx context.Context, archive string, size int64, root *os.Root, opts *Options) (*extractor, error) {
	fs, err := newDirs(root)
	if err != nil {
		return nil, err
	}
	x := &extractor{
		ctx: ctx, archive: archive, fs: fs, opts: opts, res: &Result{},
		kinds: map[string]kind{}, dtimes: map[string]time.Time{}, links: map[string]string{}, sums: map[string]fileSum{},
		undeclaredCap: max(MinUndeclared, UndeclaredRatio*size),
	}
	if opts.MaxUndeclared > 0 {
		x.undeclaredCap = opts.MaxUndeclared
	}
	if asyncWrites {
		x.w = newWriters(x.fsErr)
		fs.settle = func() { x.w.settle() }
	}
	return x, nil
}

func (x *extractor) close() {
	if x.w != nil {
		x.w.stop()
	}
	x.fs.close()
}

type extractor struct {
	ctx     context.Context
	archive string
	fs      *dirs    // every file operation, confined to the root
	w       *writers // small files' writes; nil: all in line
	opts    *Options
	res     *Result

	// The model of the tree written so far: each cleaned slash path's
	// kind, each symlink's target, each regular file's hash and size.
	kinds  map[string]kind
	dtimes map[string]time.Time // directories' archive mtimes, set last
	links  map[string]string
	sums   map[string]fileSum

	paths     map[string]*declared // info/paths.json; nil until read
	index     []byte               // info/index.json as read
	skipped   map[string]bool      // declared links skipped as the known packaging bug
	undecl    int64                // bytes not declared so far
	undeclN   int                  // entries not declared so far
	declTotal int64                // bytes paths.json declares
	entries   int
	streamed  int64 // decompressed bytes read
	buf       []byte
	hash      hash.Hash

	undeclaredCap int64
}

func (x *extractor) tarBz2() error {
	f, err := os.Open(x.archive)
	if err != nil {
		return err
	}
	defer f.Close()
	// Blocks decode on every core (bzip2.go), with dsnet/compress's
	// decoder, about 1.4 times as fast as the standard library's
	// (BenchmarkBzip2).
	zr := newBz2Reader(f)
	defer zr.Close()
	return x.untar(zr)
}

func (x *extractor) conda() error {
	zr, err := zip.OpenReader(x.archive)
	if err != nil {
		return fmt.Errorf("%s: not a valid .conda (zip) file: %v", filepath.Base(x.archive), err)
	}
	defer zr.Close()
	var parts []*zip.File
	for _, zf := range zr.File {
		name := zf.Name
		if !strings.HasSuffix(name, ".tar.zst") {
			continue // metadata.json and friends
		}
		if !strings.HasPrefix(name, "info-") && !strings.HasPrefix(name, "pkg-") {
			continue
		}
		parts = append(parts, zf)
	}
	if len(parts) == 0 {
		return fmt.Errorf("%s: no info-*.tar.zst or pkg-*.tar.zst inside; not a conda package", filepath.Base(x.archive))
	}
	// info first, whatever the zip's order: paths.json then checks every
	// payload file as it is written.
	sort.SliceStable(parts, func(i, j int) bool {
		return strings.HasPrefix(parts[i].Name, "info-") && !strings.HasPrefix(parts[j].Name, "info-")
	})
	// Every part decompresses at once on its own goroutine, ahead of
	// the extractor, which reads them in turn: the payload is being
	// decompressed while info/ is written and checked.
	type stream struct {
		rc io.ReadCloser
		z  *pooledZstd
		a  *readAhead
	}
	streams := make([]stream, 0, len(parts))
	defer func() {
		for _, s := range streams {
			s.a.Close() // the read-ahead goroutine is done with the decoder
			s.z.put()
			s.rc.Close()
		}
	}()
	for _, zf := range parts {
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: %s: %v", filepath.Base(x.archive), zf.Name, err)
		}
		z, err := getZstd(rc)
		if err != nil {
			rc.Close()
			return err
		}
		streams = append(streams, stream{rc, z, newReadAhead(z.dec)})
	}
	for _, s := range streams {
		if err := x.untar(s.a); err != nil {
			return err
		}
	}
	return nil
}

// zstdDecoders keeps zstd decoders, each with its buffered reader, for
// reuse: a decoder's window and history buffers and the 1 MiB reader
// cost more to allocate and clear than a small package takes to
// decompress. With one goroutine of concurrency a decoder does all its
// work in Read, so a reset decoder holds nothing of the last stream.
var zstdDecoders sync.Pool

type pooledZstd struct {
	dec *zstd.Decoder
	br  *bufio.Reader
}

// getZstd returns a decoder reading the zstd stream r.
func getZstd(r io.Reader) (*pooledZstd, error) {
	if p, ok := zstdDecoders.Get().(*pooledZstd); ok {
		p.br.Reset(r)
		if err := p.dec.Reset(p.br); err == nil {
			return p, nil
		}
		p.dec.Close()
	}
	br := bufio.NewReaderSize(r, 1<<20)
	dec, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(false), zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderMaxMemory(maxZstdWindow))
	if err != nil {
		return nil, err
	}
	return &pooledZstd{dec: dec, br: br}, nil
}

// put gives the decoder back for reuse, once nothing reads from it.
func (p *pooledZstd) put() {
	if err := p.dec.Reset(nil); err != nil {
		p.dec.Close()
		return
	}
	p.br.Reset(nil)
	zstdDecoders.Put(p)
}

func (x *extractor) unsafe(entry, reason string) error {
	return &UnsafeError{Archive: x.archive, Entry: entry, Reason: reason}
}

func (x *extractor) content(entry, format string, args ...any) error {
	return &ContentError{Archive: x.archive, Entry: entry, Reason: fmt.Sprintf(format, args...)}
}

func (x *extractor) untar(r io.Reader) error {
	tr := tar.NewReader(&budgetReader{r: r, x: x})
	for {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var be *BudgetError
			if errors.As(err, &be) {
				return be
			}
			return fmt.Errorf("%s: corrupt archive: %v", filepath.Base(x.archive), err)
		}
		x.entries++
		name, err := x.clean(h.Name)
		if err != nil {
			return err
		}
		if name == "" {
			continue
		}
		if condaMeta(name) {
			return x.unsafe(h.Name, "a package may not write into conda-meta/, where the environment's records are")
		}
		switch h.Typeflag {
		case tar.TypeXGlobalHeader, tar.TypeXHeader:
			continue
		case tar.TypeDir, tar.TypeReg, tar.TypeRegA, tar.TypeSymlink, tar.TypeLink:
		default:
			return x.unsafe(name, fmt.Sprintf("unsupported entry type %q (devices, fifos and the like have no place in a package)", h.Typeflag))
		}
		if err := x.checkParents(name); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = x.dir(name)
			if err == nil && !h.ModTime.IsZero() {
				x.dtimes[name] = h.ModTime
			}
		case tar.TypeReg, tar.TypeRegA:
			err = x.file(name, h, tr)
		case tar.TypeSymlink:
			err = x.symlink(name, h.Linkname)
		case tar.TypeLink:
			err = x.hardlink(name, h.Linkname)
		}
		if err != nil {
			return err
		}
	}
}

func (x *extractor) file(name string, h *tar.Header, r io.Reader) error {
	d := x.declaredFor(name)
	if d != nil {
		switch {
		case d.Type == "softlink" && h.Size == 0:
			// Old packages' bug: paths.json says link, the archive
			// holds an empty file (anaconda's zlib 1.2.11 .tar.bz2).
			x.skipQuirk(name, "an empty file")
			return nil
		case d.Type != "hardlink":
			return x.content(name, "the archive holds a file, info/paths.json says %s", d.Type)
		case d.Size != nil && h.Size != *d.Size:
			return x.content(name, "%d bytes in the archive, info/paths.json says %d", h.Size, *d.Size)
		}
	} else if err := x.spendUndeclared(name, h.Size); err != nil {
		return err
	}
	isMeta := name == "info/paths.json" || name == "info/index.json"
	if isMeta {
		if h.Size > maxMetadata {
			return &BudgetError{Archive: x.archive, Entry: name, Reason: fmt.Sprintf("%d bytes of metadata, more than the %d envlock reads", h.Size, maxMetadata)}
		}
		if (name == "info/paths.json" && x.paths != nil) || (name == "info/index.json" && x.index != nil) {
			return x.unsafe(name, "appears twice in the archive")
		}
	}
	if err := x.clear(name); err != nil {
		return err
	}
	if err := x.mkdirs(name); err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if x.opts.FileMode != 0 {
		perm = x.opts.FileMode
	}
	if h.Mode&0o111 != 0 {
		perm |= 0o111
	}
	// Hash unless nothing will be compared: every file whose declared
	// record has a hash, and every payload file while paths.json is not
	// read yet (a .tar.bz2 may put it last).
	hashIt := !skipChecks && ((d != nil && d.SHA256 != "") || (x.paths == nil && !isInfo(name)))
	var (
		meta []byte
		n    int64
		sum  string
		err  error
	)
	if x.w != nil && !isMeta && h.Size <= asyncMax {
		n, sum, err = x.handOver(name, h, r, perm, hashIt)
	} else {
		n, sum, err = x.write(name, h, r, perm, hashIt, isMeta, &meta)
	}
	if err != nil {
		var be *BudgetError
		if errors.As(err, &be) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return x.fsErr(name, err)
	}
	x.sums[name] = fileSum{sha: sum, size: n}
	x.res.Files++
	x.res.Bytes += n
	if d != nil {
		if err := x.checkFile(name, d); err != nil {
			return err
		}
	}
	switch name {
	case "info/paths.json":
		return x.readPaths(meta)
	case "info/index.json":
		x.index = meta
		return x.checkIndex()
	}
	return nil
}

// write creates the file name and streams its content into it.
func (x *extractor) write(name string, h *tar.Header, r io.Reader, perm os.FileMode, hashIt, isMeta bool, meta *[]byte) (int64, string, error) {
	f, err := x.fs.create(name, perm)
	if err != nil {
		return 0, "", err
	}
	x.kinds[name] = kindFile
	n, sum, err := x.copy(f, r, h.Size, hashIt, isMeta, meta)
	if err == nil && x.opts.FileMode != 0 {
		err = f.chmod(perm) // the umask narrowed it
	}
	// The archive's mtime, as conda and rattler keep it: a shipped .pyc
	// records its source's mtime, and Python rewrites it when they
	// differ. Set through the descriptor, after the last write.
	if err == nil {
		err = f.setTime(h.ModTime)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, sum, err
}

// handOver reads the small file name whole, hashes it and hands it to
// the writers; the model counts it as written from now on.
func (x *extractor) handOver(name string, h *tar.Header, r io.Reader, perm os.FileMode, hashIt bool) (int64, string, error) {
	if err := x.ctx.Err(); err != nil {
		return 0, "", err
	}
	bp := smallBufs.Get().(*[]byte)
	data := (*bp)[:h.Size]
	n, err := fill(r, data)
	if err == io.EOF && int64(n) == h.Size {
		err = nil
	}
	if err != nil {
		smallBufs.Put(bp)
		return int64(n), "", err
	}
	pl, err := x.fs.prepare(name)
	if err != nil {
		smallBufs.Put(bp)
		return 0, "", err
	}
	var sum string
	if hashIt {
		if x.hash == nil {
			x.hash = sha256.New()
		}
		x.hash.Reset()
		x.hash.Write(data)
		var b [sha256.Size]byte
		sum = hex.EncodeToString(x.hash.Sum(b[:0]))
	}
	x.kinds[name] = kindFile
	err = x.w.write(writeJob{at: pl, name: name, perm: perm, chmod: x.opts.FileMode != 0, data: data, buf: bp, mtime: h.ModTime})
	return int64(n), sum, err
}

// settle waits for the writers, returning the first write that failed.
func (x *extractor) settle() error {
	if x.w == nil {
		return nil
	}
	return x.w.settle()
}

// checkTree checks the whole tree against info/paths.json and follows
// the package's symlinks.
func (x *extractor) checkTree() error {
	// Every declared file and link must have been in the archive.
	if x.paths != nil {
		var missing []string
		for p, d := range x.paths {
			if !d.seen && d.Type != "directory" && !x.skipped[p] {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return x.content(missing[0], "listed in info/paths.json but not in the archive (%d such)", len(missing))
		}
		// A declared path must not lead through one of the package's
		// symlinks: the linker would write where the name does not say.
		for p := range x.paths {
			for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
				if x.kinds[dir] == kindLink {
					return x.unsafe("info/paths.json", fmt.Sprintf("its record %q leads through the symlink %q", p, dir))
				}
			}
		}
	}
	// Chains of relative links (d/e/x -> ../.., p1 -> d/e/x/.., …) can
	// each look inside and still resolve outside: follow them as the
	// kernel would, in the final tree.
	names := make([]string, 0, len(x.links))
	for l := range x.links {
		names = append(names, l)
	}
	slices.Sort(names)
	for _, l := range names {
		to, res := x.resolve(l)
		switch res {
		case resolveOutside:
			return x.unsafe(l, fmt.Sprintf("symlink to %q, which resolves outside the package through its other symlinks", x.links[l]))
		case resolveLoop:
			x.res.Warnings = append(x.res.Warnings, Warning{Entry: l, Reason: "symlink loop (links more than 40 deep)"})
		default:
			if condaMeta(to) {
				return x.unsafe(l, fmt.Sprintf("symlink to %q, which resolves into conda-meta/", x.links[l]))
			}
		}
	}
	return nil
}

// copyBuf is the size of the extractor's copy buffer: most files of a
// package are smaller, and are written with one write.
const copyBuf = 1 << 20

// copy streams the size bytes of r into f in writes of up to copyBuf,
// hashing when asked and keeping a copy of metadata files, checking for
// cancellation between chunks.
func (x *extractor) copy(f io.Writer, r io.Reader, size int64, hashIt, keep bool, meta *[]byte) (int64, string, error) {
	if x.buf == nil {
		x.buf = make([]byte, copyBuf)
	}
	var h hash.Hash
	if hashIt {
		if x.hash == nil {
			x.hash = sha256.New()
		}
		h = x.hash
		h.Reset()
	}
	if keep {
		*meta = make([]byte, 0, size)
	}
	var n int64
	for {
		if err := x.ctx.Err(); err != nil {
			return n, "", err
		}
		// Fill the buffer (tar's reader returns what the decompressor
		// hands it at a time), so that a small file is one write.
		m, rerr := fill(r, x.buf)
		if m > 0 {
			if _, err := f.Write(x.buf[:m]); err != nil {
				return n, "", err
			}
			if h != nil {
				h.Write(x.buf[:m])
			}
			if keep {
				*meta = append(*meta, x.buf[:m]...)
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return n, "", rerr
		}
	}
	if h == nil {
		return n, "", nil
	}
	var sum [sha256.Size]byte
	return n, hex.EncodeToString(h.Sum(sum[:0])), nil
}

// fill reads into buf until it is full or r fails; unlike
// io.ReadFull it passes r's io.ErrUnexpectedEOF (tar's truncated
// entry) through as it is, and io.EOF after a short read.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// finish checks what only the whole archive shows, writes envlock's own
// files and applies the cache's modes.
func (x *extractor) finish() error {
	if err := x.settle(); err != nil {
		return err
	}
	if x.opts.Want.Name != "" && x.index == nil {
		return x.content("info/index.json", "missing: not a conda package, or not the locked one")
	}
	if !skipChecks {
		if err := x.checkTree(); err != nil {
			return err
		}
	}
	if x.opts.Record != nil {
		if err := x.writeRecord(); err != nil {
			return err
		}
	}
	if err := x.dirTimes(); err != nil {
		return err
	}
	if x.opts.DirMode != 0 {
		for p, k := range x.kinds {
			if k == kindDir {
				if err := x.fs.chmodDir(p, x.opts.DirMode); err != nil {
					return x.fsErr(p, err)
				}
			}
		}
		if err := x.fs.chmodDir(".", x.opts.DirMode); err != nil {
			return x.fsErr(".", err)
		}
	}
	return nil
}
