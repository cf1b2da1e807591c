//go:build linux && (amd64 || arm64 || riscv64 || loong64 || s390x || 386 || arm)

// FS_IOC_FIEMAP below is spelled with the generic ioctl encoding, which
// these architectures share (ppc, mips and sparc encode it otherwise).

package install_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/install/link"
	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/locktest"
	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/verify"
)

// TestReflinkXFS installs a lock with --link reflink into a prefix on an
// XFS image with reflink=1, the package cache beside it, and proves from
// the file system's own block map (FIEMAP) that every unchanged file is a
// clone of the cache's file: another inode on the very same physical
// extents, flagged shared; that the files whose prefix placeholder was
// rewritten own their blocks; that a second environment costs almost no
// space; that writing to a clone leaves the cache alone and verify names
// the file; and that a cache on another file system falls back to copies
// with one note.
//
// XFS rather than btrfs: it is the file system of RHEL and its clones,
// which most HPC clusters run, so a reflink-capable local or scratch disk
// there is XFS; mkfs.xfs makes a 300 MB image in milliseconds, and a
// sparse image costs only what is written.
func TestReflinkXFS(t *testing.T) {
	mnt := mountXFS(t)
	ch, big := reflinkChannel(t)
	l, data := locktest.Channel(t, ch, nil)
	pkgs := filepath.Join(mnt, "pkgs")
	f := locktest.Fetcher(t, pkgs)

	var notes []string
	logf := func(s string) { notes = append(notes, s) }
	prefix := filepath.Join(mnt, "env")
	res, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f, Link: link.Reflink, Log: logf})
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 0 {
		t.Errorf("install noted %q; want nothing, every clone should have worked", notes)
	}
	// The count says FICLONE made the clones: the block map alone cannot,
	// as a fallback copy through io.Copy (copy_file_range) is cloned by
	// XFS too.
	if want := clonable(); res.Reflinks != want || res.Hardlinks != 0 {
		t.Errorf("%d files reflinked, %d hard-linked; want %d reflinked (every file without a placeholder), none hard-linked", res.Reflinks, res.Hardlinks, want)
	}

	dist := filepath.Join(pkgs, big.Name+"-"+big.Version+"-"+big.Build)
	var cloned, rewritten int64
	for _, file := range big.Files {
		cached := filepath.Join(dist, filepath.FromSlash(file.Path))
		env := filepath.Join(prefix, filepath.FromSlash(file.Path))
		if sameFile(t, cached, env) {
			t.Errorf("%s is the cache's inode (a hard link), not a clone", file.Path)
			continue
		}
		ce, pe := fiemap(t, cached), fiemap(t, env)
		if file.Placeholder == "" {
			cloned += int64(len(file.Data))
			// A clone: the prefix's file maps the same logical ranges
			// to the same physical blocks as the cache's, all shared.
			if d := cmp.Diff(ce, pe); d != "" {
				t.Errorf("%s: the prefix's extents are not the cache's (-cache +prefix):\n%s", file.Path, d)
			}
			for _, e := range pe {
				if e.Flags&fiemapExtentShared == 0 {
					t.Errorf("%s: extent %+v is not shared", file.Path, e)
				}
			}
			continue
		}
		// A placeholder was rewritten: the file must be a copy with its
		// own blocks and the install path in it.
		rewritten += int64(len(file.Data))
		for _, e := range pe {
			if e.Flags&fiemapExtentShared != 0 || overlaps(e, ce) {
				t.Errorf("%s has a prefix placeholder but its extent %+v is shared with the cache (%+v)", file.Path, e, ce)
			}
		}
		got, err := os.ReadFile(env)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(got, []byte(condapkg.TextPlaceholder)) || bytes.Contains(got, []byte(condapkg.BinaryPlaceholder)) || !bytes.Contains(got, []byte(prefix+"/share/big")) {
			t.Errorf("%s: the placeholder was not replaced by %s", file.Path, prefix)
		}
	}
	t.Logf("%s: %d bytes cloned, %d bytes rewritten", big.Fn(""), cloned, rewritten)

	// What a user sees in df: a second environment from the same cache
	// costs its rewritten files and metadata, not the cloned bytes.
	before := freeBytes(t, mnt)
	if _, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: filepath.Join(mnt, "env2"), Fetcher: f, Link: link.Reflink}); err != nil {
		t.Fatal(err)
	}
	used := before - freeBytes(t, mnt)
	t.Logf("a second environment used %d KiB of the file system", used>>10)
	if used > rewritten+cloned/8 {
		t.Errorf("a second environment used %d bytes; with clones it should cost about the %d rewritten bytes, far less than the %d cloned", used, rewritten, cloned)
	}

	checkClean(t, prefix, l, data)

	// Copy on write: an edit in the environment must not reach the cache
	// (with hard links it would), and verify must name the edited file.
	edited := big.Files[0]
	if edited.Placeholder != "" {
		t.Fatalf("%s should be a file without a placeholder", edited.Path)
	}
	w, err := os.OpenFile(filepath.Join(prefix, filepath.FromSlash(edited.Path)), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt([]byte("edited in the environment"), 4096); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dist, filepath.FromSlash(edited.Path))); err != nil || !bytes.Equal(got, edited.Data) {
		t.Errorf("the cache's %s changed when its clone in the environment was written (err %v)", edited.Path, err)
	}
	r := verifyPrefix(t, prefix, l, data)
	want := []verify.FileIssue{{Path: edited.Path, Kind: verify.FileModified, Package: big.Name + "-" + big.Version + "-" + big.Build}}
	if d := cmp.Diff(want, r.Files.Issues, cmpIssue); r.Status != verify.StatusDrift || d != "" {
		t.Errorf("verify after editing a clone: status %s, issues (-want +got):\n%s", r.Status, d)
	}

	t.Run("cache on another file system", func(t *testing.T) {
		// A cache on the home or scratch file system and the environment
		// on a project disk: FICLONE gets EXDEV, and install copies.
		var notes []string
		prefix := filepath.Join(mnt, "env-xdev")
		res, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: locktest.Fetcher(t, t.TempDir()), Link: link.Reflink,
			Log: func(s string) { notes = append(notes, s) }})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{fmt.Sprintf("reflinks were not possible (the package cache and the environment are on different file systems); %d files were copied instead", clonable())}
		if d := cmp.Diff(want, notes); d != "" {
			t.Errorf("notes (-want +got):\n%s", d)
		}
		if res.Reflinks != 0 {
			t.Errorf("%d files reflinked across file systems", res.Reflinks)
		}
		checkClean(t, prefix, l, data)
	})
}

// TestReflinkUnsupported installs with --link reflink where the package
// cache and the prefix share a file system without reflinks (the temp
// dir; ext4 or tmpfs on most machines): install copies every file and
// says so once, as conda and pixi fall back, and the environment is
// clean.
func TestReflinkUnsupported(t *testing.T) {
	dir := t.TempDir()
	if err := tryClone(dir); err == nil {
		t.Skipf("the temp dir's file system (%s) makes reflinks; this test needs one without them, such as ext4 or tmpfs", dir)
	} else if !errors.Is(err, unix.EOPNOTSUPP) {
		t.Skipf("FICLONE in the temp dir fails with %v, not EOPNOTSUPP; this test needs a file system without reflinks", err)
	}
	ch, _ := reflinkChannel(t)
	l, data := locktest.Channel(t, ch, nil)
	pkgs := filepath.Join(dir, "pkgs")
	prefix := filepath.Join(dir, "env")
	var notes []string
	res, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: locktest.Fetcher(t, pkgs), Link: link.Reflink,
		Log: func(s string) { notes = append(notes, s) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("reflinks were not possible (the environment's file system does not support them); %d files were copied instead", clonable())}
	if d := cmp.Diff(want, notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
	if res.Reflinks != 0 || res.Hardlinks != 0 {
		t.Errorf("%d reflinks and %d hard links on a file system without reflinks; want copies only", res.Reflinks, res.Hardlinks)
	}
	// Copies, not hard links: --link reflink promises that an edit in the
	// environment cannot reach the cache.
	for _, p := range condapkg.Demo()[1].Files {
		if p.Symlink == "" && sameFile(t, filepath.Join(pkgs, "libgreet-1.0.0-h1234567_0", p.Path), filepath.Join(prefix, p.Path)) {
			t.Errorf("%s is hard-linked to the cache", p.Path)
		}
	}
	checkClean(t, prefix, l, data)
}

// bigPackage has files of 1–4 MB, so that clones and copies differ by
// megabytes in the block map and in df: four unchanged files, one with a
// binary placeholder inside and one text file with a text placeholder.
func bigPackage() *condapkg.Package {
	rng := rand.New(rand.NewChaCha8([32]byte{'e', 'n', 'v', 'l', 'o', 'c', 'k'}))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	const mb = 1 << 20
	bin := random(2 * mb)
	copy(bin[mb:], condapkg.BinaryPlaceholder+"/share/big\x00")
	text := bytes.Repeat([]byte("data_dir = "+condapkg.TextPlaceholder+"/share/big\n"), mb/64)
	return &condapkg.Package{
		Name: "bigdata", Version: "1.0", Build: "h0_0", Timestamp: 1700000000000,
		Files: []condapkg.File{
			{Path: "lib/libbig.so.1", Data: random(4 * mb)},
			{Path: "share/big/a.bin", Data: random(1 * mb)},
			{Path: "share/big/b.bin", Data: random(2 * mb)},
			{Path: "share/big/c.bin", Data: random(3 * mb)},
			{Path: "lib/libbigpaths.so.1", Data: bin, Placeholder: "binary"},
			{Path: "etc/big.conf", Data: text, Placeholder: "text"},
		},
	}
}

// reflinkChannel writes the demo packages and bigPackage as a channel.
func reflinkChannel(t *testing.T) (dir string, big *condapkg.Package) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "channel")
	big = bigPackage()
	if err := condapkg.WriteChannel(dir, append(condapkg.Demo(), big), nil); err != nil {
		t.Fatal(err)
	}
	return dir, big
}

// clonable counts the files of reflinkChannel that reach the prefix
// unchanged: regular files without a placeholder (entry points are
// written, not linked; no shebang there is too long).
func clonable() int {
	n := 0
	for _, p := range append(condapkg.Demo(), bigPackage()) {
		for _, f := range p.Files {
			if f.Symlink == "" && f.Placeholder == "" {
				n++
			}
		}
	}
	return n
}

// mountXFS loop-mounts a fresh 300 MB XFS image with reflink=1 (the
// smallest XFS mkfs.xfs makes) and returns the mount point; it is
// unmounted and its loop device detached when the test ends, pass or
// fail. When it cannot (not root, no mkfs.xfs, or a mount the machine
// refuses: a container without loop devices or CAP_SYS_ADMIN) it goes
// through testenv.Missing. So under ENVLOCK_TEST_STRICT=1 the reflink
// evidence is required like any peer's: .ci/run runs as root on a
// machine with loop devices, and a CI runner without them fails, naming
// what it lacks, rather than passing without the reflink tests.
func mountXFS(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root (to loop-mount an XFS image for the reflink tests)", "run the tests as root, as .ci/run does")
	}
	mkfs := testenv.Tool(t, "mkfs.xfs", "Debian: apt-get install xfsprogs; the reflink tests make an XFS image")
	dir := t.TempDir()
	img := filepath.Join(dir, "xfs.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the image costs only the blocks XFS and the test write.
	err = errors.Join(f.Truncate(300<<20), f.Close())
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(mkfs, "-q", "-m", "reflink=1", img).CombinedOutput(); err != nil {
		testenv.Missing(t, "an XFS with reflink=1", fmt.Sprintf("mkfs.xfs -m reflink=1 failed (%v): %s", err, bytes.TrimSpace(out)))
	}
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
		testenv.Missing(t, "a loop mount", fmt.Sprintf("mount -o loop of an XFS image fails here (%v): %s; the machine needs loop devices and CAP_SYS_ADMIN", err, bytes.TrimSpace(out)))
	}
	// Registered after t.TempDir, so it runs before the directory is
	// removed: unmount (lazily if something still holds it), then detach
	// any loop device still bound to the image (mount's autoclear
	// usually has).
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			t.Errorf("unmounting %s: %v; detaching it lazily", mnt, err)
			unix.Unmount(mnt, unix.MNT_DETACH)
		}
		out, err := exec.Command("losetup", "-j", img).Output()
		if err != nil {
			return
		}
		for line := range strings.Lines(string(out)) {
			if dev, _, ok := strings.Cut(line, ":"); ok {
				if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
					t.Errorf("losetup -d %s: %v: %s", dev, err, out)
				}
			}
		}
	})
	if err := tryClone(mnt); err != nil {
		t.Fatalf("FICLONE fails on a fresh XFS with reflink=1: %v", err)
	}
	return mnt
}

// tryClone clones a small file in dir with FICLONE.
func tryClone(dir string) error {
	src := filepath.Join(dir, ".clone-probe")
	defer os.Remove(src)
	defer os.Remove(src + ".clone")
	if err := os.WriteFile(src, []byte("probe"), 0o644); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(src + ".clone")
	if err != nil {
		return err
	}
	defer out.Close()
	return unix.IoctlFileClone(int(out.Fd()), int(in.Fd()))
}

// The kernel's FIEMAP interface (linux/fiemap.h), which x/sys/unix lacks.
const (
	fsIocFiemap        = 0xC020660B // _IOWR('f', 11, struct fiemap)
	fiemapFlagSync     = 0x1        // flush delayed allocation before mapping
	fiemapExtentLast   = 0x1
	fiemapExtentShared = 0x2000 // the blocks belong to other files too
	fiemapHeader       = 32     // sizeof(struct fiemap)
	fiemapExtentSize   = 56     // sizeof(struct fiemap_extent)
)

// An extent maps a file's bytes to the device's.
type extent struct {
	Logical, Physical, Length uint64
	Flags                     uint32
}

// fiemap returns the extents of the file at p, adjacent ones merged (a
// clone may be mapped in other pieces than its source), as filefrag -v
// shows them.
func fiemap(t *testing.T, p string) []extent {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []extent
	for start := uint64(0); ; {
		const n = 64
		buf := make([]byte, fiemapHeader+n*fiemapExtentSize)
		ne := binary.NativeEndian
		ne.PutUint64(buf[0:], start)
		ne.PutUint64(buf[8:], ^uint64(0)) // to the end of the file
		ne.PutUint32(buf[16:], fiemapFlagSync)
		ne.PutUint32(buf[24:], n)
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fsIocFiemap, uintptr(unsafe.Pointer(&buf[0]))); errno != 0 {
			t.Fatalf("FIEMAP %s: %v", p, errno)
		}
		mapped := ne.Uint32(buf[20:])
		if mapped == 0 {
			break
		}
		var last bool
		for i := range int(mapped) {
			b := buf[fiemapHeader+i*fiemapExtentSize:]
			e := extent{Logical: ne.Uint64(b[0:]), Physical: ne.Uint64(b[8:]), Length: ne.Uint64(b[16:]), Flags: ne.Uint32(b[40:])}
			last = e.Flags&fiemapExtentLast != 0
			start = e.Logical + e.Length
			e.Flags &^= fiemapExtentLast
			if k := len(all) - 1; k >= 0 && all[k].Logical+all[k].Length == e.Logical && all[k].Physical+all[k].Length == e.Physical && all[k].Flags == e.Flags {
				all[k].Length += e.Length
				continue
			}
			all = append(all, e)
		}
		if last {
			break
		}
	}
	if len(all) == 0 {
		t.Fatalf("%s has no extents", p)
	}
	return all
}

// overlaps says whether e shares physical blocks with any of es.
func overlaps(e extent, es []extent) bool {
	for _, o := range es {
		if e.Physical < o.Physical+o.Length && o.Physical < e.Physical+e.Length {
			return true
		}
	}
	return false
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(fa, fb)
}

// freeBytes is what df shows as available on the file system of dir.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// cmpIssue ignores the hashes in a verify issue; which file and why is
// what these tests check.
var cmpIssue = cmp.FilterPath(func(p cmp.Path) bool {
	n := p.Last().String()
	return n == ".Want" || n == ".Got"
}, cmp.Ignore())

func verifyPrefix(t *testing.T, prefix string, l *lockfile.Lock, data []byte) *verify.Report {
	t.Helper()
	r, err := verify.Prefix(context.Background(), verify.Options{Prefix: prefix, Lock: l, LockData: data})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkClean runs envlock verify's check on prefix: every file as
// recorded, the package set as locked.
func checkClean(t *testing.T, prefix string, l *lockfile.Lock, data []byte) {
	t.Helper()
	if r := verifyPrefix(t, prefix, l, data); r.Status != verify.StatusClean {
		t.Errorf("verify %s: %s, issues %+v", prefix, r.Status, r.Files.Issues)
	}
}
