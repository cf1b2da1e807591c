package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/cache"
)

// withManifest rewrites a bundle through edit, then fixes the bundle
// manifest's sizes and hashes (and the lock's hash) to match, so that
// only what edit did is wrong: the work of someone altering a bundle on
// purpose. edit may also change the manifest's file list.
func withManifest(t *testing.T, b []byte, edit func(name string, data []byte) []byte, files func([]File) []File) []byte {
	t.Helper()
	out := rewrite(t, b, edit)
	sums := map[string]File{}
	rewrite(t, out, func(n string, d []byte) []byte {
		s := sha256.Sum256(d)
		sums[n] = File{Path: n, Size: int64(len(d)), SHA256: hex.EncodeToString(s[:])}
		return d
	})
	return rewrite(t, out, func(n string, d []byte) []byte {
		if n != ManifestName {
			return d
		}
		var m Manifest
		if err := json.Unmarshal(d, &m); err != nil {
			t.Fatal(err)
		}
		var keep []File
		for _, f := range m.Files {
			if s, ok := sums[f.Path]; ok {
				keep = append(keep, s)
			}
		}
		if files != nil {
			keep = files(keep)
		}
		m.Files = keep
		m.LockSHA256 = sums["env.lock"].SHA256
		d, _ = json.Marshal(m)
		return d
	})
}

// appendEntry adds a tar entry at the end of a bundle.
func appendEntry(t testing.TB, b []byte, h *tar.Header, data []byte) []byte {
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1024]) // drop the end-of-archive blocks
	tw := tar.NewWriter(&buf)
	h.Size = int64(len(data))
	if h.Typeflag != tar.TypeReg {
		h.Size = 0
		data = nil
	}
	if err := tw.WriteHeader(h); err != nil {
		t.Fatal(err)
	}
	tw.Write(data)
	tw.Close()
	return buf.Bytes()
}

// TestReadLacking checks that a bundle whose lock names a package the
// bundle lacks (the artifact and its manifest entry both gone) is refused
// rather than completed from the lock's URLs.
func TestReadLacking(t *testing.T) {
	_, _, b := demo(t)
	const gone = "channel/linux-64/greet-1.0.0-h2345678_0.conda"
	bad := withManifest(t, b, func(n string, d []byte) []byte {
		if n == gone {
			return nil
		}
		return d
	}, nil)
	_, err := read(t, bad)
	want := "bundle: the lock names " + gone + " for linux-64, which the bundle lacks; nothing is fetched from elsewhere: bundle again with 'envlock bundle --platform linux-64'"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("not ErrIncomplete: %v", err)
	}
}

// TestReadHostileEntries checks that entries that are not regular files
// at clean relative paths are refused, listed in the manifest or not, and
// that nothing is written outside the cache.
func TestReadHostileEntries(t *testing.T) {
	_, _, b := demo(t)
	for _, tc := range []struct {
		name string
		h    tar.Header
		msg  string
	}{
		{"dotdot", tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644}, `bundle entry ../evil: "../evil" is not a clean path inside the bundle; the bundle was altered`},
		{"inner dotdot", tar.Header{Name: "channel/../../evil", Typeflag: tar.TypeReg, Mode: 0o644}, `bundle entry channel/../../evil: "channel/../../evil" is not a clean path inside the bundle`},
		{"absolute", tar.Header{Name: "/tmp/evil", Typeflag: tar.TypeReg, Mode: 0o644}, `bundle entry /tmp/evil: "/tmp/evil" is an absolute or non-portable path`},
		{"symlink", tar.Header{Name: "channel/linux-64/x.conda", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd", Mode: 0o777}, `bundle entry channel/linux-64/x.conda: is a symbolic link, not a regular file; the bundle was altered`},
		{"hard link", tar.Header{Name: "channel/linux-64/y.conda", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}, `bundle entry channel/linux-64/y.conda: is a hard link, not a regular file`},
		{"directory", tar.Header{Name: "channel/evil/", Typeflag: tar.TypeDir, Mode: 0o755}, `bundle entry channel/evil/: is a directory, not a regular file`},
		{"device", tar.Header{Name: "channel/dev", Typeflag: tar.TypeChar}, `bundle entry channel/dev: is a device or pipe, not a regular file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			cacheDir := filepath.Join(parent, "pkgs")
			for _, listed := range []bool{false, true} {
				bad := appendEntry(t, b, &tc.h, []byte("x"))
				if listed {
					bad = withManifest(t, bad, func(n string, d []byte) []byte { return d }, func(f []File) []File {
						return append(f, File{Path: tc.h.Name, Size: 1, SHA256: strings.Repeat("0", 64)})
					})
				}
				c, err := openCache(t, cacheDir)
				if err != nil {
					t.Fatal(err)
				}
				_, err = readInto(t, bad, c)
				msg := tc.msg
				if listed && checkPath(tc.h.Name) != nil {
					// The manifest itself names the bad path.
					msg = "bundle entry envlock-bundle.json: "
				}
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Errorf("listed=%v: err = %v\nwant %s", listed, err, msg)
				}
			}
			ents, _ := os.ReadDir(parent)
			if len(ents) != 1 || ents[0].Name() != "pkgs" {
				t.Errorf("beside the cache: %v", ents)
			}
			if _, err := os.Lstat(filepath.Join(os.TempDir(), "evil")); err == nil {
				t.Errorf("%s exists", filepath.Join(os.TempDir(), "evil"))
			}
		})
	}
}

// TestReadHostileLock checks that a bundle carrying a lock with a bad
// identity (made consistent with the bundle manifest) is refused, naming
// the field.
func TestReadHostileLock(t *testing.T) {
	_, _, b := demo(t)
	for _, tc := range []struct{ old, new, msg string }{
		{`"build": "h2345678_0"`, `"build": "0/../../x"`, `bundle entry env.lock: platforms[0].packages[0].build: "0/../../x" is not a valid build string`},
		{`"platforms": [`, `"platforms": [null, `, `bundle entry env.lock: platforms[0]: null`},
		{`"packages": [`, `"packages": [null, `, `bundle entry env.lock: platforms[0].packages[0]: null`},
	} {
		bad := withManifest(t, b, func(n string, d []byte) []byte {
			if n == "env.lock" {
				if !bytes.Contains(d, []byte(tc.old)) {
					t.Fatalf("the demo lock has no %s", tc.old)
				}
				d = bytes.Replace(d, []byte(tc.old), []byte(tc.new), 1)
			}
			return d
		}, nil)
		if _, err := read(t, bad); err == nil || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("err = %v\nwant %s", err, tc.msg)
		}
	}
}

func openCache(t *testing.T, dir string) (*cache.Cache, error) {
	return cache.Open([]string{dir}, cache.Options{})
}

func readInto(t *testing.T, b []byte, c *cache.Cache) (*Contents, error) {
	return Read(context.Background(), bytes.NewReader(b), c, "linux-64", nil)
}

// FuzzRead feeds altered bundles to Read: it never panics, and whatever
// it reads, nothing appears beside the cache. Run it with
// -fuzzminimizetime 0: minimizing a bundle-sized input takes minutes of
// executions the fuzzer does not count.
func FuzzRead(f *testing.F) {
	_, _, b := demo(f)
	f.Add(b)
	f.Add(appendEntry(f, b, &tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644}, []byte("x")))
	parent := f.TempDir()
	c, err := openCache(nil, filepath.Join(parent, "pkgs"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		readInto(t, data, c)
		ents, _ := os.ReadDir(parent)
		if len(ents) != 1 {
			t.Fatalf("beside the cache: %v", ents)
		}
	})
}
