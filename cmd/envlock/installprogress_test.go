package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestInstallDisplayPlain: off a terminal the display prints plain
// lines (here at every change: interval 0) that count in IEC units and
// in correctly plural packages, never lowers a count when parallel
// workers report out of order, and says nothing of fetching when
// everything came from the cache.
func TestInstallDisplayPlain(t *testing.T) {
	var b strings.Builder
	d := newInstallDisplay(&b, 3072, 2, 0)
	d.Cached(1024)
	d.Add(1024)
	d.stage("extract", 2, 2)
	d.stage("extract", 1, 2) // a worker's late report
	d.stage("link", 1, 2)
	d.println("note: a note")
	d.stage("compile", 0, 0)
	d.Finish()
	want := []string{
		"installing: 1.0 KiB of 3.0 KiB in the package cache, 0 of 2 packages extracted, 0 linked",
		"installing: 2.0 KiB of 3.0 KiB in the package cache, 0 of 2 packages extracted, 0 linked",
		"installing: 2.0 KiB of 3.0 KiB in the package cache, 2 of 2 packages extracted, 0 linked",
		// The late report changed nothing: no line.
		"installing: 2.0 KiB of 3.0 KiB in the package cache, 2 of 2 packages extracted, 1 linked",
		"note: a note",
		"installing: 2.0 KiB of 3.0 KiB in the package cache, 2 of 2 packages extracted, 1 linked, byte-compiling",
	}
	if got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := d.summary(); !regexp.MustCompile(`^1\.0 KiB fetched in \d+(\.\d)?m?s, 1\.0 KiB from the cache$`).MatchString(s) {
		t.Errorf("summary %q", s)
	}

	// One package, all of it in the cache.
	b.Reset()
	d = newInstallDisplay(&b, 512, 1, 0)
	d.Cached(512)
	d.Cached(0) // a repeated report: the same line is not printed twice
	d.stage("extract", 1, 1)
	d.Finish()
	if got, want := b.String(), "installing: 0 of 1 package extracted, 0 linked\ninstalling: 1 of 1 package extracted, 0 linked\n"; got != want {
		t.Errorf("cached install printed %q, want %q", got, want)
	}
	if s := d.summary(); s != "" {
		t.Errorf("nothing fetched, summary %q", s)
	}
}

// TestInstallDisplayTerminal: on a terminal the display is three bars
// (fetch in IEC bytes, extract and link counts) redrawn in place: each
// redraw goes back to the display's first line and rewrites every line
// erased to its end, a note goes above it, and Finish erases it whole,
// leaving the cursor where the display began.
func TestInstallDisplayTerminal(t *testing.T) {
	var b strings.Builder
	d := newDisplay(&b, true, 60, 4096, 2, 0)
	d.Add(4096) // the fetch stage ends: drawn at once
	first := b.String()
	lines := strings.Split(first, "\n")
	if len(lines) != 3 || !strings.HasPrefix(first, "\r\x1b[K") {
		t.Fatalf("first draw %q: want three lines, each erased to its end", first)
	}
	for i, re := range []string{
		`^\r?\x1b\[Kfetching +100% \|█+\| \(4\.0/4\.0 KiB`,
		`^\x1b\[Kextracting +0% \| +\| \(0/2\)$`,
		`^\x1b\[Klinking +0% \| +\| \(0/2\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i+1, lines[i], re)
		}
	}
	for _, l := range lines {
		if n := len([]rune(strings.TrimPrefix(strings.TrimPrefix(l, "\r"), "\x1b[K"))); n >= 60 {
			t.Errorf("line %q is %d columns on a 60-column terminal: it would wrap", l, n)
		}
	}

	n := b.Len()
	d.stage("extract", 2, 2)
	if got := b.String()[n:]; !strings.HasPrefix(got, "\r\x1b[2A\x1b[K") || !strings.Contains(got, "(2/2)") {
		t.Errorf("redraw %q: want the cursor back two lines, then the lines rewritten", got)
	}

	n = b.Len()
	d.println("note: hard links were not possible")
	if got := b.String()[n:]; !strings.HasPrefix(got, "\r\x1b[2A\x1b[Jnote: hard links were not possible\n\r\x1b[K") {
		t.Errorf("a note printed %q: want the display erased, the note, the display again", got)
	}

	d.stage("compile", 0, 0)
	n = b.Len()
	d.Finish()
	if got := b.String()[n:]; got != "\r\x1b[3A\x1b[J" {
		t.Errorf("Finish wrote %q, want the four lines erased from the first", got)
	}
	n = b.Len()
	d.Abort()
	if b.Len() != n {
		t.Errorf("Abort after Finish wrote %q", b.String()[n:])
	}
}
