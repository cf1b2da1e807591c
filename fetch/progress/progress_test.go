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
