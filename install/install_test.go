package install

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/envlock/envlock/fetch/bundle"
	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/locktest"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/repodata"
)

// lockOf makes a lock of every record of a local channel for linux-64
// (the caller picks a channel whose records are one per name).
func lockOf(t testing.TB, chanDir string, keep func(*repodata.Record) bool) (*lockfile.Lock, []byte) {
	t.Helper()
	return locktest.Channel(t, chanDir, keep)
}

func fetcher(t testing.TB, pkgs string) *download.Fetcher { return locktest.Fetcher(t, pkgs) }

// TestRealZlib installs the real zlib packages from ../shared/data (both
// formats) and links and runs a C program against the installed libz.
func TestRealZlib(t *testing.T) {
	src := testdata.SharedPath(t, "packages/anaconda-zlib")
	for _, ext := range []string{".conda", ".tar.bz2"} {
		t.Run(ext, func(t *testing.T) {
			l, data := lockOf(t, src, func(r *repodata.Record) bool {
				if r.Name != "zlib" {
					return false
				}
				if ext == ".tar.bz2" {
					// The repodata lists the .conda; point the record at
					// its .tar.bz2 twin, with that file's hash.
					r.Fn = strings.TrimSuffix(r.Fn, ".conda") + ".tar.bz2"
					r.URL = strings.TrimSuffix(r.URL, ".conda") + ".tar.bz2"
					p := filepath.Join(src, "linux-64", r.Fn)
					sum, err := cache.HashFile(p)
					if err != nil {
						t.Fatal(err)
					}
					fi, _ := os.Stat(p)
					r.SHA256, r.Size, r.MD5 = sum, fi.Size(), ""
				}
				return true
			})
			if n := len(l.Platforms[0].Packages); n != 1 {
				t.Fatalf("%d packages locked, want zlib alone", n)
			}
			prefix := filepath.Join(t.TempDir(), "env")
			res, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: fetcher(t, t.TempDir())})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range res.Warnings {
				t.Logf("warning: %s", w)
			}
			lib := filepath.Join(prefix, "lib", "libz.so.1.2.11")
			if _, err := os.Stat(lib); err != nil {
				t.Fatal(err)
			}
			gcc := testenv.Tool(t, "gcc", "checking that libz loads needs it: apt-get install gcc")
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "z.c"), []byte("#include <stdio.h>\nconst char *zlibVersion(void);\nint main(void) { printf(\"%s\\n\", zlibVersion()); return 0; }\n"), 0o644)
			exe := filepath.Join(dir, "z")
			if out, err := exec.Command(gcc, "-o", exe, filepath.Join(dir, "z.c"), lib, "-Wl,-rpath,"+filepath.Dir(lib)).CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s", err, out)
			}
			// The archives' libz.so.1 links are broken (see the data's
			// README), so load the installed library by path.
			run := exec.Command(exe)
			run.Env = append(os.Environ(), "LD_PRELOAD="+lib)
			out, err := run.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "1.2.11" {
				t.Fatalf("running against the installed libz: %v: %s", err, out)
			}
		})
	}
}

func demoChannel(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "channel")
	if err := condapkg.WriteChannel(dir, condapkg.Demo(), nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestConcurrentInstalls runs two installs sharing one cache at once.
func TestConcurrentInstalls(t *testing.T) {
	ch := demoChannel(t)
	l, data := lockOf(t, ch, nil)
	pkgs := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64",
				Prefix: filepath.Join(t.TempDir(), "env"), Fetcher: fetcher(t, pkgs)})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// TestRecoverInterruptedSwap leaves the state a killed update leaves
// between its two renames and checks the next run repairs it.
func TestRecoverInterruptedSwap(t *testing.T) {
	ch := demoChannel(t)
	l, data := lockOf(t, ch, nil)
	root := t.TempDir()
	prefix := filepath.Join(root, "env")
	f := fetcher(t, t.TempDir())
	if _, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f}); err != nil {
		t.Fatal(err)
	}
	// Killed after moving the old prefix aside, before the new one moved
	// in: the journal says so.
	old := filepath.Join(root, ".envlock-old-env")
	stage := filepath.Join(root, ".envlock-stage-env-123")
	os.Rename(prefix, old)
	os.Mkdir(stage, 0o755)
	os.WriteFile(journalPath(prefix), []byte(`{"prefix":"`+prefix+`","old":"`+old+`","stage":"`+stage+`"}`), 0o644)
	res, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f})
	if err != nil {
		t.Fatal(err)
	}
	if !res.UpToDate {
		t.Error("the restored prefix was not recognized as up to date")
	}
	for _, p := range []string{old, stage, journalPath(prefix)} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left behind", p)
		}
	}
}

// TestKilledInstall kills a real install process at several points and
// checks the target is never half-written and the next run completes.
func TestKilledInstall(t *testing.T) {
	if os.Getenv("ENVLOCK_INSTALL_CHILD") != "" {
		l, data := lockOf(t, os.Getenv("CHAN"), nil)
		_, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: os.Getenv("PREFIX"), Fetcher: fetcher(t, os.Getenv("PKGS")), ReplaceForeign: true})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	ch := demoChannel(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, delay := range []time.Duration{5 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond} {
		root := t.TempDir()
		prefix := filepath.Join(root, "env")
		pkgs := filepath.Join(root, "pkgs")
		cmd := exec.Command(exe, "-test.run=^TestKilledInstall$")
		cmd.Env = append(os.Environ(), "ENVLOCK_INSTALL_CHILD=1", "CHAN="+ch, "PREFIX="+prefix, "PKGS="+pkgs)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		// Either no prefix, or a complete one.
		if _, err := os.Stat(prefix); err == nil {
			if _, err := ReadMarker(prefix); err != nil {
				t.Fatalf("after a kill at %v the prefix exists without its marker: %v", delay, err)
			}
		}
		// The next run completes.
		l, data := lockOf(t, ch, nil)
		if _, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: fetcher(t, pkgs)}); err != nil {
			t.Fatalf("after a kill at %v: %v", delay, err)
		}
		if out, err := exec.Command(filepath.Join(prefix, "bin", "greet")).CombinedOutput(); err != nil {
			t.Fatalf("after a kill at %v: greet: %v %s", delay, err, out)
		}
	}
}

// TestPipelined serves the packages slowly and checks that linking starts
// before the last download ends: the stages overlap.
func TestPipelined(t *testing.T) {
	ch := demoChannel(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
		http.FileServer(http.Dir(ch)).ServeHTTP(w, r)
	}))
	defer srv.Close()
	l, _ := lockOf(t, ch, nil)
	for _, pk := range l.Platforms[0].Packages {
		i := strings.Index(pk.URL, "/linux-64/")
		if i < 0 {
			i = strings.Index(pk.URL, "/noarch/")
		}
		pk.URL = srv.URL + pk.URL[i:]
	}
	data, _ := l.Encode()
	f := fetcher(t, t.TempDir())
	f.Parallel = 1
	var mu sync.Mutex
	var events []string
	_, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: filepath.Join(t.TempDir(), "env"), Fetcher: f,
		Trace: func(ev, pkg string) {
			mu.Lock()
			events = append(events, ev+" "+pkg)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	firstLink, lastFetched := -1, -1
	for i, e := range events {
		if strings.HasPrefix(e, "link ") && firstLink < 0 {
			firstLink = i
		}
		if strings.HasPrefix(e, "fetched ") {
			lastFetched = i
		}
	}
	t.Logf("timeline: %s", strings.Join(events, ", "))
	if firstLink < 0 || firstLink > lastFetched {
		t.Errorf("linking started only after every download finished: %v", events)
	}
}

// TestLinkScripts installs rattler's link-scripts package: its post-link
// script is skipped by default and runs with AllowScripts.
func TestLinkScripts(t *testing.T) {
	src := testdata.SharedPath(t, "packages/rattler-test-packages/link-scripts/link-scripts-0.1.0-h4616a5c_0.conda")
	sum, _ := cache.HashFile(src)
	fi, _ := os.Stat(src)
	pk := &lockfile.Package{Name: "link-scripts", Version: "0.1.0", Build: "h4616a5c_0", Subdir: "noarch",
		URL: "file://" + filepath.ToSlash(src), SHA256: sum, Size: fi.Size(), Depends: []string{}}
	l := &lockfile.Lock{Name: "t", Manifest: lockfile.Manifest{SHA256: strings.Repeat("0", 64)}, ChannelPriority: "strict",
		Platforms: []*lockfile.Platform{{Platform: "linux-64", Packages: []*lockfile.Package{pk}}}}
	data, _ := l.Encode()
	f := fetcher(t, t.TempDir())
	p1 := filepath.Join(t.TempDir(), "a")
	res, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: p1, Fetcher: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], "link-scripts: post-link.sh") {
		t.Errorf("skipped = %v", res.Skipped)
	}
	if _, err := os.Stat(filepath.Join(p1, "i-was-post-linked")); err == nil {
		t.Error("the script ran without AllowScripts")
	}
	p2 := filepath.Join(t.TempDir(), "b")
	res, err = Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: p2, Fetcher: f, AllowScripts: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(p2, "i-was-post-linked")); err != nil {
		t.Errorf("the post-link script did not run: %v", err)
	}
	if !strings.Contains(res.Messages, "post-link script that just ran") {
		t.Errorf("messages = %q", res.Messages)
	}
}

// TestUpdateKeepsUnchangedFiles updates an environment to a lock without
// one package: the unchanged packages' files are the same inodes as
// before (hard links to the same cache entries); only what changed moves.
func TestUpdateKeepsUnchangedFiles(t *testing.T) {
	ch := demoChannel(t)
	full, fullData := lockOf(t, ch, nil)
	less, lessData := lockOf(t, ch, func(r *repodata.Record) bool { return r.Name != "greet-py" })
	prefix := filepath.Join(t.TempDir(), "env")
	f := fetcher(t, t.TempDir())
	if _, err := Apply(context.Background(), Options{Lock: full, LockData: fullData, Platform: "linux-64", Prefix: prefix, Fetcher: f}); err != nil {
		t.Fatal(err)
	}
	ino := func(p string) uint64 {
		fi, err := os.Stat(filepath.Join(prefix, p))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	before := ino("share/greet/LICENSE")
	if _, err := Apply(context.Background(), Options{Lock: less, LockData: lessData, Platform: "linux-64", Prefix: prefix, Fetcher: f}); err != nil {
		t.Fatal(err)
	}
	if after := ino("share/greet/LICENSE"); after != before {
		t.Errorf("an unchanged file moved: inode %d → %d", before, after)
	}
	if _, err := os.Stat(filepath.Join(prefix, "bin", "greet-py")); err == nil {
		t.Error("the removed package's entry point is still there")
	}
}

// TestBundleRealZlib bundles the real zlib package, reads the bundle into
// an empty cache with no network and installs from it; libz loads.
func TestBundleRealZlib(t *testing.T) {
	src := testdata.SharedPath(t, "packages/anaconda-zlib")
	l, data := lockOf(t, src, func(r *repodata.Record) bool { return r.Name == "zlib" })
	var buf bytes.Buffer
	if err := bundle.Write(context.Background(), &buf, bundle.Input{Lock: l, LockData: data, Fetcher: fetcher(t, t.TempDir())}); err != nil {
		t.Fatal(err)
	}
	f := fetcher(t, t.TempDir())
	f.Client.Offline = true
	contents, err := bundle.Read(context.Background(), &buf, f.Cache, "linux-64", nil)
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(t.TempDir(), "env")
	if _, err := Apply(context.Background(), Options{Lock: contents.Lock, LockData: contents.LockData, Platform: "linux-64", Prefix: prefix, Fetcher: f}); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(prefix, "lib", "libz.so.1.2.11")
	gcc := testenv.Tool(t, "gcc", "checking that libz loads needs it: apt-get install gcc")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "z.c"), []byte("#include <stdio.h>\nconst char *zlibVersion(void);\nint main(void) { printf(\"%s\\n\", zlibVersion()); return 0; }\n"), 0o644)
	exe := filepath.Join(dir, "z")
	if out, err := exec.Command(gcc, "-o", exe, filepath.Join(dir, "z.c"), lib).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	run := exec.Command(exe)
	run.Env = append(os.Environ(), "LD_PRELOAD="+lib)
	if out, err := run.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "1.2.11" {
		t.Fatalf("libz from the bundle: %v %s", err, out)
	}
}

// TestOneRunPerPrefix holds a prefix's lock and checks that an install
// with NoWait fails with ErrBusy at once, and one without it says it
// waits and finishes once the lock is released.
func TestOneRunPerPrefix(t *testing.T) {
	ch := demoChannel(t)
	l, data := lockOf(t, ch, nil)
	prefix := filepath.Join(t.TempDir(), "env")
	f := fetcher(t, t.TempDir())
	held, err := openSite(context.Background(), prefix, true, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f, NoWait: true})
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), prefix+": another envlock run is using this environment (its lock "+filepath.Join(filepath.Dir(prefix), ".envlock-env.lock")+" is held)") {
		t.Fatalf("with the lock held and NoWait: %v", err)
	}
	var mu sync.Mutex
	var logs []string
	done := make(chan error)
	go func() {
		_, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f,
			Log: func(s string) { mu.Lock(); logs = append(logs, s); mu.Unlock() }})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the second install did not wait: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	held.close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(logs) == 0 || !strings.HasPrefix(logs[0], "waiting for another envlock run on "+prefix+" to finish") {
		t.Errorf("logs = %q", logs)
	}
}

// TestPlantedJournal plants journals naming directories envlock did not
// make (absolute elsewhere, a sibling, the parent) and checks that none
// is deleted or moved, by an install or by remove.
func TestPlantedJournal(t *testing.T) {
	ch := demoChannel(t)
	l, data := lockOf(t, ch, nil)
	root := t.TempDir()
	envs := filepath.Join(root, "envs")
	prefix := filepath.Join(envs, "env")
	f := fetcher(t, t.TempDir())
	if _, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f}); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(root, "victim")
	sibling := filepath.Join(envs, "other")
	for _, d := range []string{victim, sibling} {
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "keep"), []byte("x"), 0o644)
	}
	for _, j := range []string{
		`{"prefix":"` + prefix + `","old":"` + victim + `","stage":"` + sibling + `"}`,
		`{"prefix":"` + prefix + `","old":"` + filepath.Join(envs, ".envlock-old-env") + `","stage":"` + victim + `"}`,
		`{"prefix":"` + prefix + `","old":"` + filepath.Join(envs, ".envlock-old-env") + `","stage":"` + filepath.Join(envs, ".envlock-stage-env-1/../../victim") + `"}`,
		`{"prefix":"` + victim + `","old":"` + filepath.Join(envs, ".envlock-old-env") + `","stage":"` + filepath.Join(envs, ".envlock-stage-env-1") + `"}`,
	} {
		os.WriteFile(journalPath(prefix), []byte(j), 0o644)
		var logs []string
		res, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: f, Log: func(s string) { logs = append(logs, s) }})
		if err != nil || !res.UpToDate {
			t.Fatalf("journal %s: %v %+v", j, err, res)
		}
		if len(logs) != 1 || logs[0] != "removed "+journalPath(prefix)+" without acting on it: it is not a journal envlock wrote for "+prefix {
			t.Errorf("journal %s: logs %q", j, logs)
		}
		for _, d := range []string{victim, sibling} {
			if _, err := os.Stat(filepath.Join(d, "keep")); err != nil {
				t.Fatalf("journal %s: %v", j, err)
			}
		}
	}
	// remove, too, reads the journal first.
	os.WriteFile(journalPath(prefix), []byte(`{"prefix":"`+prefix+`","old":"`+victim+`","stage":"`+sibling+`"}`), 0o644)
	if err := Remove(context.Background(), prefix, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{victim, sibling} {
		if _, err := os.Stat(filepath.Join(d, "keep")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(prefix); err == nil {
		t.Error("remove left the prefix")
	}
}
