package install_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/export"
	"github.com/envlock/envlock/lock/foreign"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec"
	"github.com/google/go-cmp/cmp"
)

// TestExportImportRoundTrip exports the quickstart's lock as a
// conda-lock.yml, imports that back (as "envlock import conda-lock.yml"
// does), and installs both locks from the quickstart's channel into
// temporary prefixes: the two prefixes hold the same files with the same
// contents, modes and link targets, and conda-meta lists the same files
// for the same packages.
func TestExportImportRoundTrip(t *testing.T) {
	qs, err := filepath.Abs(filepath.Join("..", "examples", "quickstart"))
	if err != nil {
		t.Fatal(err)
	}
	orig, origData, err := lockfile.Read(filepath.Join(qs, lockfile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	yml, err := export.CondaLock(orig, nil, qs)
	if err != nil {
		t.Fatal(err)
	}
	f, err := foreign.Parse("conda-lock.yml", yml, "")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := f.Draft(orig.Name)
	src, err := d.Format()
	if err != nil {
		t.Fatal(err)
	}
	proj := t.TempDir()
	m, err := spec.Load(proj, &spec.LoadOptions{Overlay: map[string][]byte{spec.ManifestFile: src}})
	if err != nil {
		t.Fatal(err)
	}
	var chans []lockfile.Channel
	for i, c := range m.Channels {
		ch, err := channel.Parse(c, proj, "")
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, lockfile.Channel{Name: c, URL: ch.URL, Priority: i})
	}
	imported, err := f.Lock(m, chans)
	if err != nil {
		t.Fatal(err)
	}
	if err := lock.Check(m, imported); err != nil {
		t.Fatalf("imported lock is stale for its env.cue: %v", err)
	}
	importedData, err := imported.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range orig.Platforms {
		t.Run(p.Platform, func(t *testing.T) {
			pkgs := t.TempDir()
			apply := func(l *lockfile.Lock, data []byte, base string) string {
				c, err := cache.Open([]string{pkgs}, cache.Options{})
				if err != nil {
					t.Fatal(err)
				}
				prefix := filepath.Join(t.TempDir(), "env")
				_, err = install.Apply(context.Background(), install.Options{
					Lock: l, LockData: data, LockPath: filepath.Join(base, lockfile.FileName), Platform: p.Platform, Prefix: prefix,
					Fetcher: &download.Fetcher{Client: channel.NewClient(t.TempDir(), func(string) string { return "" }), Cache: c, Parallel: 2, BaseDir: base},
				})
				if err != nil {
					t.Fatalf("install %s: %v", base, err)
				}
				return prefix
			}
			a := tree(t, apply(orig, origData, qs))
			b := tree(t, apply(imported, importedData, proj))
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("the imported lock installs other files (-exported +imported):\n%s", diff)
			}
			t.Logf("%s: %d paths alike", p.Platform, len(a))
		})
	}
}

// tree describes every path of a prefix: file contents' sha256 and mode,
// symlink targets, directories; for conda-meta/*.json, the package's
// files list only (the records themselves differ in fields conda-lock
// does not carry, such as timestamps and licenses).
func tree(t *testing.T, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(prefix, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(prefix, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case rel == ".", rel == filepath.Join("conda-meta", "history"), rel == filepath.Join("conda-meta", "created_at"),
			rel == filepath.Join("conda-meta", "envlock"), strings.HasPrefix(rel, filepath.Join("conda-meta", "envlock")+string(filepath.Separator)): // which lock, when: differs by design
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "-> " + target
		case d.IsDir():
			out[rel] = "dir"
		case strings.HasPrefix(rel, "conda-meta"+string(filepath.Separator)) && strings.HasSuffix(rel, ".json"):
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			var rec struct {
				Files []string `json:"files"`
			}
			if err := json.Unmarshal(data, &rec); err != nil {
				return err
			}
			sort.Strings(rec.Files)
			out[rel] = "files " + strings.Join(rec.Files, " ")
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256([]byte(strings.ReplaceAll(string(data), prefix, "$PREFIX")))
			out[rel] = info.Mode().String() + " " + hex.EncodeToString(sum[:])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
