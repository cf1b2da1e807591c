package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/testenv"
)

// The hostile-input suite (issue 15): each case feeds envlock a package,
// channel, lock, bundle or manifest made to break out, runs the real
// binary as a subprocess, and checks four things: the exit code, the
// message, that nothing changed outside the prefix and the cache (every
// file under the test's root is snapshotted, canary directories
// included), and that the environment installed before still verifies
// clean.
//
// Cases live beside this file, one file per area
// (hostile_extract_test.go, hostile_prefix_test.go, hostile_input_test.go),
// each a table run through a hostileEnv.

// hostileMainEnv makes the test binary run envlock's main instead of the
// tests, so the suite can run the real command as a process (real exit
// codes, real signals).
const hostileMainEnv = "ENVLOCK_TEST_MAIN"

// A hostileEnv is a good environment and its surroundings:
//
//	root/canary/            files that must never change
//	root/work/project/      env.cue, env.lock, channel/ (the demo channel)
//	root/work/cache/        ENVLOCK_PKGS_DIRS and XDG_CACHE_HOME
//	root/work/envs/prefix   the installed good environment
//	root/work/canary/       more canaries, one level closer
//
// Everything under root except work/cache and work/envs is snapshotted
// before each hostile command and compared after it.
type hostileEnv struct {
	t                             testing.TB
	Root, Work, Project, Cache    string
	Envs, Prefix                  string
	extraEnv                      []string
	allowBeside                   *regexp.Regexp
	snapshotExclude, verifyExtras []string
}

// besidePrefix matches the names envlock may leave beside a prefix after
// a failed command: its per-prefix lock file. Staging directories and
// journals must be gone.
var besidePrefix = regexp.MustCompile(`^\.envlock-[^/]*\.lock$`)

// newHostileEnv installs the demo channel's environment into
// work/envs/prefix and checks it verifies clean.
func newHostileEnv(t testing.TB) *hostileEnv {
	t.Helper()
	testenv.Tool(t, "python3", "the demo channel's noarch python package needs python3")
	root := t.TempDir()
	h := &hostileEnv{
		t:           t,
		Root:        root,
		Work:        filepath.Join(root, "work"),
		Project:     filepath.Join(root, "work", "project"),
		Cache:       filepath.Join(root, "work", "cache"),
		Envs:        filepath.Join(root, "work", "envs"),
		Prefix:      filepath.Join(root, "work", "envs", "prefix"),
		allowBeside: besidePrefix,
	}
	for _, d := range []string{h.Project, h.Cache, h.Envs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{filepath.Join(root, "canary"), filepath.Join(h.Work, "canary")} {
		writeCanary(t, c)
	}
	if err := condapkg.WriteDemoChannel(filepath.Join(h.Project, "channel"), ".conda"); err != nil {
		t.Fatal(err)
	}
	h.WriteFile("project/env.cue", "package env\n\nname: \"demo\"\nchannels: [\"channel\"]\nplatforms: [\"linux-64\"]\ndependencies: \"greet-py\": \"*\"\n")
	h.MustRun("lock")
	h.MustRun("install", "-p", h.Prefix)
	h.VerifyClean()
	return h
}

// writeCanary fills dir with a file, a nested file, a symlink and an
// executable, the kinds of thing an escape would overwrite or chmod.
func writeCanary(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"keep.txt": "do not touch\n", "sub/deep.txt": "nor this\n", "x": "#!/bin/sh\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(dir, "x"), 0o755)
	if err := os.Symlink("keep.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
}

// Path returns root/work/rel.
func (h *hostileEnv) Path(rel string) string { return filepath.Join(h.Work, filepath.FromSlash(rel)) }

// WriteFile writes data to root/work/rel, making its directories.
func (h *hostileEnv) WriteFile(rel, data string) string {
	h.t.Helper()
	p := h.Path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// Lock returns the good environment's env.lock decoded as generic JSON,
// for cases that edit a field.
func (h *hostileEnv) Lock() map[string]any {
	h.t.Helper()
	b, err := os.ReadFile(filepath.Join(h.Project, "env.lock"))
	if err != nil {
		h.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		h.t.Fatal(err)
	}
	return m
}

// WriteJSON writes v as JSON to root/work/rel.
func (h *hostileEnv) WriteJSON(rel string, v any) string {
	h.t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		h.t.Fatal(err)
	}
	return h.WriteFile(rel, string(b)+"\n")
}

// Setenv adds a variable to every later command.
func (h *hostileEnv) Setenv(k, v string) { h.extraEnv = append(h.extraEnv, k+"="+v) }

// Command returns envlock with args as a process run in the project
// directory, with the cache pointed at work/cache.
func (h *hostileEnv) Command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = h.Project
	cmd.Env = append(os.Environ(),
		hostileMainEnv+"=1",
		"ENVLOCK_PKGS_DIRS="+filepath.Join(h.Cache, "pkgs"),
		"XDG_CACHE_HOME="+filepath.Join(h.Cache, "xdg"),
		"HOME="+filepath.Join(h.Work, "home"),
	)
	cmd.Env = append(cmd.Env, h.extraEnv...)
	return cmd
}

// Run runs envlock with args and returns its exit code and output.
func (h *hostileEnv) Run(args ...string) (code int, stdout, stderr string) {
	h.t.Helper()
	cmd := h.Command(args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		h.t.Fatalf("envlock %s: %v", strings.Join(args, " "), err)
	}
	return code, o.String(), e.String()
}

// MustRun runs envlock with args and fails the test unless it exits 0.
func (h *hostileEnv) MustRun(args ...string) string {
	h.t.Helper()
	code, out, errOut := h.Run(args...)
	if code != 0 {
		h.t.Fatalf("envlock %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// VerifyClean checks that the good environment verifies clean.
func (h *hostileEnv) VerifyClean() {
	h.t.Helper()
	code, out, errOut := h.Run("verify", "-p", h.Prefix)
	if code != 0 || !strings.Contains(out, "clean: the environment is exactly what was locked") {
		h.t.Fatalf("the environment at %s no longer verifies clean (exit %d)\nstdout:\n%s\nstderr:\n%s", h.Prefix, code, out, errOut)
	}
}

// Expect runs envlock with args and checks the hostile-input contract:
// exit code wantCode, stderr matching wantStderr (a regexp), nothing
// outside work/cache and work/envs changed, only the prefix (and a lock
// file) beside it, and the prefix still verifying clean.
func (h *hostileEnv) Expect(wantCode int, wantStderr string, args ...string) (stdout, stderr string) {
	h.t.Helper()
	before := h.snapshot()
	code, out, errOut := h.Run(args...)
	if code != wantCode {
		h.t.Errorf("envlock %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, out, errOut)
	}
	if !regexp.MustCompile(wantStderr).MatchString(errOut) {
		h.t.Errorf("envlock %s: stderr does not match %q:\n%s", strings.Join(args, " "), wantStderr, errOut)
	}
	if diff := cmp.Diff(before, h.snapshot()); diff != "" {
		h.t.Errorf("envlock %s changed files outside the prefix and the cache (-before +after):\n%s", strings.Join(args, " "), diff)
	}
	h.checkBeside()
	h.VerifyClean()
	return out, errOut
}

// checkBeside fails when anything but the prefix and envlock's lock file
// is left in work/envs.
func (h *hostileEnv) checkBeside() {
	h.t.Helper()
	ents, err := os.ReadDir(h.Envs)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == filepath.Base(h.Prefix) || h.allowBeside.MatchString(e.Name()) {
			continue
		}
		h.t.Errorf("left beside the prefix: %s", e.Name())
	}
}

// snapshot maps every path under root, except the cache and envs
// directories, to its type, mode and content hash (or link target).
func (h *hostileEnv) snapshot() map[string]string {
	h.t.Helper()
	skip := map[string]bool{h.Cache: true, h.Envs: true}
	snap := map[string]string{}
	err := filepath.WalkDir(h.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skip[p] {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(h.Root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		desc := info.Mode().String()
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			desc += fmt.Sprintf(" %d %s", len(b), hex.EncodeToString(sum[:8]))
		}
		snap[rel] = desc
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	// Outside root: the directory holding it must not gain entries.
	parent := filepath.Dir(h.Root)
	ents, _ := os.ReadDir(parent)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	snap["../"] = strings.Join(names, " ")
	return snap
}

// TestHostileHarness checks the harness itself on cases envlock already
// refuses: a prefix envlock did not make, and a lock that is not JSON.
func TestHostileHarness(t *testing.T) {
	h := newHostileEnv(t)
	foreign := h.WriteFile("other/keep.txt", "mine\n")
	h.Expect(1, `the target exists and is not an envlock environment`, "install", "-p", filepath.Dir(foreign))
	bad := h.WriteFile("bad.lock", "{not json")
	h.Expect(1, `bad\.lock`, "install", "--lock", bad, "-p", h.Prefix)
}
