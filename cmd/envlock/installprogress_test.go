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
		"installing: 1.0 KiB of 3.0 KiB fetched, 0 of 2 packages extracted, 0 linked",
		"installing: 2.0 KiB of 3.0 KiB fetched, 0 of 2 packages extracted, 0 linked",
		"installing: 2.0 KiB of 3.0 KiB fetched, 2 of 2 packages extracted, 0 linked",
		"installing: 2.0 KiB of 3.0 KiB fetched, 2 of 2 packages extracted, 1 linked",
		"note: a note",
		"installing: 2.0 KiB of 3.0 KiB fetched, 2 of 2 packages extracted, 1 linked, byte-compiling",
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
	d.stage("extract", 1, 1)
	d.Finish()
	if got, want := b.String(), "installing: 0 of 1 package extracted, 0 linked\ninstalling: 1 of 1 package extracted, 0 linked\n"; got != want {
		t.Errorf("cached install printed %q, want %q", got, want)
	}
	if s := d.summary(); s != "" {
		t.Errorf("nothing fetched, summary %q", s)
	}
}
