package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func art(fn string, data []byte) Artifact {
	sum := sha256.Sum256(data)
	return Artifact{Fn: fn, URL: "https://example.invalid/" + fn, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

func put(t *testing.T, c *Cache, a Artifact, data []byte) (string, error) {
	t.Helper()
	w, existing, err := c.Create(a)
	if err != nil {
		return "", err
	}
	if w == nil {
		return existing, nil
	}
	w.Write(data)
	return w.Commit()
}

func TestPutFind(t *testing.T) {
	c, err := Open([]string{filepath.Join(t.TempDir(), "pkgs")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("package bytes")
	a := art("zlib-1.2.13-h0.conda", data)
	if _, ok := c.Find(a); ok {
		t.Fatal("found before put")
	}
	p, err := put(t, c, a, data)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Find(a); !ok || got != p {
		t.Fatalf("Find = %q %v", got, ok)
	}
	// Corrupt the entry: it is not used, and it is removed.
	os.WriteFile(p, []byte("package bytez"), 0o644)
	if _, ok := c.Find(a); ok {
		t.Fatal("a corrupt entry was used")
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Error("the corrupt entry was left in place")
	}
	// Bytes that do not match are refused and leave nothing behind.
	_, err = put(t, c, a, []byte("tampered!!!!!"))
	var he *HashError
	if !errors.As(err, &he) {
		t.Fatalf("tampered put: %v", err)
	}
	entries, _ := os.ReadDir(c.Writable())
	for _, e := range entries {
		if !e.IsDir() {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestReadOnlyDirs(t *testing.T) {
	ro := t.TempDir()
	data := []byte("shared by the admin")
	a := art("numpy-1.26.4-py.conda", data)
	os.WriteFile(filepath.Join(ro, a.Fn), data, 0o444)
	os.Chmod(ro, 0o555)
	t.Cleanup(func() { os.Chmod(ro, 0o755) })
	rw := filepath.Join(t.TempDir(), "mine")
	c, err := Open([]string{ro, rw}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 && c.Writable() != rw {
		t.Errorf("writable = %q, want %q", c.Writable(), rw)
	}
	if p, ok := c.Find(a); !ok || filepath.Dir(p) != ro {
		t.Errorf("the read-only copy was not found: %q %v", p, ok)
	}
}

func TestGroupShared(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "group")
	os.Mkdir(dir, 0o755)
	if err := os.Chmod(dir, 0o2775|os.ModeSetgid); err != nil {
		t.Skip(err)
	}
	old := syscall.Umask(0o077) // a user whose umask shares nothing
	defer syscall.Umask(old)
	c, err := Open([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Shared() {
		t.Fatal("a setgid directory was not taken as shared")
	}
	data := []byte("x")
	p, err := put(t, c, art("a-1-0.conda", data), data)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o664 {
		t.Errorf("entry mode %v, want 0664 despite umask 077", fi.Mode().Perm())
	}
	li, _ := os.Stat(filepath.Join(dir, ".locks"))
	if li.Mode().Perm()&0o070 != 0o070 {
		t.Errorf("lock dir mode %v, want group rwx", li.Mode().Perm())
	}
	// A forced mode wins.
	c2, _ := Open([]string{t.TempDir()}, Options{Mode: 0o660})
	p2, _ := put(t, c2, art("b-1-0.conda", data), data)
	if fi, _ := os.Stat(p2); fi.Mode().Perm() != 0o660 {
		t.Errorf("forced mode: %v", fi.Mode().Perm())
	}
}

func TestConcurrentCreate(t *testing.T) {
	c, _ := Open([]string{t.TempDir()}, Options{})
	data := make([]byte, 1<<20)
	a := art("big-1-0.conda", data)
	var wg sync.WaitGroup
	var writers int32
	var mu sync.Mutex
	paths := map[string]bool{}
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, existing, err := c.Create(a)
			if err != nil {
				t.Error(err)
				return
			}
			p := existing
			if w != nil {
				mu.Lock()
				writers++
				mu.Unlock()
				w.Write(data)
				if p, err = w.Commit(); err != nil {
					t.Error(err)
				}
			}
			mu.Lock()
			paths[p] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if writers != 1 || len(paths) != 1 {
		t.Errorf("%d writers, paths %v; want one writer and one path", writers, paths)
	}
}

func TestDefaultDirs(t *testing.T) {
	env := map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}
	get := func(k string) string { return env[k] }
	if d := DefaultDirs(get); d[0] != "/x/envlock/pkgs" {
		t.Errorf("xdg: %v", d)
	}
	env["ENVLOCK_PKGS_DIRS"] = "/blue/lab/pkgs:/home/me/pkgs"
	if d := DefaultDirs(get); len(d) != 2 || d[0] != "/blue/lab/pkgs" {
		t.Errorf("ENVLOCK_PKGS_DIRS: %v", d)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"zlib-1.2.13-h4ab18f5_6.conda", "python-3.12.1-hab00c5b_1_cpython", "numpy-1.26.4-py312h8753938_0.tar.bz2", "torch-2.3.0+cu121-cp312-cp312-linux_x86_64.whl"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "0/../../x", `a\b`, ".locks", ".verified", ".x.part-1", "a\x00b", "a\nb", strings.Repeat("x", 251)} {
		if err := CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) accepted", bad)
		}
	}
	c, _ := Open([]string{t.TempDir()}, Options{})
	if _, err := c.LockEntry("0/../../x"); err == nil {
		t.Error("LockEntry took a path")
	}
	if err := c.RemoveEntry("../x"); err == nil {
		t.Error("RemoveEntry took a path")
	}
	if _, _, err := c.Create(Artifact{Fn: "..", SHA256: "00"}); err == nil {
		t.Error("Create took ..")
	}
}

// TestSweep checks that what a killed run left (a partial download, a
// partial extraction) is removed by the next Open, unless a live writer
// holds the entry's lock; finished entries and other files stay.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	c, err := Open([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("done")
	done, err := put(t, c, art("done-1-0.conda", data), data)
	if err != nil {
		t.Fatal(err)
	}
	// Debris of a killed run.
	os.WriteFile(filepath.Join(dir, ".a-1-0.conda.part-123"), []byte("half"), 0o644)
	os.MkdirAll(filepath.Join(dir, ".a-1-0.tmp-456", "lib"), 0o700)
	os.WriteFile(filepath.Join(dir, ".a-1-0.tmp-456", "lib", "x"), []byte("half"), 0o644)
	// A partial extraction whose tree links outside: removing it must
	// not follow the link.
	outside := filepath.Join(t.TempDir(), "outside")
	os.MkdirAll(outside, 0o755)
	os.WriteFile(filepath.Join(outside, "keep.txt"), []byte("keep"), 0o644)
	os.MkdirAll(filepath.Join(dir, ".b-1-0.tmp-789"), 0o700)
	os.Symlink(outside, filepath.Join(dir, ".b-1-0.tmp-789", "out"))
	// A writer at work on c-1-0 (its lock held).
	busy, err := c.LockEntry("c-1-0")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, ".c-1-0.tmp-1"), 0o700)
	// Not the cache's: kept.
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("user's"), 0o644)
	os.WriteFile(filepath.Join(dir, ".part-x"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, ".tmp-"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "..tmp-x"), nil, 0o644)
	old := time.Now().Add(-2 * time.Hour)
	os.WriteFile(filepath.Join(dir, ".envlock-probe-1"), nil, 0o644)
	os.Chtimes(filepath.Join(dir, ".envlock-probe-1"), old, old)

	if _, err := Open([]string{dir}, Options{}); err != nil {
		t.Fatal(err)
	}
	busy.Unlock()
	var left []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	sort.Strings(left)
	want := []string{"..tmp-x", ".c-1-0.tmp-1", ".hidden", ".locks", ".part-x", ".tmp-", ".verified", "done-1-0.conda"}
	if !slices.Equal(left, want) {
		t.Errorf("after the sweep: %v, want %v", left, want)
	}
	if b, err := os.ReadFile(filepath.Join(outside, "keep.txt")); err != nil || string(b) != "keep" {
		t.Errorf("the sweep followed a link out of the cache: %q %v", b, err)
	}
	if _, ok := c.Find(art("done-1-0.conda", data)); !ok || done == "" {
		t.Error("the finished entry is gone")
	}
}

// TestWriterStopsAtSize checks that a writer refuses bytes past the
// locked size.
func TestWriterStopsAtSize(t *testing.T) {
	c, _ := Open([]string{t.TempDir()}, Options{})
	a := art("a-1-0.conda", []byte("1234"))
	w, _, err := c.Create(a)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write([]byte("123")); err != nil {
		t.Fatal(err)
	}
	n, err := w.Write([]byte("45"))
	var he *HashError
	if n != 0 || !errors.As(err, &he) || !strings.Contains(err.Error(), "more than the 4 bytes the lock says") {
		t.Fatalf("Write past the size = %d, %v", n, err)
	}
	if w.Written() != 3 {
		t.Errorf("%d bytes written, want 3", w.Written())
	}
}

// TestTamperedMeta plants what another member of a group-writable cache
// could: .locks and .verified as symlinks to a directory of the user's,
// a lock file as a symlink to a file of the user's. envlock must refuse
// or skip, never create, truncate or chmod anything there.
func TestTamperedMeta(t *testing.T) {
	victim := t.TempDir()
	secret := filepath.Join(victim, "id_rsa")
	os.WriteFile(secret, []byte("secret"), 0o600)
	snap := func() string {
		var b strings.Builder
		ents, _ := os.ReadDir(victim)
		for _, e := range ents {
			fi, _ := os.Lstat(filepath.Join(victim, e.Name()))
			data, _ := os.ReadFile(filepath.Join(victim, e.Name()))
			b.WriteString(e.Name() + " " + fi.Mode().String() + " " + string(data) + "\n")
		}
		return b.String()
	}
	before := snap()
	data := []byte("bytes")

	dir := t.TempDir()
	os.Symlink(victim, filepath.Join(dir, ".locks"))
	os.Symlink(victim, filepath.Join(dir, ".verified"))
	c, _ := Open([]string{dir}, Options{Mode: 0o664})
	if _, err := put(t, c, art("a-1-0.conda", data), data); err == nil || !strings.Contains(err.Error(), ".locks is not a directory; the package cache was tampered with") {
		t.Errorf("put with .locks a symlink: %v", err)
	}

	dir2 := t.TempDir()
	os.MkdirAll(filepath.Join(dir2, ".locks"), 0o755)
	os.Symlink(secret, filepath.Join(dir2, ".locks", "id_rsa.lock"))
	os.Symlink(victim, filepath.Join(dir2, ".verified"))
	c2, _ := Open([]string{dir2}, Options{Mode: 0o664})
	if _, err := put(t, c2, art("id_rsa", data), data); err == nil {
		t.Error("put through a lock file that is a symlink succeeded")
	}
	// The stamp directory is a link: the entry is stored, the stamp is
	// not written there.
	if _, err := put(t, c2, art("b-1-0.conda", data), data); err != nil {
		t.Errorf("put with .verified a symlink: %v", err)
	}
	if after := snap(); after != before {
		t.Errorf("the user's directory changed:\nbefore %s\nafter  %s", before, after)
	}
}

// FuzzSweep feeds file names another member of a shared cache could
// create: Sweep must not panic, and must keep every name that is not a
// temporary name of a valid entry.
func FuzzSweep(f *testing.F) {
	for _, s := range []string{".part-x", ".a.conda.part-1", ".tmp-", "..tmp-x", ".a.tmp-.part-", ".\x00.tmp-1", ".envlock-probe-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 200 {
			return
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			return
		}
		c, err := Open([]string{dir}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		c.Sweep()
		_, err = os.Lstat(filepath.Join(dir, name))
		gone := errors.Is(err, os.ErrNotExist)
		// A partial download's infix is looked for first, as Sweep does.
		var debris bool
		for _, infix := range []string{partInfix, tmpInfix} {
			if i := strings.LastIndex(name, infix); i > 1 && strings.HasPrefix(name, ".") {
				debris = CheckName(name[1:i]) == nil
				break
			}
		}
		if strings.HasPrefix(name, ".envlock-probe-") {
			debris = false // fresh probes stay
		}
		if gone && !debris {
			t.Errorf("Sweep removed %q, which is not a temporary name of the cache", name)
		}
		if !gone && debris && !strings.HasPrefix(name, ".envlock-probe-") {
			t.Errorf("Sweep kept %q", name)
		}
	})
}

// TestWriterUnknownSize checks the bound on an artifact whose size the
// lock does not record.
func TestWriterUnknownSize(t *testing.T) {
	defer func(n int64) { maxUnknownSize = n }(maxUnknownSize)
	maxUnknownSize = 10
	c, _ := Open([]string{t.TempDir()}, Options{})
	a := art("a-1-0.conda", []byte("12345678901"))
	a.Size = 0
	w, _, err := c.Create(a)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write([]byte("1234567890")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("1")); err == nil || !strings.Contains(err.Error(), "more than 10 bytes (from https://example.invalid/a-1-0.conda), and the lock records no size") {
		t.Fatalf("err = %v", err)
	}
}
