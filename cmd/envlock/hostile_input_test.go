package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envlock/envlock/internal/hostile"
)

// The input side of the hostile-input suite (issue 15, points 2, 6, 7
// and 8): locks with nulls and hostile identities, channels whose records
// are paths, bundles that lack what their lock names or carry entries
// that point outside, a target override that would slip past the site
// policy, the lock writer asked to write what its schema forbids, and a
// runaway manifest stopped by a signal or by its bounds.

// editLock writes the good lock with edit applied to rel.
func (h *hostileEnv) editLock(rel string, edit func(l map[string]any)) string {
	h.t.Helper()
	l := h.Lock()
	edit(l)
	return h.WriteJSON(rel, l)
}

func platforms(l map[string]any) []any { return l["platforms"].([]any) }
func firstPlatform(l map[string]any) map[string]any {
	return platforms(l)[0].(map[string]any)
}
func firstPackage(l map[string]any) map[string]any {
	return firstPlatform(l)["packages"].([]any)[0].(map[string]any)
}

// TestHostileLockNull: nulls where a lock holds records are refused by
// every command that reads a lock, naming the field, never a panic.
func TestHostileLockNull(t *testing.T) {
	h := newHostileEnv(t)
	cases := []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"platform", func(l map[string]any) { l["platforms"] = []any{nil} }, `platforms\[0\]: null`},
		{"package", func(l map[string]any) {
			firstPlatform(l)["packages"] = append([]any{nil}, firstPlatform(l)["packages"].([]any)...)
		}, `platforms\[0\]\.packages\[0\]: null`},
		{"wheel", func(l map[string]any) { firstPlatform(l)["pypi"] = []any{nil} }, `platforms\[0\]\.pypi\[0\]: null`},
	}
	good := h.goodBundle()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			bad := h.editLock("bad/env.lock", tc.edit)
			h.Expect(1, `^envlock install: `+regexp.QuoteMeta(bad)+`: `+tc.field+"\n$", "install", "--lock", bad, "-p", h.Prefix)
			h.Expect(1, `^envlock diff: `+regexp.QuoteMeta(bad)+`: `+tc.field+"\n$", "diff", filepath.Join(h.Project, "env.lock"), bad)
			h.Expect(1, `^envlock bundle: `+regexp.QuoteMeta(bad)+`: `+tc.field+"\n$", "bundle", "--lock", bad, "-o", h.Path("bad/out.tar"))
			h.Expect(exitInput, regexp.QuoteMeta(bad)+`: `+tc.field, "verify", "-p", h.Prefix, "--lock", bad)
			// The same lock inside a bundle whose manifest agrees with it.
			data, _ := os.ReadFile(bad)
			b := h.rewriteBundle(good, "bad/bad.tar", func(name string, d []byte) []byte {
				if name == "env.lock" {
					return data
				}
				return d
			})
			h.Expect(1, `^envlock install: bundle entry env\.lock: `+tc.field+"\n$", "install", "--bundle", b, "-p", h.Prefix)
			if _, err := os.Stat(h.Path("bad/out.tar")); err == nil {
				t.Error("bundle wrote out.tar from a bad lock")
			}
		})
	}
}

// TestHostileLockIdentities: identities in a lock that are paths, or not
// what conda's grammar allows, are refused before any use.
func TestHostileLockIdentities(t *testing.T) {
	h := newHostileEnv(t)
	for _, tc := range []struct {
		field, value, msg string
	}{
		{"build", "0/../../x", `packages\[0\]\.build: "0/\.\./\.\./x" is not a valid build string`},
		{"name", "../../canary", `packages\[0\]\.name: "\.\./\.\./canary" is not a valid package name`},
		{"version", "..", `packages\[0\]\.version: "\.\." is not a valid version`},
		{"subdir", "../..", `packages\[0\]\.subdir: "\.\./\.\." is not a valid subdir`},
		{"url", "file:///etc/passwd", `packages\[0\]\.url: "passwd" is not a valid file name`},
		{"sha256", "../../etc/passwd", `packages\[0\]\.sha256: "\.\./\.\./etc/passwd" is not a valid sha256`},
		{"python_site_packages_path", "../../canary", `packages\[0\]\.python_site_packages_path: "\.\./\.\./canary" is not a valid python_site_packages_path`},
		{"build_number", "-1", `packages\[0\]\.build_number: -1 is negative`},
	} {
		bad := h.editLock("bad/env.lock", func(l map[string]any) {
			var v any = tc.value
			if tc.field == "build_number" {
				v = -1
			}
			firstPackage(l)[tc.field] = v
		})
		h.Expect(1, `^envlock install: `+regexp.QuoteMeta(bad)+`: platforms\[0\]\.`+tc.msg, "install", "--lock", bad, "-p", h.Prefix)
	}
}

// TestHostileRepodata: a channel whose record is a path (build
// "0/../../x") never gets into a lock: the record is refused where the
// repodata is read, so the solve finds no such package and no lock is
// written.
func TestHostileRepodata(t *testing.T) {
	h := newHostileEnv(t)
	dir := h.Path("evil")
	if err := hostile.WriteChannel(filepath.Join(dir, "channel"), ".conda", &hostile.Package{
		Name: "evil", Version: "1.0", Build: "0",
		Files:  []hostile.Entry{hostile.Reg("share/evil.txt", "x")},
		Record: map[string]any{"build": "0/../../x"},
	}, &hostile.Package{
		Name: "sneaky", Version: "1.0", Build: "0",
		Files: []hostile.Entry{hostile.Reg("share/sneaky.txt", "x")},
		Fn:    "../../sneaky-1.0-0.conda",
	}); err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"evil", "sneaky"} {
		h.WriteFile("evil/env.cue", "package env\n\nname: \"evil\"\nchannels: [\"channel\"]\nplatforms: [\"linux-64\"]\ndependencies: "+pkg+": \"*\"\n")
		h.Expect(1, `no package named `+pkg+` was found in the channels`, "lock", "-C", dir)
		if _, err := os.Stat(filepath.Join(dir, "env.lock")); err == nil {
			t.Fatalf("a lock was written from a hostile channel")
		}
	}
}

// TestHostileBundle: a bundle never reaches outside itself.
func TestHostileBundle(t *testing.T) {
	h := newHostileEnv(t)
	good := h.goodBundle()
	// The lock names a package the bundle lacks (entry and manifest line
	// both gone): refused, not fetched from the lock's URL (which works).
	var gone string
	lacking := h.rewriteBundle(good, "bad/lacking.tar", func(name string, d []byte) []byte {
		if gone == "" && strings.HasPrefix(name, "channel/") && strings.HasSuffix(name, ".conda") {
			gone = name
			return nil
		}
		return d
	})
	h.Expect(1, `^envlock install: bundle: the lock names `+regexp.QuoteMeta(gone)+` for linux-64, which the bundle lacks; nothing is fetched from elsewhere`, "install", "--bundle", lacking, "-p", h.Prefix)
	// Entries that point outside the bundle, listed in its manifest or not.
	for _, e := range []struct {
		h   tar.Header
		msg string
	}{
		{tar.Header{Name: "../../canary/keep.txt", Typeflag: tar.TypeReg, Mode: 0o644}, `"\.\./\.\./canary/keep\.txt" is not a clean path inside the bundle`},
		{tar.Header{Name: h.Path("canary/keep.txt")[1:] + "/../../../../../../" + h.Path("canary/keep.txt")[1:], Typeflag: tar.TypeReg, Mode: 0o644}, `is not a clean path inside the bundle`},
		{tar.Header{Name: h.Path("canary/keep.txt"), Typeflag: tar.TypeReg, Mode: 0o644}, `is an absolute or non-portable path`},
		{tar.Header{Name: "channel/linux-64/x.conda", Typeflag: tar.TypeSymlink, Linkname: h.Path("canary/keep.txt")}, `is a symbolic link, not a regular file`},
		{tar.Header{Name: "channel/linux-64/y.conda", Typeflag: tar.TypeLink, Linkname: "../../canary/keep.txt"}, `is a hard link, not a regular file`},
	} {
		b := h.appendBundleEntry(good, "bad/entry.tar", e.h, []byte("overwritten\n"))
		h.Expect(1, `^envlock install: bundle entry .*`+e.msg+`; the bundle was altered\n$`, "install", "--bundle", b, "-p", h.Prefix)
	}
}

// TestHostilePolicyTarget: a per-platform target cannot add what the site
// policy forbids.
func TestHostilePolicyTarget(t *testing.T) {
	h := newHostileEnv(t)
	policy := h.WriteFile("site/policy.cue", "package site\n\ndependencies: \"greet-py\"?: error(\"greet-py is not allowed here\")\ndependencies: [=~\"^evil\"]: error(\"no evil\")\n")
	h.WriteFile("sneak/env.cue", "package env\n\nname: \"sneak\"\nchannels: [\"file://"+h.Path("project/channel")+"\"]\nplatforms: [\"linux-64\"]\ntarget: \"linux-64\": dependencies: \"greet-py\": \"*\"\n")
	want := `env\.cue:6:47: target\."linux-64"\.dependencies\."greet-py": greet-py is not allowed here \(for linux-64, after the target overrides\) \(` + regexp.QuoteMeta(policy) + `:3:28\)\n`
	h.Expect(1, want, "lock", "-C", h.Path("sneak"), "--policy", policy)
	h.Setenv("ENVLOCK_POLICY", policy)
	h.Expect(1, want, "check", "-C", h.Path("sneak"))
	if _, err := os.Stat(h.Path("sneak/env.lock")); err == nil {
		t.Error("a lock was written past the policy")
	}
}

// TestHostileLockWriter: the lock writer refuses values outside the
// schema, whatever produced them (here a conda-lock file), and import
// then writes neither env.lock nor env.cue. (A non-hex sha256 is refused
// by the conda-lock reader itself; lock/lockfile's TestWriteRefuses
// covers the writer's refusal of it.)
func TestHostileLockWriter(t *testing.T) {
	h := newHostileEnv(t)
	lock := h.Lock()
	pk := firstPackage(lock)
	for _, tc := range []struct {
		field string
		value int
		msg   string
	}{
		{"build_number", -5, `build_number: -5 is negative`},
		{"size", -1, `size: -1 is negative`},
	} {
		yml := "version: 1\nmetadata:\n  content_hash: {linux-64: x}\n  channels: [{url: channel, used_env_vars: []}]\n  platforms: [linux-64]\n  sources: [env.cue]\npackage:\n" +
			"- name: " + pk["name"].(string) + "\n  version: '" + pk["version"].(string) + "'\n  manager: conda\n  platform: linux-64\n  dependencies: {}\n" +
			"  url: " + pk["url"].(string) + "\n  hash: {md5: " + strings.Repeat("0", 32) + ", sha256: " + pk["sha256"].(string) + "}\n" +
			"  category: main\n  optional: false\n  build: " + pk["build"].(string) + "\n  build_number: 0\n"
		v := itoa(tc.value)
		switch tc.field {
		case "build_number":
			yml = strings.Replace(yml, "build_number: 0", "build_number: "+v, 1)
		case "size":
			yml += "  size: " + v + "\n"
		case "sha256":
			yml = strings.Replace(yml, "sha256: "+pk["sha256"].(string), "sha256: "+v, 1)
		}
		f := h.WriteFile("imp/conda-lock.yml", yml)
		h.Expect(1, tc.msg, "import", f, "-o", h.Path("imp/env.cue"))
		if _, err := os.Stat(h.Path("imp/env.lock")); err == nil {
			t.Fatalf("%s: a lock outside the schema was written", tc.field)
		}
	}
}

func itoa(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// runawayCUE never finishes in reasonable time: 25 million elements.
const runawayCUE = "package env\n\nimport \"list\"\n\nname: \"runaway\"\nchannels: [\"conda-forge\"]\nplatforms: [\"linux-64\"]\nenv: X: \"\\(len([for a in list.Range(0,5000,1) for b in list.Range(0,5000,1) {a*b}]))\"\n"

// runawayMemory grows fast: a struct of 9 million fields.
const runawayMemory = "package env\n\nimport \"list\"\n\nname: \"runaway\"\nchannels: [\"conda-forge\"]\nplatforms: [\"linux-64\"]\nenv: {for a in list.Range(0,3000,1) for b in list.Range(0,3000,1) {\"V\\(a)_\\(b)\": \"\\(a*b)\"}}\n"

// TestHostileCancel: SIGINT and SIGTERM stop a runaway manifest
// evaluation within a second (exit 130 and 143), and without a signal its
// time and memory bounds stop it with a message naming the comprehension.
func TestHostileCancel(t *testing.T) {
	h := newHostileEnv(t)
	dir := h.Path("runaway")
	h.WriteFile("runaway/env.cue", runawayCUE)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		for _, args := range [][]string{{"lock", "-C", dir}, {"check", "-C", dir}} {
			before := h.snapshot()
			cmd := h.Command(args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Evaluating by now: it has spent 300 ms of CPU (its signal
			// handling is set up before evaluation starts). A fixed sleep
			// could signal a process still starting on a loaded machine.
			waitCPU(t, cmd.Process.Pid, 300*time.Millisecond)
			sent := time.Now()
			cmd.Process.Signal(tc.sig)
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case <-waited:
			case <-time.After(time.Second):
				cmd.Process.Kill()
				<-waited
				t.Fatalf("envlock %s: still running 1s after %v", strings.Join(args, " "), tc.sig)
			}
			t.Logf("envlock %s: exited %v after %v", args[0], time.Since(sent).Round(time.Millisecond), tc.sig)
			if got := cmd.ProcessState.ExitCode(); got != tc.code {
				t.Errorf("envlock %s after %v: exit %d, want %d\n%s", args[0], tc.sig, got, tc.code, stderr.String())
			}
			if want := "envlock " + args[0] + ": interrupted\n"; stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
			if _, err := os.Stat(filepath.Join(dir, "env.lock")); err == nil {
				t.Error("a lock was written")
			}
			h.snapshotSame(before)
		}
	}
	h.VerifyClean()
	// Bounded without a signal.
	h.Setenv("ENVLOCK_EVAL_TIMEOUT", "2s")
	h.Expect(1, `^envlock lock: `+regexp.QuoteMeta(filepath.Join(dir, "env.cue"))+`: evaluation exceeded 2s: simplify the comprehension at `+regexp.QuoteMeta(filepath.Join(dir, "env.cue"))+`:8:17\n$`, "lock", "-C", dir)
	h.WriteFile("runaway/env.cue", runawayMemory)
	h.Setenv("ENVLOCK_EVAL_TIMEOUT", "60s")
	h.Setenv("ENVLOCK_EVAL_MEMORY", "256MiB")
	h.Expect(1, `^envlock check: `+regexp.QuoteMeta(filepath.Join(dir, "env.cue"))+`: evaluation exceeded 256 MiB: simplify the comprehension at `+regexp.QuoteMeta(filepath.Join(dir, "env.cue"))+`:8:7\n$`, "check", "-C", dir)
}

// snapshotSame fails when files outside the prefix and cache changed
// since before.
func (h *hostileEnv) snapshotSame(before map[string]string) {
	h.t.Helper()
	after := h.snapshot()
	for k, v := range before {
		if after[k] != v {
			h.t.Errorf("%s changed: %q → %q", k, v, after[k])
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			h.t.Errorf("%s appeared", k)
		}
	}
	h.checkBeside()
}

// goodBundle bundles the good environment's lock (uncompressed).
func (h *hostileEnv) goodBundle() string {
	h.t.Helper()
	out := h.Path("good.tar")
	h.MustRun("bundle", "-o", out)
	return out
}

// rewriteBundle writes a copy of the bundle at src through edit (nil
// drops an entry) to rel, with the bundle manifest made to agree with the
// result: the work of someone altering a bundle on purpose.
func (h *hostileEnv) rewriteBundle(src, rel string, edit func(name string, data []byte) []byte) string {
	h.t.Helper()
	type ent struct {
		h    *tar.Header
		data []byte
	}
	var ents []ent
	f, err := os.ReadFile(src)
	if err != nil {
		h.t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(f))
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			h.t.Fatal(err)
		}
		d, _ := io.ReadAll(tr)
		if hd.Name != "envlock-bundle.json" {
			d = edit(hd.Name, d)
			if d == nil {
				continue
			}
		}
		ents = append(ents, ent{hd, d})
	}
	var m map[string]any
	if err := json.Unmarshal(ents[0].data, &m); err != nil {
		h.t.Fatal(err)
	}
	var files []any
	for _, e := range ents[1:] {
		sum := sha256.Sum256(e.data)
		files = append(files, map[string]any{"path": e.h.Name, "size": len(e.data), "sha256": hex.EncodeToString(sum[:])})
		if e.h.Name == "env.lock" {
			m["lock_sha256"] = hex.EncodeToString(sum[:])
		}
	}
	m["files"] = files
	ents[0].data, _ = json.Marshal(m)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		e.h.Size = int64(len(e.data))
		tw.WriteHeader(e.h)
		tw.Write(e.data)
	}
	tw.Close()
	return h.WriteFile(rel, buf.String())
}

// appendBundleEntry writes a copy of the bundle at src with one more
// entry at its end.
func (h *hostileEnv) appendBundleEntry(src, rel string, hd tar.Header, data []byte) string {
	h.t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		h.t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1024]) // without the end-of-archive blocks
	tw := tar.NewWriter(&buf)
	if hd.Typeflag == tar.TypeReg {
		hd.Size = int64(len(data))
	} else {
		data = nil
	}
	tw.WriteHeader(&hd)
	tw.Write(data)
	tw.Close()
	return h.WriteFile(rel, buf.String())
}

// waitCPU waits until process pid has used d of CPU time (user and
// system, from /proc/PID/stat), or fails the test after a minute.
func waitCPU(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatalf("reading the CPU time of %d: %v", pid, err)
		}
		// Fields after the command name (which may hold spaces): state
		// is the first, utime the 12th and stime the 13th.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 12 {
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			if time.Duration(ut+st)*time.Second/100 >= d { // clock ticks: 100 a second on Linux
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d did not use %v of CPU within a minute", pid, d)
}
