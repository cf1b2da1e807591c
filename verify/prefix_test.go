package verify

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/elftest"
	"github.com/envlock/envlock/internal/locktest"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/schemas"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/verify/elfscan"
	"github.com/envlock/envlock/verify/host"
)

// env is an installed test environment and the lock it came from.
type env struct {
	prefix   string
	lock     *lockfile.Lock
	data     []byte
	lockPath string
}

// installChannel locks every record of the channel at dir (keep filters)
// and installs it with envlock's installer into a fresh prefix.
func installChannel(t testing.TB, dir string, keep func(*repodata.Record) bool) *env {
	t.Helper()
	l, data := locktest.Channel(t, dir, keep)
	lockPath := filepath.Join(t.TempDir(), "env.lock")
	os.WriteFile(lockPath, data, 0o644)
	f := locktest.Fetcher(t, t.TempDir())
	prefix := filepath.Join(t.TempDir(), "env")
	_, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, LockPath: lockPath, Platform: "linux-64", Prefix: prefix, Fetcher: f})
	if err != nil {
		t.Fatal(err)
	}
	return &env{prefix, l, data, lockPath}
}

func demoEnv(t testing.TB, extra ...*condapkg.Package) *env {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "channel")
	if err := condapkg.WriteChannel(dir, append(condapkg.Demo(), extra...), nil); err != nil {
		t.Fatal(err)
	}
	return installChannel(t, dir, nil)
}

func (e *env) verify(t testing.TB, o Options) *Report {
	t.Helper()
	o.Prefix = e.prefix
	if o.Lock == nil {
		o.Lock, o.LockData, o.LockPath = e.lock, e.data, e.lockPath
	}
	r, err := Prefix(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkSchema(t, r)
	return r
}

func (e *env) path(rel string) string { return filepath.Join(e.prefix, filepath.FromSlash(rel)) }

func write(t testing.TB, p, data string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// issues summarizes file issues as "kind path package".
func issues(r *Report) []string {
	var out []string
	for _, fi := range r.Files.Issues {
		out = append(out, fi.Kind+" "+fi.Path+" "+fi.Package)
	}
	return out
}

// TestDrift installs the demo environment, verifies it clean, then makes
// each kind of drift users meet and requires it found, with its package.
func TestDrift(t *testing.T) {
	const site = "lib/python3.11/site-packages"
	for _, tc := range []struct {
		name       string
		change     func(t *testing.T, e *env)
		quick      bool
		wantStatus string
		wantFiles  []string
		wantPkgs   PackageReport
		wantPyPI   []Dist
	}{
		{name: "clean", change: func(*testing.T, *env) {}, wantStatus: StatusClean},
		{name: "clean quick", change: func(*testing.T, *env) {}, quick: true, wantStatus: StatusClean},
		{
			name: "pip install",
			change: func(t *testing.T, e *env) {
				di := e.path(site + "/requests-2.31.0.dist-info")
				write(t, di+"/METADATA", "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\nHTTP for humans.\n")
				write(t, di+"/INSTALLER", "pip\n")
				write(t, di+"/RECORD", "requests/__init__.py,sha256=AAAA,10\nrequests-2.31.0.dist-info/METADATA,,\n../../../bin/requests-cli,,\n")
				write(t, e.path(site+"/requests/__init__.py"), "# requests\n")
				write(t, e.path("bin/requests-cli"), "#!/bin/sh\n")
			},
			wantStatus: StatusDrift,
			wantPyPI:   []Dist{{Name: "requests", Version: "2.31.0", Installer: "pip", Path: site + "/requests-2.31.0.dist-info"}},
		},
		{
			name:       "file edited",
			change:     func(t *testing.T, e *env) { write(t, e.path("share/greet/LICENSE"), "MIT, really\n") },
			wantStatus: StatusDrift,
			// share/doc/greet/LICENSE is a hard link of the same file.
			wantFiles: []string{"modified share/doc/greet/LICENSE libgreet-1.0.0-h1234567_0", "modified share/greet/LICENSE libgreet-1.0.0-h1234567_0"},
		},
		{
			name: "file edited, same size, quick",
			change: func(t *testing.T, e *env) {
				p := e.path("bin/greet")
				b, _ := os.ReadFile(p)
				b[len(b)-2] = 'X'
				os.WriteFile(p, b, 0o755)
				future := time.Now().Add(time.Hour)
				os.Chtimes(p, future, future)
			},
			quick:      true,
			wantStatus: StatusDrift,
			wantFiles:  []string{"modified bin/greet greet-1.0.0-h2345678_0"},
		},
		{
			name:       "file deleted",
			change:     func(t *testing.T, e *env) { os.Remove(e.path("share/greet/motd.txt")) },
			wantStatus: StatusDrift,
			wantFiles:  []string{"missing share/greet/motd.txt libgreet-1.0.0-h1234567_0"},
		},
		{
			name:       "stray file",
			change:     func(t *testing.T, e *env) { write(t, e.path("bin/stray"), "#!/bin/sh\n") },
			wantStatus: StatusDrift,
			wantFiles:  []string{"untracked bin/stray "},
		},
		{
			name:       "conda-meta record removed",
			change:     func(t *testing.T, e *env) { os.Remove(e.path("conda-meta/greet-1.0.0-h2345678_0.json")) },
			wantStatus: StatusDrift,
			wantPkgs:   PackageReport{Missing: []Package{{"greet", "1.0.0", "h2345678_0"}}},
			wantFiles:  []string{"untracked bin/greet "},
		},
		{
			name: "package swapped",
			change: func(t *testing.T, e *env) {
				p := e.path("conda-meta/greet-1.0.0-h2345678_0.json")
				b, _ := os.ReadFile(p)
				os.WriteFile(p, []byte(strings.Replace(string(b), `"build": "h2345678_0"`, `"build": "h9999999_1"`, 1)), 0o644)
			},
			wantStatus: StatusDrift,
			wantPkgs:   PackageReport{Changed: []PackageChange{{Name: "greet", Locked: "1.0.0-h2345678_0", Installed: "1.0.0-h9999999_1"}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := demoEnv(t)
			tc.change(t, e)
			r := e.verify(t, Options{Quick: tc.quick})
			if r.Status != tc.wantStatus {
				t.Errorf("status = %s, want %s", r.Status, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.wantFiles, issues(r)); diff != "" {
				t.Errorf("file issues (-want +got):\n%s", diff)
			}
			got := r.Packages
			got.Locked, got.Installed = 0, 0
			want := tc.wantPkgs
			want.normalizeForTest()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(nonNil(tc.wantPyPI), r.PyPI.Untracked); diff != "" {
				t.Errorf("untracked distributions (-want +got):\n%s", diff)
			}
			if r.Files.Checked == 0 {
				t.Error("no files checked")
			}
			if !tc.quick && tc.wantStatus == StatusClean && r.Files.Bytes == 0 {
				t.Error("a full check hashed nothing")
			}
		})
	}
}

func (p *PackageReport) normalizeForTest() {
	p.Missing, p.Extra, p.Changed, p.Unreadable = nonNil(p.Missing), nonNil(p.Extra), nonNil(p.Changed), nonNil(p.Unreadable)
}

// nativeELF is a package of the real ELF files elftest builds: good,
// needing GLIBC_99.0, with an unresolvable DT_NEEDED, a library with
// symbol versions, and a program needing one it lacks.
func nativeELF(t *testing.T) *condapkg.Package {
	t.Helper()
	dir := t.TempDir()
	elftest.Build(t, dir)
	native := &condapkg.Package{Name: "native", Version: "1.0", Build: "h0_0", Timestamp: 1700000000000}
	for _, f := range []string{"lib/libgood.so", "lib/libfuture.so", "lib/libhaunted.so", "lib/libver.so.1", "bin/usever"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		native.Files = append(native.Files, condapkg.File{Path: f, Data: b, Exec: strings.HasPrefix(f, "bin/")})
	}
	return native
}

// TestHostIncompatible installs a package of real ELF files built by the
// test: one needing GLIBC_99.0, one with an unresolvable DT_NEEDED, one
// needing a symbol version its library lacks. The prefix is as locked,
// so the status is host-incompatible, each problem naming the package.
func TestHostIncompatible(t *testing.T) {
	native := nativeELF(t)
	e := demoEnv(t, native)
	h := glibcHost(t, nil)
	r := e.verify(t, Options{Host: h})
	if r.Status != StatusHost {
		t.Fatalf("status = %s, want %s; file issues %v", r.Status, StatusHost, issues(r))
	}
	var got []string
	for _, p := range r.ELF.Problems {
		got = append(got, p.Kind+" "+p.File+" "+p.Need+" "+p.Package)
	}
	want := []string{"symbol-version bin/usever VER_2 native-1.0-h0_0"}
	// bin/usever is linked against this host's glibc: built on glibc
	// 2.34 or newer it needs GLIBC_2.34 (__libc_start_main), above the
	// lock's floor, which loads here but not on the floor.
	if floor := r.Lock.GlibcFloor; floor != "" {
		info, err := elfscan.Read(e.path("bin/usever")) // as built: nothing rewrites it
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range info.Needs {
			for _, v := range n.Versions {
				if g, ok := strings.CutPrefix(v, "GLIBC_"); ok && elfscan.Newest([]string{floor, g}, "") == g && g != floor {
					want = append(want, "glibc-floor bin/usever "+v+" native-1.0-h0_0")
				}
			}
		}
	}
	want = append(want,
		"glibc lib/libfuture.so GLIBC_99.0 native-1.0-h0_0",
		"missing-library lib/libhaunted.so libghost.so.1 native-1.0-h0_0",
	)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ELF problems (-want +got):\n%s", diff)
	}
	if ExitCode(r.Status) != 2 {
		t.Errorf("exit code %d, want 2", ExitCode(r.Status))
	}
}

// glibcHost probes this host with the given environment, skipping the
// test on a host without glibc.
func glibcHost(t *testing.T, env map[string]string) *host.Host {
	t.Helper()
	h, err := host.Probe(context.Background(), host.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if h.Libc != "glibc" {
		t.Skipf("this host's C library is %q; the test needs glibc", h.Libc)
	}
	return h
}

// TestRealZlib verifies the real zlib package from ../shared/data: clean
// on this host, and host-incompatible when CONDA_OVERRIDE_GLIBC says the
// host has glibc 2.3 (libz needs GLIBC_2.4, as readelf shows).
func TestRealZlib(t *testing.T) {
	src := testdata.SharedPath(t, "packages/anaconda-zlib")
	e := installChannel(t, src, func(r *repodata.Record) bool { return r.Name == "zlib" })
	h := glibcHost(t, nil)
	r := e.verify(t, Options{Host: h})
	if r.Status != StatusClean {
		t.Fatalf("status = %s, want clean; files %v, ELF %+v", r.Status, issues(r), r.ELF.Problems)
	}
	if r.ELF.ELF == 0 || r.ELF.Glibc != "2.4" {
		t.Errorf("ELF scan saw %d files needing glibc %q; want libz needing 2.4", r.ELF.ELF, r.ELF.Glibc)
	}
	old := glibcHost(t, map[string]string{"CONDA_OVERRIDE_GLIBC": "2.3"})
	r = e.verify(t, Options{Host: old})
	if r.Status != StatusHost {
		t.Fatalf("status = %s with glibc 2.3, want %s", r.Status, StatusHost)
	}
	want := elfscan.Problem{Kind: elfscan.KindGlibc, File: "lib/libz.so.1.2.11", Package: "zlib-1.2.11-h7b6447c_3", Library: "libc.so.6", Need: "GLIBC_2.4", Have: "glibc 2.3"}
	if diff := cmp.Diff([]elfscan.Problem{want}, r.ELF.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestCondaOnly checks a prefix with no lock and no envlock marker, as
// any conda environment on a cluster: integrity against conda-meta.
func TestCondaOnly(t *testing.T) {
	e := demoEnv(t)
	os.Remove(e.path("conda-meta/" + install.MarkerFile))
	r, err := Prefix(context.Background(), Options{Prefix: e.prefix})
	if err != nil {
		t.Fatal(err)
	}
	checkSchema(t, r)
	if r.Status != StatusClean || r.Lock != nil {
		t.Fatalf("status %s, lock %v; want clean and no lock", r.Status, r.Lock)
	}
	write(t, e.path("share/greet/LICENSE"), "changed\n")
	r, err = Prefix(context.Background(), Options{Prefix: e.prefix})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusDrift || len(r.Files.Issues) != 2 {
		t.Fatalf("status %s, issues %v; want drift on the two links of LICENSE", r.Status, issues(r))
	}

	// Not a conda environment at all: an error, not a report.
	if _, err := Prefix(context.Background(), Options{Prefix: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no conda-meta") {
		t.Fatalf("Prefix(empty dir) = %v, want an error saying it has no conda-meta", err)
	}
}

// TestSignature checks the lock's signature with a real sigstore key.
func TestSignature(t *testing.T) {
	e := demoEnv(t)
	priv, pub, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sign.Sign(priv, []byte("pw"), e.data)
	if err != nil {
		t.Fatal(err)
	}
	_, other, _ := sign.GenerateKeyPair([]byte("pw"))
	for _, tc := range []struct {
		name    string
		trusted []byte
		sig     []byte
		want    string
	}{
		{"verified", pub, sig, "verified"},
		{"unsigned", pub, nil, "unsigned"},
		{"other key", other, sig, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.verify(t, Options{Trusted: [][]byte{tc.trusted}, Signature: tc.sig})
			if r.Signature.Status != tc.want {
				t.Fatalf("signature %s (%s), want %s", r.Signature.Status, r.Signature.Message, tc.want)
			}
			wantStatus := StatusClean
			if tc.want != "verified" {
				wantStatus = StatusSignature
			}
			if r.Status != wantStatus || ExitCode(r.Status) != map[string]int{StatusClean: 0, StatusSignature: 3}[wantStatus] {
				t.Errorf("status %s (exit %d), want %s", r.Status, ExitCode(r.Status), wantStatus)
			}
		})
	}
}

// checkSchema requires the report's JSON to satisfy schemas/verify.cue.
func checkSchema(t testing.TB, r *Report) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(b); err != nil {
		t.Fatalf("the report does not satisfy schemas/verify.cue: %v\n%s", err, b)
	}
}

func validate(data []byte) error {
	ctx := cuecontext.New()
	schema := ctx.CompileString(schemas.Verify, cue.Filename("schemas/verify.cue"))
	if err := schema.Err(); err != nil {
		return err
	}
	v := ctx.CompileBytes(data, cue.Filename("report.json"))
	if err := v.Err(); err != nil {
		return err
	}
	return schema.LookupPath(cue.ParsePath("#Report")).Unify(v).Validate(cue.Concrete(true))
}

// TestSchemaRejects shows the schema check can fail.
func TestSchemaRejects(t *testing.T) {
	for _, bad := range []string{
		`{"version": 1, "prefix": "/x", "status": "fine", "quick": false, "packages": {"locked": 0, "installed": 0, "missing": [], "extra": [], "changed": [], "unreadable": []}, "pypi": {"untracked": [], "missing": []}, "files": {"checked": 0, "bytes_hashed": 0, "unverifiable": 0, "issues": []}}`,
		`{"version": 1, "prefix": "/x", "status": "clean", "quick": false, "surprise": 1, "packages": {"locked": 0, "installed": 0, "missing": [], "extra": [], "changed": [], "unreadable": []}, "pypi": {"untracked": [], "missing": []}, "files": {"checked": 0, "bytes_hashed": 0, "unverifiable": 0, "issues": []}}`,
	} {
		if err := validate([]byte(bad)); err == nil {
			t.Errorf("schema accepted %s", bad)
		}
	}
}

// TestLockChanged notes a lock that changed since the install, and
// compares the prefix with the new lock: a package the new lock drops is
// extra.
func TestLockChanged(t *testing.T) {
	e := demoEnv(t)
	l2 := *e.lock
	pl := *l2.Platforms[0]
	for i, pk := range pl.Packages {
		if pk.Name == "greet-py" {
			pl.Packages = append(pl.Packages[:i:i], pl.Packages[i+1:]...)
			break
		}
	}
	l2.Platforms = []*lockfile.Platform{&pl}
	data, err := l2.Encode()
	if err != nil {
		t.Fatal(err)
	}
	r := e.verify(t, Options{Lock: &l2, LockData: data, LockPath: e.lockPath})
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "the lock changed since this prefix was installed") {
		t.Errorf("notes = %q", r.Notes)
	}
	if r.Status != StatusDrift || len(r.Packages.Extra) != 1 || r.Packages.Extra[0].Name != "greet-py" {
		t.Errorf("status %s, extra %v; want drift with greet-py extra", r.Status, r.Packages.Extra)
	}
}

func TestIsHex(t *testing.T) {
	sum := []byte{0x00, 0x9f, 0xa0, 0xff}
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"009fa0ff", true},
		{"009FA0FF", false}, // hex.EncodeToString writes lower case
		{"009fa0f", false},
		{"009fa0ff00", false},
		{"009fa0fe", false},
		{"109fa0ff", false},
		{"", false},
	} {
		if got := isHex(sum, tc.s); got != tc.want {
			t.Errorf("isHex(%x, %q) = %v, want %v", sum, tc.s, got, tc.want)
		}
	}
	if !isHex(nil, "") {
		t.Error(`isHex(nil, "") = false`)
	}
}
