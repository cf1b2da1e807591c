package install

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
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
