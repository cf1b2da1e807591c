package install

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestProgress: the Progress hook counts every package once through
// extraction and once through linking, each stage's count rising by one
// from call to call though workers extract and link in parallel, and
// linking never ahead of extraction.
func TestProgress(t *testing.T) {
	l, data := lockOf(t, demoChannel(t), nil)
	n := int64(len(l.Platforms[0].Packages))
	var (
		mu     sync.Mutex
		events []string
		seen   = map[string]int64{} // the highest done of each stage
		dones  = map[string][]int64{}
	)
	_, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: filepath.Join(t.TempDir(), "env"), Fetcher: fetcher(t, t.TempDir()),
		NoCompile: true,
		Progress: func(stage string, done, total int64) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("%s %d/%d", stage, done, total))
			if total != n {
				t.Errorf("%s: total %d, want %d", stage, total, n)
			}
			if done != seen[stage]+1 {
				t.Errorf("%s: done %d after %d", stage, done, seen[stage])
			}
			dones[stage] = append(dones[stage], done)
			seen[stage] = max(seen[stage], done)
			if seen["link"] > seen["extract"] {
				t.Errorf("linked %d before %d were extracted", seen["link"], seen["extract"])
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if seen["extract"] != n || seen["link"] != n {
		t.Errorf("events %v: want extract and link to reach %d", events, n)
	}
	for _, stage := range []string{"extract", "link"} {
		got := slices.Sorted(slices.Values(dones[stage]))
		var want []int64
		for i := int64(1); i <= n; i++ {
			want = append(want, i)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s counted %v, want each of 1..%d once; events %v", stage, got, n, events)
		}
	}
}

// TestLogOneAtATime: workers that each have something to say reach Log
// one call at a time, so a Log that appends to a slice needs no lock
// (the race detector and an in-flight count would catch two at once).
func TestLogOneAtATime(t *testing.T) {
	l, data := lockOf(t, demoChannel(t), nil)
	pkgs := t.TempDir()
	f := fetcher(t, pkgs)
	f.Parallel = 4
	if _, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: filepath.Join(t.TempDir(), "env"), Fetcher: f, NoCompile: true}); err != nil {
		t.Fatal(err)
	}
	// Change one file in every package's cached tree: a validating
	// install says so for each, from the worker that finds it.
	for _, pk := range l.Platforms[0].Packages {
		dir := filepath.Join(pkgs, strings.TrimSuffix(strings.TrimSuffix(fileName(pk), ".conda"), ".tar.bz2"))
		changed := false
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || changed || !d.Type().IsRegular() || strings.Contains(p, "/info/") {
				return err
			}
			changed = true
			return os.WriteFile(p, []byte("changed\n"), 0o644)
		})
		if err != nil || !changed {
			t.Fatalf("%s: no file changed in %s: %v", pk.Name, dir, err)
		}
	}
	var (
		inFlight atomic.Int32
		logs     []string // no lock: Log is called one at a time
	)
	_, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: filepath.Join(t.TempDir(), "env2"), Fetcher: f, NoCompile: true, Reinstall: true,
		Log: func(s string) {
			if n := inFlight.Add(1); n > 1 {
				t.Errorf("%d Log calls at once", n)
			}
			time.Sleep(10 * time.Millisecond) // a slow terminal: overlap would show
			logs = append(logs, s)
			inFlight.Add(-1)
		}})
	if err != nil {
		t.Fatal(err)
	}
	var changed int
	for _, s := range logs {
		if strings.Contains(s, "was changed (through a hard link?); extracting it again") {
			changed++
		}
	}
	if changed != len(l.Platforms[0].Packages) {
		t.Errorf("%d packages reported changed, want %d: %q", changed, len(l.Platforms[0].Packages), logs)
	}
}
