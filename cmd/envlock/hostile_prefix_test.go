package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envlock/envlock/internal/hostile"
	"github.com/envlock/envlock/internal/wheelpkg"
)

// The prefix side of the hostile-input suite (issue 15): packages whose
// files or links aim a write out of the prefix or into conda-meta, a
// placeholder made to grow a file without bound, a lock whose
// python_site_packages_path leaves the prefix, a planted swap journal and
// planted staging debris beside the prefix, --force on a directory
// envlock did not make, and a second run on a busy prefix.

// lockHostile writes a project at work/<name> whose channel holds pkgs,
// depending on deps, locks it, and returns the lock's path.
func (h *hostileEnv) lockHostile(name string, deps []string, pkgs ...*hostile.Package) string {
	h.t.Helper()
	dir := h.Path(name)
	if err := hostile.WriteChannel(filepath.Join(dir, "channel"), ".conda", pkgs...); err != nil {
		h.t.Fatal(err)
	}
	var d strings.Builder
	for _, dep := range deps {
		fmt.Fprintf(&d, "%q: \"*\"\n", dep)
	}
	h.WriteFile(name+"/env.cue", "package env\n\nname: \"hostile\"\nchannels: [\"channel\"]\nplatforms: [\"linux-64\"]\ndependencies: {\n"+d.String()+"}\n")
	h.MustRun("lock", "-C", dir)
	return filepath.Join(dir, "env.lock")
}

func TestHostilePrefix(t *testing.T) {
	h := newHostileEnv(t)
	canary := filepath.Join(h.Work, "canary")

	t.Run("package file into conda-meta", func(t *testing.T) {
		h.t = t
		l := h.lockHostile("cmeta", []string{"evil"}, &hostile.Package{Name: "evil", Version: "1.0", Build: "0",
			Files: []hostile.Entry{hostile.Reg("conda-meta/greet-9-0.json", `{"name":"greet","version":"9","build":"0","files":[]}`), hostile.Reg("share/evil.txt", "x\n")}})
		// Refused at extraction, before the linker's own check of the same
		// rule (install/link TestHostile… covers that layer).
		h.Expect(1, `evil-1\.0-0\.conda: refusing entry "info/paths\.json": its record "conda-meta/greet-9-0\.json" is in conda-meta/, where the environment's records are; the package is corrupt or malicious, nothing was extracted`,
			"install", "--lock", l, "-p", h.Prefix)
	})

	t.Run("write through a chain of links across packages", func(t *testing.T) {
		h.t = t
		// Each link stays inside its own package by its text (what
		// extraction checks), but in the prefix they chain: d/e/x is
		// the prefix, p1 its parent (work/envs), p2 work/. The last
		// package's file would replace work/canary/keep.txt.
		l := h.lockHostile("chain", []string{"lnk", "chain", "through"},
			&hostile.Package{Name: "lnk", Version: "1.0", Build: "0", Files: []hostile.Entry{hostile.Symlink("d/e/x", "../..")}},
			&hostile.Package{Name: "chain", Version: "1.0", Build: "0", Depends: []string{"lnk"}, Files: []hostile.Entry{hostile.Symlink("p1", "d/e/x/.."), hostile.Symlink("p2", "p1/..")}},
			&hostile.Package{Name: "through", Version: "1.0", Build: "0", Depends: []string{"chain"}, Files: []hostile.Entry{hostile.Reg("p2/canary/keep.txt", "overwritten\n")}})
		h.Expect(1, `through-1\.0-0: p2/canary/keep\.txt: .*path escapes from parent`, "install", "--lock", l, "-p", h.Prefix)
	})

	t.Run("placeholder grows a file without bound", func(t *testing.T) {
		h.t = t
		slashes := strings.Repeat("/", 1<<20)
		p := &hostile.Package{Name: "slashes", Version: "1.0", Build: "0", Files: []hostile.Entry{hostile.Reg("share/slashes.txt", slashes)}}
		paths := p.TruePaths()
		paths[0].Placeholder, paths[0].FileMode = "/", "text"
		p.Paths = paths
		l := h.lockHostile("slashes", []string{"slashes"}, p)
		grown := 1<<20 + (1<<20)*(len(h.Prefix)-1)
		h.Expect(1, fmt.Sprintf(`share/slashes\.txt: replacing its prefix placeholder "/" would grow it from 1048576 to %d bytes`, grown),
			"install", "--lock", l, "-p", h.Prefix)
	})

	t.Run("python_site_packages_path out of the prefix", func(t *testing.T) {
		h.t = t
		for i, sp := range []string{"../../canary", "/tmp/evil", "conda-meta"} {
			m := h.Lock()
			for _, pk := range m["platforms"].([]any)[0].(map[string]any)["packages"].([]any) {
				if pk.(map[string]any)["name"] == "python" {
					pk.(map[string]any)["python_site_packages_path"] = sp
				}
			}
			l := h.WriteJSON(fmt.Sprintf("sp%d.lock", i), m)
			// Paths out of the prefix are refused when the lock is read
			// (spec/ident); conda-meta, a valid path, by the installer's
			// own check (checkSitePackages).
			want := `platforms\[0\]\.packages\[\d+\]\.python_site_packages_path: "` + regexp.QuoteMeta(sp) + `" is not a valid python_site_packages_path`
			if sp == "conda-meta" {
				want = `the lock's python_site_packages_path: the path "conda-meta" is in conda-meta/, which only the installer writes`
			}
			h.Expect(1, want, "install", "--lock", l, "-p", h.Prefix)
		}
	})

	t.Run("planted journal", func(t *testing.T) {
		h.t = t
		// A journal naming the canary and the project as the old prefix
		// and the stage: envlock removes the journal, touches neither.
		j := map[string]string{"prefix": h.Prefix, "old": canary, "stage": h.Project}
		b, _ := json.Marshal(j)
		jp := filepath.Join(h.Envs, ".envlock-journal-prefix.json")
		os.WriteFile(jp, b, 0o644)
		h.Expect(0, `note: removed `+jp+` without acting on it: it is not a journal envlock wrote for `+h.Prefix, "install", "-p", h.Prefix)
		// An "old" that starts with envlock's name and climbs out.
		j["old"] = filepath.Join(h.Envs, ".envlock-old-prefix/../../canary")
		b, _ = json.Marshal(j)
		os.WriteFile(jp, b, 0o644)
		h.Expect(0, `note: removed `+jp+` without acting on it`, "install", "-p", h.Prefix)
	})

	t.Run("staging debris from killed runs", func(t *testing.T) {
		h.t = t
		// A stray staging directory, a half-deleted old prefix, and a
		// staging name that is a link to the canary: the first two are
		// removed; the link is removed, not followed.
		os.MkdirAll(filepath.Join(h.Envs, ".envlock-stage-prefix-12345", "lib"), 0o755)
		os.MkdirAll(filepath.Join(h.Envs, ".envlock-old-prefix", "bin"), 0o755)
		os.Symlink(canary, filepath.Join(h.Envs, ".envlock-stage-prefix-999"))
		h.Expect(0, `is up to date`, "install", "-p", h.Prefix)
	})

	t.Run("--force on a directory envlock did not make", func(t *testing.T) {
		h.t = t
		other := filepath.Dir(h.WriteFile("mine/data.txt", "mine\n"))
		h.Expect(1, `mine: the target exists and is not an envlock environment \(no conda-meta/envlock/envlock\.json\); pass --replace-foreign to replace it\nhint: choose another path, or pass --replace-foreign to delete and replace `+other,
			"install", "--force", "-p", other)
		// --replace-foreign does what it says, and says it.
		code, _, errOut := h.Run("install", "--replace-foreign", "-p", other)
		if code != 0 || !strings.Contains(errOut, "note: replacing "+other+", which is not an envlock environment, as --replace-foreign asked") {
			t.Fatalf("--replace-foreign: exit %d\n%s", code, errOut)
		}
		if _, err := os.Stat(filepath.Join(other, "data.txt")); err == nil {
			t.Error("--replace-foreign left the foreign file")
		}
		h.MustRun("remove", "-p", other)
		os.Remove(filepath.Join(h.Work, ".envlock-mine.lock"))
	})

	t.Run("busy prefix", func(t *testing.T) {
		h.t = t
		lf, err := os.OpenFile(filepath.Join(h.Envs, ".envlock-prefix.lock"), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer lf.Close()
		if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
			t.Fatal(err)
		}
		h.Expect(1, `prefix: another envlock run is using this environment \(its lock .*\.envlock-prefix\.lock is held\)\nhint: wait for the other run to finish`,
			"install", "--no-wait", "--force", "-p", h.Prefix)
		h.Expect(1, `another envlock run is using this environment`, "remove", "--no-wait", "-p", h.Prefix)
		// Without --no-wait the run says it waits, and finishes once the
		// lock is released.
		cmd := h.Command("install", "--force", "-p", h.Prefix)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			t.Fatalf("the second run did not wait: %v\n%s", err, errOut.String())
		case <-time.After(time.Second):
		}
		syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		if err := <-done; err != nil {
			t.Fatalf("the waiting run: %v\n%s", err, errOut.String())
		}
		if !strings.HasPrefix(errOut.String(), "note: waiting for another envlock run on "+h.Prefix+" to finish") {
			t.Errorf("stderr of the waiting run:\n%s", errOut.String())
		}
		h.VerifyClean()
	})

	t.Run("two installs at once", func(t *testing.T) {
		h.t = t
		// Both reinstall; one waits for the other, and the prefix ends
		// clean.
		var cmds []*exec.Cmd
		for range 2 {
			c := h.Command("install", "--force", "-p", h.Prefix)
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, c)
		}
		for _, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Fatal(err)
			}
		}
		h.VerifyClean()
		h.checkBeside()
	})
}

// TestHostilePrefixWheels installs locks whose wheel is not the locked
// project, or writes into conda-meta or out of the prefix through its
// .data/data/ directory: each is refused, and nothing changes.
func TestHostilePrefixWheels(t *testing.T) {
	h := newHostileEnv(t)
	tiny := func(extra ...wheelpkg.File) *wheelpkg.Wheel {
		return &wheelpkg.Wheel{Name: "tiny_fmt", Version: "1.2", Files: append([]wheelpkg.File{{Path: "tinyfmt/__init__.py", Data: []byte("V = 1\n")}}, extra...)}
	}
	cases := []struct {
		name, lockName, lockVersion, want string
		w                                 *wheelpkg.Wheel
	}{
		// The file is named as the lock says (the lock reader checks
		// that); what it holds is another project or version.
		{"another project", "requests", "2.31.0", `wheel requests 2\.31\.0: requests-2\.31\.0-py3-none-any\.whl: it holds tiny_fmt 1\.2, not the locked requests 2\.31\.0 \(tiny_fmt-1\.2\.dist-info\)`, tiny()},
		{"another version", "tiny-fmt", "1.3", `it holds tiny_fmt 1\.2, not the locked tiny-fmt 1\.3`, tiny()},
		{"data into conda-meta", "tiny-fmt", "1.2", `tiny_fmt-1\.2\.data/data/conda-meta/python-3\.11\.2-h0_0_cpython\.json: the path "conda-meta/python-3\.11\.2-h0_0_cpython\.json" is in conda-meta/, which only the installer writes`,
			tiny(wheelpkg.File{Path: "tiny_fmt-1.2.data/data/conda-meta/python-3.11.2-h0_0_cpython.json", Data: []byte("{}")})},
		{"data with //", "tiny-fmt", "1.2", `tiny_fmt-1\.2\.data/data//.*canary/keep\.txt: the path after tiny_fmt-1\.2\.data/data/ is not a relative path`,
			tiny(wheelpkg.File{Path: "tiny_fmt-1.2.data/data/" + filepath.Join(h.Work, "canary", "keep.txt"), Data: []byte("overwritten\n")})},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			data, err := c.w.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			p := h.WriteFile(fmt.Sprintf("wheels%d/%s-%s-py3-none-any.whl", i, strings.ReplaceAll(c.lockName, "-", "_"), c.lockVersion), string(data))
			sum := sha256.Sum256(data)
			m := h.Lock()
			pl := m["platforms"].([]any)[0].(map[string]any)
			pl["pypi"] = []any{map[string]any{"name": c.lockName, "version": c.lockVersion, "url": "file://" + p, "sha256": hex.EncodeToString(sum[:]), "size": len(data)}}
			l := h.WriteJSON(fmt.Sprintf("wheel%d.lock", i), m)
			h.Expect(1, c.want, "install", "--lock", l, "-p", h.Prefix)
		})
	}
}
