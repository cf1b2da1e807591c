// Package netsim makes a loopback server behave like a real link for
// benchmarks: every request waits a fixed latency before its first byte,
// and all responses share one bandwidth limit, as downloads from one
// mirror share the user's connection. Loopback HTTP alone has neither, so
// it flatters whatever makes many requests and whatever downloads much.
package netsim

import (
	"net/http"
	"sync"
	"time"
)

// A Link is a simulated network link.
type Link struct {
	// Latency is added before each response's first byte.
	Latency time.Duration
	// BitsPerSecond is the bandwidth all responses share; 0 is unlimited.
	BitsPerSecond int64

	mu   sync.Mutex
	free time.Time // when the link has sent everything queued so far
	last *writer   // the response that reserved the link last
}

// chunk is how much is sent at once; smaller chunks interleave
// concurrent responses more finely.
const chunk = 16 << 10

// idle is how long the link must have had nothing to send before a new
// transfer's clock starts at now.
const idle = 50 * time.Millisecond

// Handler wraps h so its responses go over the link.
func (l *Link) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(l.Latency)
		h.ServeHTTP(&writer{ResponseWriter: w, l: l}, r)
	})
}

// wait reserves the link for n bytes of w and sleeps until they are sent.
func (l *Link) wait(w *writer, n int) {
	if l.BitsPerSecond <= 0 {
		return
	}
	d := time.Duration(int64(n) * 8 * int64(time.Second) / l.BitsPerSecond)
	l.mu.Lock()
	now := time.Now()
	// An idle link starts afresh at now; but when the same response
	// goes on after a sleep that overslept (a loaded machine), the lost
	// time is caught up with, so the bandwidth seen over a transfer stays
	// what was asked for.
	if l.free.Before(now) && (w != l.last || now.Sub(l.free) > idle) {
		l.free = now
	}
	l.last = w
	l.free = l.free.Add(d)
	until := l.free
	l.mu.Unlock()
	time.Sleep(time.Until(until))
}

type writer struct {
	http.ResponseWriter
	l *Link
}

func (w *writer) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), chunk)
		w.l.wait(w, n)
		m, err := w.ResponseWriter.Write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}
