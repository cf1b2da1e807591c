package progress

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSummary: a warm fetch (everything cached) prints nothing; a partly
// warm one says what it fetched and what was already there.
func TestSummary(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var b strings.Builder
		r := New(&b, "fetching", 3000, tty, time.Hour)
		Cached(r, 3000)
		r.Finish()
		if got := b.String(); strings.Contains(got, "fetching:") {
			t.Errorf("tty %v: warm fetch printed %q", tty, got)
		}

		b.Reset()
		r = New(&b, "fetching", 3000, tty, time.Hour)
		Cached(r, 1000)
		r.Add(2048)
		r.Finish()
		if !regexp.MustCompile(`fetching: 2\.0 KiB in \S+ \(1000 B already cached\)\n$`).MatchString(b.String()) {
			t.Errorf("tty %v: summary %q", tty, b.String())
		}
	}
}

// TestBarUnits: the bar counts in IEC units like the summary line, and
// Abort erases the bar's line (blanks, then the line erased to its end).
func TestBarUnits(t *testing.T) {
	var b strings.Builder
	r := New(&b, "fetching", 64<<20, true, time.Hour)
	r.Add(3 << 20)
	time.Sleep(150 * time.Millisecond) // past the bar's throttle
	r.Add(1 << 20)
	out := b.String()
	if !strings.Contains(out, "MiB") || regexp.MustCompile(`\d MB\b`).MatchString(out) {
		t.Errorf("bar not in IEC units: %q", out)
	}
	n := b.Len()
	Abort(r)
	tail := b.String()[n:]
	if !strings.HasPrefix(tail, "\r") || !strings.HasSuffix(tail, "\r\x1b[K") || strings.TrimSpace(strings.Trim(strings.TrimSuffix(tail, "\x1b[K"), "\r")) != "" {
		t.Errorf("Abort wrote %q, want the bar blanked and the line erased", tail)
	}
}

// TestThen: on a terminal, once every byte is in, the next stage's line
// replaces the bar, and Finish erases it before the summary.
func TestThen(t *testing.T) {
	var b strings.Builder
	r := New(&b, "fetching", 2048, true, time.Hour)
	Then(r, "extracting and linking")
	r.Add(1024)
	if strings.Contains(b.String(), "extracting") {
		t.Fatalf("next stage shown before the downloads ended: %q", b.String())
	}
	Cached(r, 1024)
	if !strings.HasSuffix(b.String(), "\r\x1b[Kfetching: 2.0 KiB ready; extracting and linking…") {
		t.Fatalf("after the last byte: %q", b.String())
	}
	n := b.Len()
	r.Finish()
	if got := b.String()[n:]; !strings.HasPrefix(got, "\r\x1b[K") || !regexp.MustCompile(`fetching: 1\.0 KiB in \S+ \(1\.0 KiB already cached\)\n$`).MatchString(got) {
		t.Errorf("Finish wrote %q", got)
	}

	// Off a terminal, Then adds nothing.
	b.Reset()
	r = New(&b, "fetching", 2048, false, time.Hour)
	Then(r, "extracting and linking")
	r.Add(2048)
	if strings.Contains(b.String(), "extracting") {
		t.Errorf("plain output shows the stage line: %q", b.String())
	}
}
