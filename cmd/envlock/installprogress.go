package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/envlock/envlock/fetch/progress"
)

// installDisplay shows an install's stages as one display: the bytes
// fetched into the package cache, then the conda packages and wheels
// extracted there and linked into the environment, and byte-compiling.
// On a terminal the stages are a few lines of bars (progressbar),
// redrawn in place and erased at the end, so the summary line stands
// alone; elsewhere (a log, -q) a plain line says how far it has come at
// most every interval.
//
// It is the Fetcher's progress.Reporter (bytes) and hears
// install.Options.Progress (stages, through stage) and the install's
// notes (println), which it prints above the bars.
type installDisplay struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	width    int // the terminal's columns (0: unknown)
	interval time.Duration
	start    time.Time
	lastByte time.Time

	fetchTotal, fetched, cached int64
	artifacts                   int64 // conda packages and wheels
	extracted, linked           int64
	compiling                   bool

	// On a terminal: a bar per stage, rendered into io.Discard and read
	// back with String, so that the display draws them together.
	fetchBar, extractBar, linkBar *progressbar.ProgressBar
	lines                         int       // display lines on screen
	drawn                         time.Time // the last redraw
	said                          time.Time // off a terminal: when the last line was printed
	lastLine                      string    // and what it said
}

// redrawEvery bounds how often the terminal display is redrawn.
const redrawEvery = 100 * time.Millisecond

// newInstallDisplay returns the display for an install of artifacts
// conda packages and wheels, fetchTotal bytes of them.
func newInstallDisplay(w io.Writer, fetchTotal int64, artifacts int, interval time.Duration) *installDisplay {
	width := 0
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			width = cols
		}
	}
	return newDisplay(w, isTerminalWriter(w), width, fetchTotal, artifacts, interval)
}

// newDisplay is newInstallDisplay for a writer known to be a terminal
// of width columns (0: unknown), or not.
func newDisplay(w io.Writer, tty bool, width int, fetchTotal int64, artifacts int, interval time.Duration) *installDisplay {
	d := &installDisplay{w: w, tty: tty, width: width, interval: interval, start: time.Now(),
		fetchTotal: fetchTotal, artifacts: int64(artifacts)}
	d.said = d.start
	if !d.tty {
		return d
	}
	bar := func(max int64, desc string, bytes bool) *progressbar.ProgressBar {
		if max <= 0 {
			return nil
		}
		b := progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(io.Discard),
			progressbar.OptionSetDescription(fmt.Sprintf("%-11s", desc)),
			progressbar.OptionShowBytes(bytes),
			progressbar.OptionUseIECUnits(true), // KiB/MiB, as the summary
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetWidth(24),
		)
		b.RenderBlank()
		return b
	}
	d.fetchBar = bar(fetchTotal, "fetching", true)
	d.extractBar = bar(int64(artifacts), "extracting", false)
	d.linkBar = bar(int64(artifacts), "linking", false)
	return d
}

// Add counts n bytes fetched.
func (d *installDisplay) Add(n int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fetched += n
	d.lastByte = time.Now()
	d.bytes(n)
}

// Cached counts n bytes found in the package cache.
func (d *installDisplay) Cached(n int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cached += n
	d.bytes(n)
}

// bytes moves the fetch bar; d.mu is held.
func (d *installDisplay) bytes(n int64) {
	if d.fetchBar != nil && d.fetched+d.cached <= d.fetchTotal {
		d.fetchBar.Add64(n)
	}
	d.update(d.fetched+d.cached == d.fetchTotal)
}

// stage is install.Options.Progress: extraction and linking, done of
// total artifacts (a count only rises here: "link" starts again at 1 when
// clobbering packages are relinked one by one, and the bar stays full),
// and "compile" when byte-compiling begins.
func (d *installDisplay) stage(stage string, done, total int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var bar *progressbar.ProgressBar
	switch stage {
	case "extract":
		if done <= d.extracted {
			return
		}
		d.extracted, bar = done, d.extractBar
	case "link":
		if done <= d.linked {
			return
		}
		d.linked, bar = done, d.linkBar
	case "compile":
		d.compiling = true
	default:
		return
	}
	if total > d.artifacts {
		d.artifacts = total
	}
	if bar != nil && done <= bar.GetMax64() {
		bar.Set64(done)
	}
	d.update(done == total)
}

// println prints a line (a note) above the display.
func (d *installDisplay) println(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.lines
	d.erase()
	fmt.Fprintln(d.w, s)
	if n > 0 {
		d.draw()
	}
}

// Finish takes the display off the screen; the caller prints the
// summary (summary says what was fetched).
func (d *installDisplay) Finish() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.erase()
}

// Abort takes the display off the screen, so that an error (or
// "interrupted", after a Ctrl-C the terminal echoed as "^C") is printed
// on a clean line.
func (d *installDisplay) Abort() { d.Finish() }

// update redraws the display, or prints the plain line, when it is
// time (or now, when a stage just ended); d.mu is held.
func (d *installDisplay) update(now bool) {
	t := time.Now()
	if !d.tty {
		if line := d.plain(); t.Sub(d.said) >= d.interval && line != d.lastLine {
			d.said, d.lastLine = t, line
			fmt.Fprintln(d.w, line)
		}
		return
	}
	if now || t.Sub(d.drawn) >= redrawEvery {
		d.draw()
	}
}

// plain is the line printed off a terminal.
func (d *installDisplay) plain() string {
	var parts []string
	if d.fetched+d.cached < d.fetchTotal {
		// Downloaded or found there: the summary says which.
		parts = append(parts, fmt.Sprintf("%s of %s in the package cache", progress.Bytes(d.fetched+d.cached), progress.Bytes(d.fetchTotal)))
	}
	parts = append(parts, fmt.Sprintf("%d of %s extracted", d.extracted, count(int(d.artifacts), "package")),
		fmt.Sprintf("%d linked", d.linked))
	s := "installing: " + strings.Join(parts, ", ")
	if d.compiling {
		s += ", byte-compiling"
	}
	return s
}

// draw redraws the display in place: back to its first line, each line
// rewritten and erased to its end, the cursor left at the end of the
// last (where a Ctrl-C's "^C" lands, erased with the display); d.mu is
// held.
func (d *installDisplay) draw() {
	var b strings.Builder
	d.home(&b)
	lines := d.text()
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		if r := []rune(l); d.width > 1 && len(r) >= d.width {
			// A wrapped line would break the redraw. (The bars' runes
			// are one column wide each.)
			l = string(r[:d.width-1])
		}
		b.WriteString("\x1b[K" + l)
	}
	io.WriteString(d.w, b.String())
	d.lines, d.drawn = len(lines), time.Now()
}

// home moves the cursor to the start of the display's first line.
func (d *installDisplay) home(b *strings.Builder) {
	b.WriteByte('\r')
	if d.lines > 1 {
		fmt.Fprintf(b, "\x1b[%dA", d.lines-1)
	}
}

// erase removes the display, leaving the cursor where it began; d.mu is
// held.
func (d *installDisplay) erase() {
	if d.lines == 0 {
		return
	}
	var b strings.Builder
	d.home(&b)
	b.WriteString("\x1b[J")
	io.WriteString(d.w, b.String())
	d.lines = 0
}

// text is the display's lines: the fetch, extract and link bars, and
// a line for byte-compiling once it began.
func (d *installDisplay) text() []string {
	render := func(bar *progressbar.ProgressBar, alt string) string {
		if bar == nil {
			return alt
		}
		if s := strings.TrimSpace(strings.Trim(bar.String(), "\r")); s != "" {
			return s
		}
		return alt
	}
	lines := []string{
		render(d.fetchBar, fmt.Sprintf("%-11s%s", "fetching", progress.Bytes(d.fetched+d.cached))),
		render(d.extractBar, fmt.Sprintf("%-11s%d/%d", "extracting", d.extracted, d.artifacts)),
		render(d.linkBar, fmt.Sprintf("%-11s%d/%d", "linking", d.linked, d.artifacts)),
	}
	if d.compiling {
		lines = append(lines, "byte-compiling the .py files…")
	}
	return lines
}

// summary says what was fetched, for the install's summary line: ""
// when everything came from the package cache.
func (d *installDisplay) summary() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fetched == 0 {
		return ""
	}
	s := fmt.Sprintf("%s fetched in %s", progress.Bytes(d.fetched), roundDuration(d.lastByte.Sub(d.start)))
	if d.cached > 0 {
		s += fmt.Sprintf(", %s from the cache", progress.Bytes(d.cached))
	}
	return s
}

// roundDuration rounds d for people: milliseconds under a second, else
// tenths of a second.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
