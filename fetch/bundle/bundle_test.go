package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/locktest"
	"github.com/envlock/envlock/lock/lockfile"
)

// demo makes a channel, a lock of all its linux-64 packages and a bundle.
func demo(t testing.TB) (*lockfile.Lock, []byte, []byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ch")
	if err := condapkg.WriteDemoChannel(dir, ".conda"); err != nil {
		t.Fatal(err)
	}
	l, data := locktest.Channel(t, dir, nil)
	f := locktest.Fetcher(t, t.TempDir())
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, Input{Lock: l, LockData: data, Fetcher: f}); err != nil {
		t.Fatal(err)
	}
	return l, data, buf.Bytes()
}

// rewrite rebuilds a bundle's tar through edit, which may drop (return
// nil) or change entries.
func rewrite(t *testing.T, b []byte, edit func(name string, data []byte) []byte) []byte {
	return retar(t, b, func(h *tar.Header, data []byte) []tarEntry {
		if data = edit(h.Name, data); data == nil {
			return nil
		}
		return []tarEntry{{h, data}}
	})
}

type tarEntry struct {
	h    *tar.Header
	data []byte
}

// retar rebuilds a tar, each entry replaced by what edit returns for it
// (none, itself changed, or several); sizes are set from the data.
func retar(t *testing.T, b []byte, edit func(h *tar.Header, data []byte) []tarEntry) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		for _, e := range edit(h, data) {
			e.h.Size = int64(len(e.data))
			tw.WriteHeader(e.h)
			tw.Write(e.data)
		}
	}
	tw.Close()
	return out.Bytes()
}

func read(t *testing.T, b []byte) (*cache.Cache, error) {
	c, _ := cache.Open([]string{t.TempDir()}, cache.Options{})
	_, err := Read(context.Background(), bytes.NewReader(b), c, "linux-64", nil)
	return c, err
}

func TestReadGood(t *testing.T) {
	l, _, b := demo(t)
	c, err := read(t, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range l.Platforms[0].Packages {
		if _, ok := c.Find(cache.Artifact{Fn: FileName(pk), SHA256: pk.SHA256, Size: pk.Size}); !ok {
			t.Errorf("%s not in the cache after reading the bundle", pk.Name)
		}
	}
}

func TestReadBad(t *testing.T) {
	_, _, b := demo(t)
	for _, tc := range []struct {
		name string
		edit func(string, []byte) []byte
		msg  string
	}{
		{"missing artifact", func(n string, d []byte) []byte {
			if strings.HasSuffix(n, "greet-1.0.0-h2345678_0.conda") {
				return nil
			}
			return d
		}, "bundle entry channel/linux-64/greet-1.0.0-h2345678_0.conda: is listed in envlock-bundle.json but missing"},
		{"extra artifact", func(n string, d []byte) []byte {
			if n == "channel/noarch/repodata.json" {
				return append(d, ' ')
			}
			return d
		}, "bundle entry channel/noarch/repodata.json: is 2 bytes, the bundle manifest says 1"},
		{"altered artifact", func(n string, d []byte) []byte {
			if strings.HasSuffix(n, "libgreet-1.0.0-h1234567_0.conda") {
				d = append([]byte(nil), d...)
				d[len(d)/2] ^= 0xff
			}
			return d
		}, "libgreet-1.0.0-h1234567_0.conda: sha256"},
		{"newer format", func(n string, d []byte) []byte {
			if n == ManifestName {
				var m Manifest
				json.Unmarshal(d, &m)
				m.Version = 99
				d, _ = json.Marshal(m)
			}
			return d
		}, "format version 99: bundle format is newer than this envlock reads (it reads 1); upgrade envlock"},
		{"not a bundle", func(n string, d []byte) []byte {
			if n == ManifestName {
				return nil
			}
			return d
		}, "does not start with envlock-bundle.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := rewrite(t, b, tc.edit)
			if tc.name == "extra artifact" {
				// A repodata.json of one byte in the manifest, two in the tar.
				bad = rewrite(t, b, func(n string, d []byte) []byte {
					if n == ManifestName {
						var m Manifest
						json.Unmarshal(d, &m)
						for i := range m.Files {
							if m.Files[i].Path == "channel/noarch/repodata.json" {
								m.Files[i].Size = 1
							}
						}
						d, _ = json.Marshal(m)
					}
					return d
				})
				tc.msg = "bundle entry channel/noarch/repodata.json: is"
			}
			c, err := read(t, bad)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %q", err, tc.msg)
			}
			if tc.name == "newer format" && !errors.Is(err, ErrNewerFormat) {
				t.Errorf("not ErrNewerFormat: %v", err)
			}
			_ = c
		})
	}
	// Truncated.
	_, err := read(t, b[:len(b)/2])
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated: %v", err)
	}
	// An entry that is not in the manifest.
	extra := rewrite(t, b, func(n string, d []byte) []byte { return d })
	var buf bytes.Buffer
	buf.Write(extra[:len(extra)-1024]) // drop the end-of-archive blocks
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "channel/linux-64/evil-1-0.conda", Size: 1, Mode: 0o644})
	tw.Write([]byte("x"))
	tw.Close()
	if _, err := read(t, buf.Bytes()); err == nil || !strings.Contains(err.Error(), "evil-1-0.conda: is not listed in envlock-bundle.json") {
		t.Errorf("extra entry: %v", err)
	}
}

// TestSignatureNames: a lock's signature is stored as beside a lock,
// env.lock.sig for cosign's base64 signature and env.lock.sigstore.json
// for a Sigstore bundle, and read back from either; a bundle carrying
// both is refused as altered.
func TestSignatureNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ch")
	if err := condapkg.WriteDemoChannel(dir, ".conda"); err != nil {
		t.Fatal(err)
	}
	l, data := locktest.Channel(t, dir, nil)
	f := locktest.Fetcher(t, t.TempDir())
	names := func(b []byte) []string {
		var out []string
		tr := tar.NewReader(bytes.NewReader(b))
		for {
			h, err := tr.Next()
			if err != nil {
				return out
			}
			if strings.HasPrefix(h.Name, "env.lock") {
				out = append(out, h.Name)
			}
		}
	}
	sigstoreBundle := []byte(`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}` + "\n")
	for _, tc := range []struct {
		sig  []byte
		want []string
	}{
		{[]byte("MEUCIQDx\n"), []string{"env.lock", "env.lock.sig"}},
		{sigstoreBundle, []string{"env.lock", "env.lock.sigstore.json"}},
		{nil, []string{"env.lock"}},
	} {
		var buf bytes.Buffer
		if err := Write(context.Background(), &buf, Input{Lock: l, LockData: data, Signature: tc.sig, Fetcher: f}); err != nil {
			t.Fatal(err)
		}
		if got := names(buf.Bytes()); !slices.Equal(got, tc.want) {
			t.Errorf("signature %q: entries %q, want %q", tc.sig, got, tc.want)
		}
		c, _ := cache.Open([]string{t.TempDir()}, cache.Options{})
		ct, err := Read(context.Background(), bytes.NewReader(buf.Bytes()), c, "linux-64", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ct.Signature, tc.sig) {
			t.Errorf("signature %q read back as %q", tc.sig, ct.Signature)
		}
	}
	// Both names at once: one signature entry renamed into a second one,
	// listed in the manifest as the writer would.
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, Input{Lock: l, LockData: data, Signature: sigstoreBundle, Fetcher: f}); err != nil {
		t.Fatal(err)
	}
	two := duplicateEntry(t, buf.Bytes(), "env.lock.sigstore.json", "env.lock.sig")
	c, _ := cache.Open([]string{t.TempDir()}, cache.Options{})
	_, err := Read(context.Background(), bytes.NewReader(two), c, "linux-64", nil)
	if err == nil || !strings.Contains(err.Error(), "is a second signature of the lock; the bundle was altered") {
		t.Errorf("two signatures: %v", err)
	}
}

// duplicateEntry copies the entry from as a new entry named to right
// after it, and lists it in the bundle manifest.
func duplicateEntry(t *testing.T, b []byte, from, to string) []byte {
	t.Helper()
	return retar(t, b, func(h *tar.Header, data []byte) []tarEntry {
		switch h.Name {
		case ManifestName:
			var m Manifest
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			for _, f := range m.Files {
				if f.Path == from {
					f.Path = to
					m.Files = append(m.Files, f)
					break
				}
			}
			data, _ = json.Marshal(m)
		case from:
			h2 := *h
			h2.Name = to
			return []tarEntry{{h, data}, {&h2, data}}
		}
		return []tarEntry{{h, data}}
	})
}
