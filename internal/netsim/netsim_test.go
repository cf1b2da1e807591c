package netsim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLinkDelays: a response arrives no sooner than the latency plus its
// size at the link's bandwidth, and concurrent responses share the
// bandwidth. Only lower bounds are asserted: sleeping guarantees them,
// a loaded machine can only add to them.
func TestLinkDelays(t *testing.T) {
	body := strings.Repeat("x", 125_000) // 1 Mbit
	l := &Link{Latency: 30 * time.Millisecond, BitsPerSecond: 20_000_000}
	srv := httptest.NewServer(l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	})))
	defer srv.Close()
	get := func() {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if len(b) != len(body) {
			t.Errorf("got %d bytes, want %d", len(b), len(body))
		}
	}
	start := time.Now()
	get()
	if d := time.Since(start); d < 30*time.Millisecond+50*time.Millisecond {
		t.Errorf("one 1 Mbit response at 20 Mbit/s after 30 ms took %v, want ≥ 80ms", d)
	}
	start = time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(get)
	}
	wg.Wait()
	if d := time.Since(start); d < 30*time.Millisecond+200*time.Millisecond {
		t.Errorf("four concurrent 1 Mbit responses took %v, want ≥ 230ms (they share 20 Mbit/s)", d)
	}
}
