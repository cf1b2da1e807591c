package main

import (
	"archive/tar"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/hostile"
)

// The hostile-input cases of extraction, the package cache and
// downloads (issue 15): packages that climb out through chains of
// symlinks, write into conda-meta/, lie about their content or identity,
// expand without limit, and downloads that never end. Each is installed
// over the good environment with a lock made from a channel serving it.

// evilLock writes a channel serving pkgs in format ext into work/<name>,
// an env.cue asking for each, locks it, and returns the lock's path and
// the channel's directory.
func evilLock(h *hostileEnv, name, ext string, pkgs ...*hostile.Package) (lock, channel string) {
	h.t.Helper()
	dir := h.Path(name)
	channel = filepath.Join(dir, "channel")
	if err := hostile.WriteChannel(channel, ext, pkgs...); err != nil {
		h.t.Fatal(err)
	}
	var deps []string
	for _, p := range pkgs {
		deps = append(deps, fmt.Sprintf("%q: \"*\"", p.Name))
	}
	h.WriteFile(name+"/env.cue", "package env\n\nname: \"evil\"\nchannels: [\"channel\"]\nplatforms: [\"linux-64\"]\ndependencies: {"+strings.Join(deps, ", ")+"}\n")
	h.MustRun("lock", "-C", dir)
	return filepath.Join(dir, "env.lock"), channel
}

// replaceArchive puts data in the channel as fn and makes repodata.json
// agree (sha256, md5, size): a channel serving bytes of its own making.
func replaceArchive(t testing.TB, channel, subdir, fn string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(channel, subdir, fn), data, 0o644); err != nil {
		t.Fatal(err)
	}
	rp := filepath.Join(channel, subdir, "repodata.json")
	b, err := os.ReadFile(rp)
	if err != nil {
		t.Fatal(err)
	}
	var rd map[string]any
	if err := json.Unmarshal(b, &rd); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, key := range []string{"packages", "packages.conda"} {
		m, _ := rd[key].(map[string]any)
		if rec, ok := m[fn].(map[string]any); ok {
			s := sha256.Sum256(data)
			m5 := md5.Sum(data)
			rec["sha256"], rec["md5"], rec["size"] = hex.EncodeToString(s[:]), hex.EncodeToString(m5[:]), len(data)
			found = true
		}
	}
	if !found {
		t.Fatalf("%s is not in %s", fn, rp)
	}
	b, _ = json.MarshalIndent(rd, "", " ")
	if err := os.WriteFile(rp, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func evil(files ...hostile.Entry) *hostile.Package {
	return &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Files: files}
}

// chainTo returns entries making p<n> a link that, followed as the
// kernel does, climbs n-1 levels above the package root, each link
// looking inside when read as text. Extracted in
// work/cache/pkgs/.<entry>.tmp-*, p3 is work/ and p4 the test's root,
// both holding a canary/.
func chainTo(n int) []hostile.Entry {
	es := []hostile.Entry{hostile.Dir("d/e"), hostile.Symlink("d/e/x", "../.."), hostile.Symlink("p1", "d/e/x/..")}
	for i := 2; i <= n; i++ {
		es = append(es, hostile.Symlink(fmt.Sprintf("p%d", i), fmt.Sprintf("p%d/..", i-1)))
	}
	return es
}

func TestHostileExtract(t *testing.T) {
	h := newHostileEnv(t)
	for _, tc := range []struct {
		name string
		ext  string
		pkg  *hostile.Package
		msg  string
	}{
		{
			// The chain alone, then hard links, files and paths.json
			// entries through it: refused at the first write through it.
			name: "symlink-chain-write", ext: ".conda",
			pkg: evil(append(chainTo(3), hostile.Reg("p3/canary/keep.txt", "pwned\n"), hostile.Hardlink("h", "p3/canary/x"))...),
			msg: `evil-1\.0-0\.conda: refusing entry "p3/canary/keep\.txt": written through the symlink "p3"; the package is corrupt or malicious, nothing was extracted`,
		},
		{
			name: "symlink-chain-hardlink", ext: ".tar.bz2",
			pkg: evil(append(chainTo(4), hostile.Hardlink("h", "p4/canary/x"))...),
			msg: `evil-1\.0-0\.tar\.bz2: refusing entry "h": hard link to "p4/canary/x", which is not a file extracted before it`,
		},
		{
			// Only links: later users of the tree (the linker,
			// envlock's own record) would follow them.
			name: "symlink-chain-alone", ext: ".conda",
			pkg: evil(append(chainTo(16), hostile.Symlink("abs", "p16/etc/passwd"))...),
			msg: `evil-1\.0-0\.conda: refusing entry "abs": symlink to "p16/etc/passwd", which resolves outside the package through its other symlinks`,
		},
		{
			name: "conda-meta", ext: ".conda",
			pkg: &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Paths: []hostile.PathEntry{}, Files: []hostile.Entry{hostile.Reg("conda-meta/greet-py-1.0-0.json", "{}")}},
			msg: `refusing entry "conda-meta/greet-py-1\.0-0\.json": a package may not write into conda-meta/`,
		},
		{
			name: "content-sha256", ext: ".tar.bz2",
			pkg: func() *hostile.Package {
				p := evil(hostile.Reg("lib/a", "not what paths.json says"))
				p.Paths = p.TruePaths()
				p.Paths[0].SHA256 = strings.Repeat("ab", 32)
				return p
			}(),
			msg: `evil-1\.0-0\.tar\.bz2: lib/a: sha256 [0-9a-f]{64}, info/paths\.json says (ab){32}; the package is corrupt or was altered, nothing was extracted`,
		},
		{
			name: "index-identity", ext: ".conda",
			pkg: &hostile.Package{Name: "evil", Version: "1.0", Build: "0", Index: map[string]any{"name": "openssl", "version": "3.0.0"}, Record: map[string]any{"name": "evil", "version": "1.0"}, Files: []hostile.Entry{hostile.Reg("lib/a", "a")}},
			msg: `evil-1\.0-0\.conda: info/index\.json: it says name "openssl", the lock says "evil"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			lock, _ := evilLock(h, "evil-"+tc.name, tc.ext, tc.pkg)
			h.Expect(1, tc.msg, "install", "--lock", lock, "-p", h.Prefix)
		})
	}

	// A 5 KB multi-stream .tar.bz2 whose tar announces a 3 GiB file: with
	// paths.json it is refused at the header (not the declared size);
	// without, at the undeclared budget. Nothing is written either way.
	for _, tc := range []struct {
		name  string
		paths bool
		msg   string
	}{
		{"bomb-declared", true, `lib/bomb: 3221225472 bytes in the archive, info/paths\.json says 10`},
		{"bomb-undeclared", false, `lib/bomb: files info/paths\.json does not declare add up to more than 268435456 bytes .*decompression bomb, nothing was extracted`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			p := evil(hostile.Reg("lib/bomb", "0123456789"))
			lock, channel := evilLock(h, "evil-"+tc.name, ".tar.bz2", p)
			info := []hostile.Entry{hostile.Reg("info/index.json", `{"name": "evil", "version": "1.0", "build": "0", "build_number": 0, "subdir": "linux-64", "depends": []}`)}
			if tc.paths {
				info = append(info, hostile.Reg("info/paths.json", `{"paths_version": 1, "paths": [{"_path": "lib/bomb", "path_type": "hardlink", "sha256": "`+strings.Repeat("0", 64)+`", "size_in_bytes": 10}]}`))
			}
			bomb := bzip2Bomb(t, info, 3<<30)
			if len(bomb) > 16<<10 {
				t.Fatalf("bomb of %d bytes; meant to be small", len(bomb))
			}
			replaceArchive(t, channel, "linux-64", p.FileName(".tar.bz2"), bomb)
			// Re-lock: the channel's hash changed.
			os.Remove(lock)
			h.MustRun("lock", "-C", filepath.Dir(lock))
			h.Expect(1, tc.msg, "install", "--lock", lock, "-p", h.Prefix)
		})
	}

	// A download that never ends, and one announcing more than the lock
	// says: stopped at the locked size, nothing left in the cache.
	t.Run("download-endless", func(t *testing.T) {
		h.t = t
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			buf := make([]byte, 32<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(buf); err != nil {
					return
				}
			}
		}))
		defer srv.Close()
		p := evil(hostile.Reg("lib/a", "a"))
		lock, _ := evilLock(h, "evil-download", ".conda", p)
		m := loadJSON(t, lock)
		pk := m["platforms"].([]any)[0].(map[string]any)["packages"].([]any)[0].(map[string]any)
		size := pk["size"]
		pk["url"] = srv.URL + "/linux-64/" + p.FileName(".conda")
		saveJSON(t, lock, m)
		h.Expect(1, fmt.Sprintf(`evil-1\.0-0\.conda: more than the %v bytes the lock says .*the download was stopped there`, size), "install", "--lock", lock, "-p", h.Prefix)
		h.noDebris()
	})

	// What a killed run left in the cache (a partial download, a partial
	// extraction) is removed by the next run.
	t.Run("debris", func(t *testing.T) {
		h.t = t
		pkgs := filepath.Join(h.Cache, "pkgs")
		os.WriteFile(filepath.Join(pkgs, ".greet-1.0-0.conda.part-killed"), []byte("half"), 0o644)
		os.MkdirAll(filepath.Join(pkgs, ".greet-1.0-0.tmp-killed", "lib"), 0o700)
		h.Expect(0, ``, "install", "--lock", filepath.Join(h.Project, "env.lock"), "-p", h.Prefix)
		h.noDebris()
	})
}

// noDebris fails when the package cache holds temporary files.
func (h *hostileEnv) noDebris() {
	h.t.Helper()
	ents, _ := os.ReadDir(filepath.Join(h.Cache, "pkgs"))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".part-") || strings.Contains(e.Name(), ".tmp-") {
			h.t.Errorf("left in the package cache: %s", e.Name())
		}
	}
}

func loadJSON(t testing.TB, p string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func saveJSON(t testing.TB, p string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bzip2Bomb is a .tar.bz2 of a few KB: info entries and the header of a
// regular file of size bytes in a first bzip2 stream, then 40 streams of
// 8 MiB of zeros each, concatenated (bzip2 readers read them as one).
func bzip2Bomb(t testing.TB, info []hostile.Entry, size int64) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range info {
		tw.WriteHeader(&tar.Header{Name: e.Name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(e.Data))})
		tw.Write(e.Data)
	}
	if err := tw.WriteHeader(&tar.Header{Name: "lib/bomb", Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	tw.Flush()
	out := hostile.Bzip2(buf.Bytes())
	zeros := hostile.Bzip2(make([]byte, 8<<20))
	for i := 0; i < 40; i++ {
		out = append(out, zeros...)
	}
	return out
}
