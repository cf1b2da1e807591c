package install_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/condatest"
	"github.com/envlock/envlock/internal/locktest"
	"github.com/envlock/envlock/internal/rattlertest"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/export"
	"github.com/envlock/envlock/lock/foreign"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/verify"
	"github.com/google/go-cmp/cmp"
)

// demoProject writes the demo channel into a project directory as
// ./channel and locks its linux-64 and noarch packages with relative URLs,
// as "envlock lock" does for a channel inside a project, asking for greet
// and greet-py as conda's own "greet>=1 greet-py>=2" would.
func demoProject(t *testing.T) (base string, l *lockfile.Lock, data []byte) {
	t.Helper()
	base = t.TempDir()
	ch := filepath.Join(base, "channel")
	if err := condapkg.WriteDemoChannel(ch, ".conda"); err != nil {
		t.Fatal(err)
	}
	l, _ = locktest.Channel(t, ch, nil)
	l.Channels[0].URL = "./channel"
	pl := l.Platforms[0]
	pl.Requested = []string{"greet[version='>=1']", "greet-py[version='>=2']"}
	for _, pk := range pl.Packages {
		pk.URL = "./channel/" + pk.Subdir + "/" + pk.Name + "-" + pk.Version + "-" + pk.Build + ".conda"
		pk.Channel = "./channel"
		switch pk.Name {
		case "greet":
			pk.Requested = pl.Requested[0]
		case "greet-py":
			pk.Requested = pl.Requested[1]
		}
	}
	if len(pl.Packages) != 4 {
		t.Fatalf("the demo channel locked %d packages for linux-64, want 4", len(pl.Packages))
	}
	data, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, lockfile.FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return base, l, data
}

// envlockInstall installs the demo project's lock at prefix.
func envlockInstall(t *testing.T, base string, l *lockfile.Lock, data []byte, prefix string) {
	t.Helper()
	f := locktest.Fetcher(t, filepath.Join(base, "pkgs"))
	f.BaseDir = base
	if _, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, LockPath: filepath.Join(base, lockfile.FileName), Platform: "linux-64", Prefix: prefix, Fetcher: f}); err != nil {
		t.Fatalf("envlock install: %v", err)
	}
}

func channelURL(base string) string {
	return "file://" + filepath.ToSlash(filepath.Join(base, "channel"))
}

// verifyPrefix runs envlock verify on prefix, against l when not nil.
func checkPrefix(t *testing.T, prefix string, l *lockfile.Lock, data []byte) *verify.Report {
	t.Helper()
	r, err := verify.Prefix(context.Background(), verify.Options{Prefix: prefix, Lock: l, LockData: data, Platform: "linux-64"})
	if err != nil {
		t.Fatalf("verify %s: %v", prefix, err)
	}
	return r
}

func reportJSON(r *verify.Report) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}

// TestCondaUsesEnvlockPrefix has real conda read, change, export and pack
// an environment envlock installed.
func TestCondaUsesEnvlockPrefix(t *testing.T) {
	c := condatest.Find(t)
	base, l, data := demoProject(t)
	prefix := filepath.Join(base, "envs", "demo")
	envlockInstall(t, base, l, data, prefix)
	chURL := channelURL(base)

	t.Run("list", func(t *testing.T) {
		var got []struct {
			Name        string `json:"name"`
			Version     string `json:"version"`
			BuildString string `json:"build_string"`
			BaseURL     string `json:"base_url"`
		}
		if err := json.Unmarshal([]byte(c.Run(t, "list", "-p", prefix, "--json")), &got); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range got {
			names = append(names, p.Name+" "+p.Version+" "+p.BuildString)
			if p.BaseURL != chURL {
				t.Errorf("conda list: %s comes from %q, want %s", p.Name, p.BaseURL, chURL)
			}
		}
		want := []string{"greet 1.0.0 h2345678_0", "greet-py 2.0.0 pyh4567890_0", "libgreet 1.0.0 h1234567_0", "python 3.11.2 h0_0_cpython"}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("conda list -p: %q, want %q", names, want)
		}
	})

	t.Run("explicit", func(t *testing.T) {
		out := c.Run(t, "list", "-p", prefix, "--explicit", "--md5")
		var got, want []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "file:") || strings.HasPrefix(line, "http") || strings.HasPrefix(line, "./") {
				got = append(got, line)
			}
		}
		for _, pk := range l.Platforms[0].Packages {
			want = append(want, chURL+"/"+pk.Subdir+"/"+pk.Name+"-"+pk.Version+"-"+pk.Build+".conda#"+pk.MD5)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("conda list --explicit --md5:\n%s\nwant the URLs:\n%s", out, strings.Join(want, "\n"))
		}
	})

	t.Run("env export", func(t *testing.T) {
		out := c.Run(t, "env", "export", "-p", prefix)
		for _, want := range []string{"  - " + chURL + "\n", "  - greet=1.0.0=h2345678_0\n", "  - greet-py=2.0.0=pyh4567890_0\n", "  - libgreet=1.0.0=h1234567_0\n", "  - python=3.11.2=h0_0_cpython\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("conda env export -p lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("remove", func(t *testing.T) {
		p2 := filepath.Join(base, "envs", "removed")
		envlockInstall(t, base, l, data, p2)
		c.Run(t, "remove", "-q", "-y", "-p", p2, "--offline", "greet-py")
		hist, err := os.ReadFile(filepath.Join(p2, "conda-meta", "history"))
		if err != nil || !strings.Contains(string(hist), "\n# remove specs: ['greet-py']\n") {
			t.Errorf("conda-meta/history after conda remove:\n%s", hist)
		}
		r := checkPrefix(t, p2, l, data)
		var missing []string
		for _, p := range r.Packages.Missing {
			missing = append(missing, p.Name+" "+p.Version+" "+p.Build)
		}
		if !reflect.DeepEqual(missing, []string{"greet-py 2.0.0 pyh4567890_0"}) || len(r.Packages.Extra) != 0 || len(r.Packages.Changed) != 0 ||
			len(r.Packages.Unreadable) != 0 || len(r.Files.Issues) != 0 || len(r.PyPI.Untracked) != 0 || r.Status != "drift" {
			t.Errorf("verify after 'conda remove greet-py' should report that package missing and nothing else:\n%s", reportJSON(r))
		}
	})

	t.Run("conda-pack", func(t *testing.T) {
		tarball := filepath.Join(base, "demo.tar.gz")
		c.RunTool(t, "conda-pack", "-p", prefix, "-o", tarball, "-q")
		dest := filepath.Join(base, "elsewhere", "unpacked")
		if err := os.MkdirAll(dest, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("tar", "-xzf", tarball, "-C", dest).CombinedOutput(); err != nil {
			t.Fatalf("tar: %v: %s", err, out)
		}
		if out, err := exec.Command(filepath.Join(dest, "bin", "conda-unpack")).CombinedOutput(); err != nil {
			t.Fatalf("conda-unpack: %v: %s", err, out)
		}
		out, err := exec.Command(filepath.Join(dest, "bin", "greet")).CombinedOutput()
		if err != nil || string(out) != "hello from "+dest+"\n" {
			t.Errorf("the unpacked greet: %v: %q, want %q", err, out, "hello from "+dest+"\n")
		}
	})
}

// rattlerScript installs specs from a channel into a prefix with
// py-rattler's installer, or reads every conda-meta record of a prefix
// with PrefixRecord.from_path ("records PREFIX").
const rattlerScript = `
import asyncio, glob, os, sys
import rattler
from rattler import BuildString, GenericVirtualPackage, PackageName, PrefixRecord, Version, install, solve
async def main():
    if sys.argv[1] == "records":
        for f in sorted(glob.glob(os.path.join(sys.argv[2], "conda-meta", "*.json"))):
            r = PrefixRecord.from_path(f)
            print(r.name.normalized, r.version, r.build, r.url, len(r.paths_data.paths))
        return
    ch, prefix, cache = sys.argv[2], sys.argv[3], sys.argv[4]
    vps = [GenericVirtualPackage(PackageName("__glibc"), Version("2.36"), BuildString("0"))]
    recs = await solve(sources=[ch], specs=sys.argv[5:], platforms=["linux-64", "noarch"], virtual_packages=vps)
    await install(recs, target_prefix=prefix, cache_dir=cache)
    print("installed", " ".join(sorted(r.name.normalized for r in recs)))
try:
    asyncio.run(main())
except Exception as e:
    print("ERROR", type(e).__name__, e)
    sys.stdout.flush()
    os._exit(1)
# py-rattler's runtime can crash while the interpreter shuts down.
sys.stdout.flush()
os._exit(0)
`

func rattler(t *testing.T, args ...string) string {
	t.Helper()
	py := rattlertest.Python(t)
	script := filepath.Join(t.TempDir(), "r.py")
	if err := os.WriteFile(script, []byte(rattlerScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, append([]string{script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("py-rattler %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestRattlerUsesEnvlockPrefix has py-rattler read every record of an
// envlock environment and install into it.
func TestRattlerUsesEnvlockPrefix(t *testing.T) {
	base, l, data := demoProject(t)
	prefix := filepath.Join(base, "envs", "demo")
	envlockInstall(t, base, l, data, prefix)
	out := rattler(t, "records", prefix)
	chURL := channelURL(base)
	want := "greet 1.0.0 h2345678_0 " + chURL + "/linux-64/greet-1.0.0-h2345678_0.conda 1\n" +
		"greet-py 2.0.0 pyh4567890_0 " + chURL + "/noarch/greet-py-2.0.0-pyh4567890_0.conda 6\n" + // 4 files and the 2 .pyc compiled
		"libgreet 1.0.0 h1234567_0 " + chURL + "/linux-64/libgreet-1.0.0-h1234567_0.conda 6\n" +
		"python 3.11.2 h0_0_cpython " + chURL + "/linux-64/python-3.11.2-h0_0_cpython.conda 3\n"
	if out != want {
		t.Errorf("PrefixRecord.from_path over conda-meta:\n%s\nwant:\n%s", out, want)
	}
	// rattler's installer reads the prefix's records (it refused
	// envlock's marker as one before) and leaves a prefix that verifies.
	out = rattler(t, "install", chURL, prefix, filepath.Join(base, "rattler-cache"), "greet", "greet-py")
	if out != "installed greet greet-py libgreet python\n" {
		t.Errorf("rattler install over an envlock prefix: %s", out)
	}
	if r := checkPrefix(t, prefix, l, data); r.Status != "clean" {
		t.Errorf("verify after rattler's install:\n%s", reportJSON(r))
	}
}

// TestVerifyForeignPrefixes checks that envlock verify is clean on
// environments real conda (hard links, --copy) and rattler made from the
// demo channel, which holds a noarch python package with an entry point.
func TestVerifyForeignPrefixes(t *testing.T) {
	base, l, data := demoProject(t)
	chURL := channelURL(base)
	check := func(t *testing.T, prefix string, softlinked bool) {
		t.Helper()
		for _, withLock := range []bool{false, true} {
			var r *verify.Report
			if withLock {
				r = checkPrefix(t, prefix, l, data)
			} else {
				r = checkPrefix(t, prefix, nil, nil)
			}
			if r.Status != "clean" || r.Packages.Installed != 4 || r.Files.Checked < 11 {
				t.Errorf("verify %s (lock %v) is not clean over all 4 packages:\n%s", prefix, withLock, reportJSON(r))
			}
		}
		// Drift is still seen: an edited file of the noarch package.
		py := filepath.Join(prefix, "lib", "python3.11", "site-packages", "greetpy", "cli.py")
		// (A new file, not a write through the hard link into the
		// package cache, which the next environment would copy.)
		os.Remove(py)
		if err := os.WriteFile(py, []byte("print('changed')\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := checkPrefix(t, prefix, nil, nil)
		if len(r.Files.Issues) != 1 || r.Files.Issues[0].Path != "lib/python3.11/site-packages/greetpy/cli.py" || r.Files.Issues[0].Kind != verify.FileModified {
			t.Errorf("verify after editing cli.py:\n%s", reportJSON(r))
		}
		if !softlinked {
			return
		}
		// A file conda linked into the package cache, replaced.
		lic := filepath.Join(prefix, "share", "greet", "LICENSE")
		if fi, err := os.Lstat(lic); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("share/greet/LICENSE is no symbolic link in a softlinked environment: %v", err)
		}
		os.Remove(lic)
		if err := os.WriteFile(lic, []byte("changed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r = checkPrefix(t, prefix, nil, nil)
		if len(r.Files.Issues) != 2 || r.Files.Issues[1].Path != "share/greet/LICENSE" || r.Files.Issues[1].Kind != verify.FileModified {
			t.Errorf("verify after replacing a softlinked file:\n%s", reportJSON(r))
		}
	}
	t.Run("conda", func(t *testing.T) {
		c := condatest.Find(t)
		for _, mode := range []string{"hardlink", "copy", "softlink"} {
			t.Run(mode, func(t *testing.T) {
				prefix := filepath.Join(t.TempDir(), "env")
				args := []string{"greet>=1", "greet-py>=2"}
				c.Env = nil
				switch mode {
				case "copy":
					args = append(args, "--copy")
				case "softlink":
					c.Env = []string{"CONDA_ALWAYS_SOFTLINK=true"}
				}
				c.Create(t, prefix, chURL, args...)
				check(t, prefix, mode == "softlink")
			})
		}
	})
	t.Run("rattler", func(t *testing.T) {
		prefix := filepath.Join(t.TempDir(), "env")
		rattler(t, "install", chURL, prefix, filepath.Join(t.TempDir(), "cache"), "greet>=1", "greet-py>=2")
		check(t, prefix, false)
	})
}

// TestCondaCreateFromExplicitExport installs "envlock export --format
// explicit" with real conda and the lock with envlock, at paths of the
// same length: the two environments hold the same files, with the same
// contents (the prefix aside), modes and link targets, and conda-meta
// lists the same files for the same packages.
func TestCondaCreateFromExplicitExport(t *testing.T) {
	c := condatest.Find(t)
	base, l, data := demoProject(t)
	for _, h := range []export.Hash{export.MD5, export.SHA256} {
		t.Run(string(h), func(t *testing.T) {
			explicit, err := export.Explicit(l, "linux-64", base, h)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "explicit.txt")
			if err := os.WriteFile(file, explicit, 0o644); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			byConda, byEnvlock := filepath.Join(dir, "a", "env"), filepath.Join(dir, "b", "env")
			c.Run(t, "create", "-q", "-y", "-p", byConda, "--offline", "--file", file)
			envlockInstall(t, base, l, data, byEnvlock)
			a, b := tree(t, byConda), tree(t, byEnvlock)
			// Allowed difference: conda lists the byte-code it means to
			// compile for a noarch python package (pyc_file) in the
			// record's files whether or not compiling made it (here it
			// does not); envlock lists what it wrote (and verify checks).
			for _, m := range []map[string]string{a, b} {
				for k, v := range m {
					if (strings.HasSuffix(k, ".pyc") || path.Base(k) == "__pycache__") && !exists(filepath.Join(byConda, k)) {
						delete(m, k)
						continue
					}
					if strings.HasPrefix(v, "files ") {
						var kept []string
						for _, f := range strings.Fields(strings.TrimPrefix(v, "files ")) {
							if !strings.HasSuffix(f, ".pyc") || exists(filepath.Join(byConda, f)) {
								kept = append(kept, f)
							}
						}
						m[k] = "files " + strings.Join(kept, " ")
					}
				}
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("conda create --file (explicit export) and envlock install differ (-conda +envlock):\n%s", diff)
			}
			t.Logf("%d paths alike", len(a))
		})
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// condaMetaAllowed lists every way envlock's conda-meta may differ from
// real conda's for the same packages installed at the same path; the
// comparison below fails on anything else.
var condaMetaAllowed = []struct{ what, why string }{
	{"package_tarball_full_path, extracted_package_dir, link.source", "the package cache: conda's pkgs directory, envlock's cache"},
	{"pyc_file entries in files and paths_data", "conda lists the byte-code it means to compile whether or not that made it; envlock lists what it compiled, with hashes"},
	{"history: the time, '# cmd:' and '# conda version:' lines", "when and by what; envlock writes no conda version"},
	{"created_at", "the time"},
	{"arch, platform, license_family", "fields of old repodata that env.lock does not carry (conda copies them from the channel's record)"},
	{"the order of history's '# update specs:' list", "conda's comes from a Python set, so it changes from run to run; envlock keeps the manifest's"},
	{"conda-meta/envlock/", "envlock's own marker and lock copy, which no conda tool reads"},
	{"zlib 1.2.11's lib/libz.so and lib/libz.so.1", "paths.json calls them softlinks but the archive holds empty files: envlock skips them with a warning (install/extract TestZlibQuirk), conda installs the empty files and records softlinks"},
}

// keyOrder returns the top-level keys of a JSON object in order.
func keyOrder(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestCondaMetaLikeConda installs the same packages at the same path with
// real conda and with envlock and compares conda-meta record by record,
// field by field (and key order), history line by line: only the
// differences condaMetaAllowed lists may remain.
func TestCondaMetaLikeConda(t *testing.T) {
	c := condatest.Find(t)
	for _, a := range condaMetaAllowed {
		t.Logf("allowed difference: %s (%s)", a.what, a.why)
	}
	t.Run("demo", func(t *testing.T) {
		base, l, data := demoProject(t)
		prefix := filepath.Join(base, "envs", "same")
		c.Create(t, prefix, channelURL(base), "greet>=1", "greet-py>=2")
		byConda := prefix + ".conda"
		if err := os.Rename(prefix, byConda); err != nil {
			t.Fatal(err)
		}
		envlockInstall(t, base, l, data, prefix)
		compareCondaMeta(t, byConda, prefix, 4)
	})
	// A real package of the old defaults channel: ELF libraries, a
	// text placeholder, and paths.json softlinks the archive holds as
	// empty files (the known packaging quirk), installed from an
	// @EXPLICIT file as conda create --file does.
	t.Run("real zlib", func(t *testing.T) {
		src := testdata.SharedPath(t, "packages/anaconda-zlib")
		l, _ := locktest.Channel(t, src, func(r *repodata.Record) bool {
			if r.Name != "zlib" {
				return false
			}
			r.Fn = strings.TrimSuffix(r.Fn, ".conda") + ".tar.bz2"
			r.URL = strings.TrimSuffix(r.URL, ".conda") + ".tar.bz2"
			p := filepath.Join(src, "linux-64", r.Fn)
			sum, md, err := fileSums(p)
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Stat(p)
			r.SHA256, r.MD5, r.Size = sum, md, fi.Size()
			return true
		})
		pl := l.Platforms[0]
		pk := pl.Packages[0]
		spec := strings.TrimSuffix(pk.URL, "/"+fileName(pk)) + "::zlib==1.2.11=" + pk.Build
		pl.Requested, pk.Requested = []string{spec}, spec
		data, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		explicit := filepath.Join(dir, "explicit.txt")
		os.WriteFile(explicit, []byte("@EXPLICIT\n"+pk.URL+"#"+pk.MD5+"\n"), 0o644)
		prefix := filepath.Join(dir, "envs", "same")
		c.Run(t, "create", "-q", "-y", "-p", prefix, "--offline", "--file", explicit)
		byConda := prefix + ".conda"
		if err := os.Rename(prefix, byConda); err != nil {
			t.Fatal(err)
		}
		envlockInstall(t, dir, l, data, prefix)
		compareCondaMeta(t, byConda, prefix, 1, "lib/libz.so", "lib/libz.so.1")
	})
}

func fileName(pk *lockfile.Package) string { return pk.URL[strings.LastIndexByte(pk.URL, '/')+1:] }

func fileSums(p string) (sha, md string, err error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", "", err
	}
	s, m := sha256.Sum256(b), md5.Sum(b)
	return hex.EncodeToString(s[:]), hex.EncodeToString(m[:]), nil
}

// compareCondaMeta compares conda-meta of the same packages installed at
// the same path by conda (moved to byConda) and by envlock (at prefix).
func compareCondaMeta(t *testing.T, byConda, prefix string, records int, skipped ...string) {
	t.Helper()

	list := func(dir string) []string {
		ents, err := os.ReadDir(filepath.Join(dir, "conda-meta"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			if e.Name() != "envlock" {
				names = append(names, e.Name())
			}
		}
		return names
	}
	names := list(byConda)
	if diff := cmp.Diff(names, list(prefix)); diff != "" {
		t.Errorf("conda-meta holds other files (-conda +envlock):\n%s", diff)
	}
	compared := 0
	for _, n := range names {
		if !strings.HasSuffix(n, ".json") {
			continue
		}
		cb, err := os.ReadFile(filepath.Join(byConda, "conda-meta", n))
		if err != nil {
			t.Fatal(err)
		}
		eb, err := os.ReadFile(filepath.Join(prefix, "conda-meta", n))
		if err != nil {
			t.Fatal(err)
		}
		condaKeys := slices.DeleteFunc(keyOrder(t, cb), func(k string) bool { return k == "arch" || k == "platform" || k == "license_family" })
		if diff := cmp.Diff(condaKeys, keyOrder(t, eb)); diff != "" {
			t.Errorf("%s: keys in another order (-conda +envlock):\n%s", n, diff)
		}
		var cr, er map[string]any
		if err := json.Unmarshal(cb, &cr); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(eb, &er); err != nil {
			t.Fatal(err)
		}
		// Fields of old repodata the lock does not carry.
		for _, k := range []string{"arch", "platform", "license_family"} {
			delete(cr, k)
		}
		for _, r := range []map[string]any{cr, er} {
			delete(r, "package_tarball_full_path")
			delete(r, "extracted_package_dir")
			if lk, ok := r["link"].(map[string]any); ok {
				delete(lk, "source")
			}
		}
		// conda's pyc_file entries (none of them exist here) and
		// envlock's (what it compiled), the allowed difference.
		for _, r := range []map[string]any{cr, er} {
			var files []any
			for _, f := range r["files"].([]any) {
				if !strings.HasSuffix(f.(string), ".pyc") && !slices.Contains(skipped, f.(string)) {
					files = append(files, f)
				}
			}
			r["files"] = files
			if pd, ok := r["paths_data"].(map[string]any); ok {
				var paths []any
				for _, p := range pd["paths"].([]any) {
					if p.(map[string]any)["path_type"] != "pyc_file" && !slices.Contains(skipped, p.(map[string]any)["_path"].(string)) {
						paths = append(paths, p)
					}
				}
				pd["paths"] = paths
			}
		}
		if diff := cmp.Diff(cr, er); diff != "" {
			t.Errorf("%s differs from conda's record (-conda +envlock):\n%s", n, diff)
		}
		compared++
	}
	if compared != records {
		t.Errorf("compared %d records, want %d", compared, records)
	}

	history := func(dir string) []string {
		b, err := os.ReadFile(filepath.Join(dir, "conda-meta", "history"))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "==> ") || strings.HasPrefix(line, "# cmd: ") || strings.HasPrefix(line, "# conda version: ") {
				continue
			}
			if specs, ok := strings.CutPrefix(line, "# update specs: ["); ok {
				list := strings.Split(strings.TrimSuffix(specs, "]"), ", ")
				sort.Strings(list)
				line = "# update specs (sorted): " + strings.Join(list, ", ")
			}
			lines = append(lines, line)
		}
		return lines
	}
	if diff := cmp.Diff(history(byConda), history(prefix)); diff != "" {
		t.Errorf("conda-meta/history differs (-conda +envlock):\n%s", diff)
	}
}

// TestImportCondaPrefix imports an environment real conda made ("envlock
// import -p"): the lock pins exactly its packages, with conda's URLs and
// hashes, and installs an environment that verifies clean against it and
// holds the same files.
func TestImportCondaPrefix(t *testing.T) {
	c := condatest.Find(t)
	base, _, _ := demoProject(t)
	made := filepath.Join(base, "envs", "byconda")
	c.Create(t, made, channelURL(base), "greet>=1", "greet-py>=2")
	f, notes, err := foreign.FromPrefix(made)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		t.Logf("note: %s", n)
	}
	d, _ := f.Draft("byconda")
	src, err := d.Format()
	if err != nil {
		t.Fatal(err)
	}
	proj := t.TempDir()
	m, err := spec.Load(proj, &spec.LoadOptions{Overlay: map[string][]byte{spec.ManifestFile: src}})
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	var chans []lockfile.Channel
	for i, name := range m.Channels {
		ch, err := channel.Parse(name, proj, "")
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, lockfile.Channel{Name: name, URL: ch.URL, Priority: i})
	}
	l, err := f.Lock(m, chans)
	if err != nil {
		t.Fatal(err)
	}
	if err := lock.Check(m, l); err != nil {
		t.Fatalf("the imported lock is stale for its env.cue: %v", err)
	}
	data, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pk := range l.Platforms[0].Packages {
		got = append(got, pk.Name+" "+pk.Version+" "+pk.Build+" "+pk.URL)
	}
	chURL := channelURL(base)
	want := []string{
		"greet 1.0.0 h2345678_0 " + chURL + "/linux-64/greet-1.0.0-h2345678_0.conda",
		"greet-py 2.0.0 pyh4567890_0 " + chURL + "/noarch/greet-py-2.0.0-pyh4567890_0.conda",
		"libgreet 1.0.0 h1234567_0 " + chURL + "/linux-64/libgreet-1.0.0-h1234567_0.conda",
		"python 3.11.2 h0_0_cpython " + chURL + "/linux-64/python-3.11.2-h0_0_cpython.conda",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("imported packages (-want +got):\n%s", diff)
	}
	again := filepath.Join(base, "envs", "imported")
	envlockInstall(t, proj, l, data, again)
	if r := checkPrefix(t, again, l, data); r.Status != "clean" {
		t.Errorf("verify of the environment installed from the import:\n%s", reportJSON(r))
	}
	// The conda environment itself verifies against the imported lock.
	if r := checkPrefix(t, made, l, data); r.Status != "clean" {
		t.Errorf("verify of conda's environment against its import:\n%s", reportJSON(r))
	}
}
