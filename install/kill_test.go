package install_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/locktest"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/verify"
)

// The kill tests (issue 15, issue 23 point 2) stop a real install process
// with SIGKILL, either at a named point of its run (the child kills
// itself when install.Options.Trace reports the event) or at a random
// moment, and check what a user would see: the prefix is either absent
// (a fresh install) or an environment that verifies clean, and after the
// next run nothing envlock made beside the prefix is left but its lock
// file.

const killChildEnv = "ENVLOCK_KILL_CHILD"

// TestKillChild is the killed process: it installs lock LOCK ("full" or
// "less") from CHAN into PREFIX with the cache PKGS, and SIGKILLs itself
// at the KILL_N-th KILL_AT trace event ("*": any event), KILL_AFTER
// microseconds after it (never when KILL_AT is empty). It prints how many
// events it saw. Run directly, it does nothing.
func TestKillChild(t *testing.T) {
	if os.Getenv(killChildEnv) == "" {
		return
	}
	if os.Getenv("SWAP") == "rename" {
		install.SetSwapRenames(true)
	}
	l, data := killLock(t, os.Getenv("CHAN"), os.Getenv("LOCK"))
	at := os.Getenv("KILL_AT")
	n, _ := strconv.Atoi(os.Getenv("KILL_N"))
	after, _ := strconv.Atoi(os.Getenv("KILL_AFTER"))
	var seen, all atomic.Int64
	_, err := install.Apply(context.Background(), install.Options{
		Lock: l, LockData: data, Platform: "linux-64", Prefix: os.Getenv("PREFIX"),
		Fetcher: locktest.Fetcher(t, os.Getenv("PKGS")),
		Trace: func(ev, pkg string) {
			all.Add(1)
			if ev != at && at != "*" {
				return
			}
			if seen.Add(1) != int64(n) {
				return
			}
			if after == 0 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Minute)
			}
			time.AfterFunc(time.Duration(after)*time.Microsecond, func() { syscall.Kill(os.Getpid(), syscall.SIGKILL) })
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("\nENVLOCK-EVENTS %d\n", all.Load())
}

// killLock locks the demo channel: "full" is every package, "less" all
// but greet-py (so installing one over the other is an update).
func killLock(t testing.TB, ch, which string) (*lockfile.Lock, []byte) {
	t.Helper()
	var keep func(*repodata.Record) bool
	if which == "less" {
		keep = func(r *repodata.Record) bool { return r.Name != "greet-py" }
	}
	return locktest.Channel(t, ch, keep)
}

// A killEnv is a channel, a cache and a prefix in one temporary root.
type killEnv struct {
	t                      *testing.T
	ch, root, prefix, pkgs string
	swap                   string // "" or "rename"
}

func newKillEnv(t *testing.T, ch, swap string) *killEnv {
	root := t.TempDir()
	return &killEnv{t: t, ch: ch, root: root, prefix: filepath.Join(root, "envs", "env"), pkgs: filepath.Join(root, "pkgs"), swap: swap}
}

func killChannel(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "channel")
	if err := condapkg.WriteChannel(dir, condapkg.Demo(), nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// child starts the install of lock which, to be killed at the n-th event
// at ("" for none).
func (k *killEnv) child(which, at string, n int, after ...time.Duration) *exec.Cmd {
	k.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		k.t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestKillChild$")
	cmd.Env = append(os.Environ(), killChildEnv+"=1", "CHAN="+k.ch, "PREFIX="+k.prefix, "PKGS="+k.pkgs,
		"LOCK="+which, "KILL_AT="+at, "KILL_N="+strconv.Itoa(n), "SWAP="+k.swap)
	if len(after) > 0 {
		cmd.Env = append(cmd.Env, "KILL_AFTER="+strconv.FormatInt(after[0].Microseconds(), 10))
	}
	return cmd
}

// install runs the install of lock which in this process: the next run.
func (k *killEnv) install(which string) {
	k.t.Helper()
	if k.swap == "rename" {
		install.SetSwapRenames(true)
		defer install.SetSwapRenames(false)
	}
	l, data := killLock(k.t, k.ch, which)
	if _, err := install.Apply(context.Background(), install.Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: k.prefix, Fetcher: locktest.Fetcher(k.t, k.pkgs)}); err != nil {
		k.t.Fatalf("the run after the kill: %v", err)
	}
}

// verifyClean checks the environment at dir verifies clean against the
// lock it records.
func verifyClean(t *testing.T, dir, when string) {
	t.Helper()
	l, data, _, err := verify.InstalledLock(dir)
	if err != nil || l == nil {
		t.Fatalf("%s: %s records no readable lock: %v", when, dir, err)
	}
	r, err := verify.Prefix(context.Background(), verify.Options{Prefix: dir, Lock: l, LockData: data})
	if err != nil {
		t.Fatalf("%s: verify %s: %v", when, dir, err)
	}
	if r.Status != verify.StatusClean {
		t.Fatalf("%s: %s does not verify clean: status %s, packages %+v, files %+v", when, dir, r.Status, r.Packages, r.Files.Issues)
	}
}

// lockFileName is the one thing envlock may leave beside a prefix (the
// pattern of cmd/envlock's hostile suite).
var lockFileName = regexp.MustCompile(`^\.envlock-[^/]*\.lock$`)

// debris lists what is beside the prefix other than it and its lock file.
func (k *killEnv) debris() []string {
	ents, err := os.ReadDir(filepath.Dir(k.prefix))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		k.t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.Name() != filepath.Base(k.prefix) && !lockFileName.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// killed waits for a child that should die of SIGKILL and fails when it
// ended otherwise (the kill point was never reached).
func killed(t *testing.T, cmd *exec.Cmd, what string) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("%s: the install was not killed (%v); the kill point was never reached:\n%s", what, err, out)
	}
}

// TestKillAtEvents kills fresh installs and updates at each named point
// and checks the prefix after the kill and after the next run.
func TestKillAtEvents(t *testing.T) {
	ch := killChannel(t)
	type kcase struct {
		update bool
		at     string
		n      int
		// absent: after this kill (of an update, in rename mode) the
		// prefix may be gone until the next run, with the old
		// environment whole at .envlock-old-<name>.
		absent bool
	}
	cases := map[string][]kcase{
		"exchange": {
			{false, "stage", 1, false}, {false, "link", 2, false}, {false, "link", 4, false}, {false, "synced", 1, false},
			{true, "stage", 1, false}, {true, "link", 2, false}, {true, "link", 4, false}, {true, "synced", 1, false},
			{true, "swapped", 1, false},
		},
		"rename": {
			{true, "journal", 1, false}, // roll back: the old prefix is still in place
			{true, "swap", 1, true},     // roll back: the old prefix is moved back
			{true, "swapped", 1, false}, // roll forward: the new prefix stays, the old is deleted
		},
	}
	for _, mode := range []string{"exchange", "rename"} {
		for _, c := range cases[mode] {
			kind := "fresh"
			if c.update {
				kind = "update"
			}
			name := mode + "/" + kind + "/" + c.at + "#" + strconv.Itoa(c.n)
			t.Run(name, func(t *testing.T) {
				swapMode := mode
				if mode == "exchange" {
					swapMode = ""
				}
				k := newKillEnv(t, ch, swapMode)
				want := "full"
				if c.update {
					k.install("less")
					verifyClean(t, k.prefix, "before the kill")
				}
				killed(t, k.child(want, c.at, c.n), name)
				if _, err := os.Lstat(k.prefix); err == nil {
					verifyClean(t, k.prefix, "after the kill at "+name)
				} else if c.update && !c.absent {
					t.Fatalf("after the kill at %s the environment is gone: %v (beside it: %v)", name, err, k.debris())
				} else if c.absent {
					verifyClean(t, filepath.Join(filepath.Dir(k.prefix), ".envlock-old-env"), "the moved-aside environment after the kill at "+name)
				}
				k.install(want)
				verifyClean(t, k.prefix, "after the next run")
				if d := k.debris(); len(d) > 0 {
					t.Errorf("after the kill at %s and the next run, left beside the prefix: %v", name, d)
				}
			})
		}
	}
}

// TestKillRandom SIGKILLs 20 updates of a good environment at random
// moments of their run: the child kills itself a random 0-3 ms after a
// random one of its trace events (so the kill lands inside the install
// however loaded the machine is; one that lands after the run finished
// is not counted). After each kill the prefix verifies clean, and after
// the next run nothing but the lock file is left beside it.
func TestKillRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("20 install processes")
	}
	ch := killChannel(t)
	k := newKillEnv(t, ch, "")
	k.install("less")
	// How many trace events an uninterrupted update has.
	out, err := k.child("full", "", 0).CombinedOutput()
	if err != nil {
		t.Fatalf("an uninterrupted run: %v\n%s", err, out)
	}
	var events int
	for _, line := range strings.Split(string(out), "\n") {
		fmt.Sscanf(line, "ENVLOCK-EVENTS %d", &events)
	}
	if events < 10 {
		t.Fatalf("an uninterrupted update reported %d trace events:\n%s", events, out)
	}
	k.install("less")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	landed, tries := 0, 0
	which := "full"
	for landed < 20 {
		if tries++; tries > 80 {
			t.Fatalf("only %d of %d kills landed while the install ran", landed, tries-1)
		}
		n := 1 + rng.IntN(events)
		after := time.Duration(rng.Int64N(int64(3 * time.Millisecond)))
		out, err := k.child(which, "*", n, after).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			if err != nil {
				t.Fatalf("the install to be killed failed: %v\n%s", err, out)
			}
			// It finished first: not a kill. The prefix now holds
			// which; try again with the other lock.
			which = map[string]string{"full": "less", "less": "full"}[which]
			continue
		}
		landed++
		when := fmt.Sprintf("kill %d (%v after event %d of %d)", landed, after, n, events)
		verifyClean(t, k.prefix, "after "+when)
		k.install(which)
		verifyClean(t, k.prefix, "after the run after "+when)
		if d := k.debris(); len(d) > 0 {
			t.Fatalf("after %s and the next run, left beside the prefix: %v", when, d)
		}
		if which == "full" {
			which = "less"
		} else {
			which = "full"
		}
	}
	t.Logf("20 kills landed in %d tries (%d trace events a run)", tries, events)
}
