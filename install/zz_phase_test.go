package install

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestZZPhases(t *testing.T) {
	ch := benchChannelIn(t, filepath.Join("/dev/shm", "zzphase-"+fmt.Sprint(time.Now().UnixNano()), "channel"))
	l, data := lockOf(t, ch, nil)
	pkgs := filepath.Join(filepath.Dir(ch), "pkgs")
	f := fetcher(t, pkgs)
	Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: filepath.Join(filepath.Dir(ch), "e0"), Fetcher: f})
	for r := 1; r < 4; r++ {
		var mu sync.Mutex
		start := time.Now()
		var evs []string
		_, err := Apply(context.Background(), Options{Lock: l, LockData: data, Platform: "linux-64", Prefix: filepath.Join(filepath.Dir(ch), fmt.Sprint("e", r)), Fetcher: fetcher(t, pkgs),
			Trace: func(ev, pkg string) {
				mu.Lock()
				if pkg == "" || pkg == "pkg00" || pkg == "pkg39" {
					evs = append(evs, fmt.Sprintf("%s %s %.1f", ev, pkg, float64(time.Since(start).Microseconds())/1000))
				}
				mu.Unlock()
			}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("total %v: %v", time.Since(start), evs)
	}
}
