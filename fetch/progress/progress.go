// Package progress reports download progress: one overall bar with bytes
// and rate when stderr is a terminal (schollz/progressbar), and plain
// periodic lines otherwise, so CI logs stay readable.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// A Reporter is told about bytes as they arrive.
type Reporter interface {
	Add(n int64)
	// Finish ends the report with a summary line.
	Finish()
}

// New returns a reporter for total bytes (0 when unknown) writing to w:
// a bar when tty, else a line at most every interval.
func New(w io.Writer, what string, total int64, tty bool, interval time.Duration) Reporter {
	if tty {
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(30),
		)
		return &barReporter{bar: bar, w: w, what: what, start: time.Now()}
	}
	return &lineReporter{w: w, what: what, total: total, interval: interval, start: time.Now(), last: time.Now()}
}

type barReporter struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	what  string
	start time.Time
	n     int64
	mu    sync.Mutex
}

func (b *barReporter) Add(n int64) {
	b.mu.Lock()
	b.n += n
	b.mu.Unlock()
	b.bar.Add64(n)
}

func (b *barReporter) Finish() {
	b.bar.Finish()
	fmt.Fprintf(b.w, "%s: %s in %s\n", b.what, Bytes(b.n), time.Since(b.start).Round(time.Millisecond))
}

type lineReporter struct {
	mu       sync.Mutex
	w        io.Writer
	what     string
	total, n int64
	interval time.Duration
	start    time.Time
	last     time.Time
}

func (l *lineReporter) Add(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n += n
	if now := time.Now(); now.Sub(l.last) >= l.interval {
		l.last = now
		fmt.Fprintf(l.w, "%s: %s of %s\n", l.what, Bytes(l.n), Bytes(l.total))
	}
}

func (l *lineReporter) Finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s: %s in %s\n", l.what, Bytes(l.n), time.Since(l.start).Round(time.Millisecond))
}

// Bytes formats a byte count for people.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Discard reports nothing.
var Discard Reporter = discard{}

type discard struct{}

func (discard) Add(int64) {}
func (discard) Finish()   {}
