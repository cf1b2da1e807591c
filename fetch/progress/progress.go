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

// A CacheReporter is also told about bytes that were already in the
// cache: they count towards the total, not towards what was fetched.
type CacheReporter interface {
	Cached(n int64)
}

// Cached tells r about n bytes found in the cache: through Cached when r
// is a CacheReporter, else as progress.
func Cached(r Reporter, n int64) {
	if c, ok := r.(CacheReporter); ok {
		c.Cached(n)
		return
	}
	r.Add(n)
}

// An Aborter can take its display off the screen when the work stops
// early (an error, Ctrl-C), so the error is printed on a clean line.
type Aborter interface {
	Abort()
}

// Abort clears r's display if it has one on screen.
func Abort(r Reporter) {
	if a, ok := r.(Aborter); ok {
		a.Abort()
	}
}

// Then names the work that follows the downloads ("extracting and
// linking"): on a terminal, once every byte is in, the bar gives way to
// that line until Finish or Abort erases it. Off a terminal it does
// nothing (the summary follows).
func Then(r Reporter, what string) {
	if b, ok := r.(*barReporter); ok {
		b.mu.Lock()
		b.next = what
		b.mu.Unlock()
	}
}

// summary is the line Finish prints: the bytes fetched and the time, with
// what was already cached; nothing when nothing was fetched.
func summary(w io.Writer, what string, fetched, cached int64, start time.Time) {
	if fetched == 0 {
		return
	}
	fmt.Fprintf(w, "%s: %s in %s", what, Bytes(fetched), time.Since(start).Round(time.Millisecond))
	if cached > 0 {
		fmt.Fprintf(w, " (%s already cached)", Bytes(cached))
	}
	fmt.Fprintln(w)
}

// New returns a reporter for total bytes (0 when unknown) writing to w:
// a bar when tty, else a line at most every interval.
func New(w io.Writer, what string, total int64, tty bool, interval time.Duration) Reporter {
	if tty {
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowBytes(true),
			// KiB/MiB like the summary line (Bytes), not the bar's
			// default decimal units.
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(30),
		)
		return &barReporter{bar: bar, w: w, what: what, total: total, start: time.Now()}
	}
	return &lineReporter{w: w, what: what, total: total, interval: interval, start: time.Now(), last: time.Now()}
}

type barReporter struct {
	bar              *progressbar.ProgressBar
	w                io.Writer
	what             string
	start            time.Time
	total, n, cached int64
	next             string // the line shown once every byte is in
	shown            bool   // next is on screen
	mu               sync.Mutex
}

func (b *barReporter) Cached(n int64) {
	b.mu.Lock()
	b.cached += n
	b.mu.Unlock()
	b.bar.Add64(n)
	b.done()
}

func (b *barReporter) Add(n int64) {
	b.mu.Lock()
	b.n += n
	b.mu.Unlock()
	b.bar.Add64(n)
	b.done()
}

// done shows the next stage's line once every byte is in (the bar has
// cleared itself on reaching its total).
func (b *barReporter) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next == "" || b.shown || b.total <= 0 || b.n+b.cached < b.total {
		return
	}
	b.shown = true
	fmt.Fprintf(b.w, "\r\x1b[K%s: %s ready; %s…", b.what, Bytes(b.n+b.cached), b.next)
}

// erase takes the next stage's line off the screen; b.mu is held.
func (b *barReporter) erase() {
	if b.shown {
		io.WriteString(b.w, "\r\x1b[K")
		b.shown = false
	}
}

// Abort erases the bar's line, leaving the cursor at its start: the bar,
// then to the end of the line (EL), where the terminal may have echoed
// "^C".
func (b *barReporter) Abort() {
	b.bar.Clear()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shown = false
	io.WriteString(b.w, "\r\x1b[K")
}

func (b *barReporter) Finish() {
	b.bar.Finish()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.erase()
	summary(b.w, b.what, b.n, b.cached, b.start)
}

type lineReporter struct {
	mu               sync.Mutex
	w                io.Writer
	what             string
	total, n, cached int64
	interval         time.Duration
	start            time.Time
	last             time.Time
}

func (l *lineReporter) Cached(n int64) {
	l.mu.Lock()
	l.cached += n
	l.mu.Unlock()
}

func (l *lineReporter) Add(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n += n
	if now := time.Now(); now.Sub(l.last) >= l.interval {
		l.last = now
		fmt.Fprintf(l.w, "%s: %s of %s\n", l.what, Bytes(l.n+l.cached), Bytes(l.total))
	}
}

func (l *lineReporter) Finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	summary(l.w, l.what, l.n, l.cached, l.start)
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
