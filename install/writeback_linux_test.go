package install

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func TestCrossesThird(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []int // the counts at which it says true
	}{
		{1, []int{1}},
		{2, []int{1, 2}},
		{3, []int{1, 2}},
		{4, []int{2, 3}},
		{6, []int{2, 4}},
		{40, []int{14, 27}},
	} {
		var got []int
		for done := 1; done <= tc.n; done++ {
			if crossesThird(done, tc.n) {
				got = append(got, done)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("crossesThird(·, %d) is true at %v, want %v", tc.n, got, tc.want)
		}
	}
}

// TestWritebackEarly checks that a cold install starts writing back
// before its final sync, once for each third of the packages it
// extracts, and that a warm one, which extracts nothing, does not.
func TestWritebackEarly(t *testing.T) {
	ch := demoChannel(t)
	l, data := lockOf(t, ch, nil)
	if len(l.Platforms[0].Packages) < 3 {
		t.Fatalf("the demo channel has %d packages; the test needs 3", len(l.Platforms[0].Packages))
	}
	f := fetcher(t, t.TempDir())
	install := func() []string {
		var mu sync.Mutex
		var events []string
		_, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: filepath.Join(t.TempDir(), "env"), Fetcher: f,
			Trace: func(ev, _ string) {
				if ev == "writeback" || ev == "sync" || ev == "synced" {
					mu.Lock()
					events = append(events, ev)
					mu.Unlock()
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		return events
	}
	// Two kicks, unless the first syncfs was still running at the
	// second: then one.
	cold := install()
	if !slices.Equal(cold, []string{"writeback", "writeback", "sync", "synced"}) && !slices.Equal(cold, []string{"writeback", "sync", "synced"}) {
		t.Errorf("cold install: events %v, want writeback (once or twice) before sync", cold)
	}
	if warm := install(); !slices.Equal(warm, []string{"sync", "synced"}) {
		t.Errorf("warm install: events %v, want only sync, synced", warm)
	}
}

// TestNoSync checks that NoSync installs without flushing: no early
// write-back and no sync before the swap, and the environment is whole.
func TestNoSync(t *testing.T) {
	ch := demoChannel(t)
	l, data := lockOf(t, ch, nil)
	var mu sync.Mutex
	var events []string
	prefix := filepath.Join(t.TempDir(), "env")
	res, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: prefix, Fetcher: fetcher(t, t.TempDir()), NoSync: true,
		Trace: func(ev, _ string) {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev == "writeback" || ev == "sync" || ev == "synced" {
			t.Errorf("NoSync install traced %q: %v", ev, events)
		}
	}
	if res.Packages != len(l.Platforms[0].Packages) {
		t.Errorf("installed %d packages, want %d", res.Packages, len(l.Platforms[0].Packages))
	}
	if _, err := os.Stat(filepath.Join(prefix, "conda-meta", "history")); err != nil {
		t.Errorf("the environment is not in place: %v", err)
	}
}
