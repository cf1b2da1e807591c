package spec

import (
	"context"
	"errors"
	"testing"
	"time"
)

// slowCUE takes a while (a 90 000-element comprehension) but ends, so an
// abandoned evaluation does not outlive the test binary by much. The
// runaway cases run as real processes in cmd/envlock (TestHostileCancel).
const slowCUE = "package env\n\nimport \"list\"\n\nname: \"slow\"\nchannels: [\"conda-forge\"]\n" +
	"env: X: \"\\(len([for a in list.Range(0,300,1) for b in list.Range(0,300,1) {a*b}]))\"\n"

func TestLoadBudget(t *testing.T) {
	dir := t.TempDir()
	opts := &LoadOptions{Host: "linux-64", Overlay: map[string][]byte{"env.cue": []byte(slowCUE)}, Timeout: time.Millisecond}
	_, err := LoadContext(context.Background(), dir, opts)
	var be *BudgetError
	if !errors.As(err, &be) || !errors.Is(err, ErrBudget) {
		t.Fatalf("err = %v, want a BudgetError", err)
	}
	want := dir + "/env.cue: evaluation exceeded 1ms: simplify the comprehension at " + dir + "/env.cue:7:17"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := LoadContext(ctx, t.TempDir(), &LoadOptions{Overlay: map[string][]byte{"env.cue": []byte(slowCUE)}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{2 << 30: "2 GiB", 256 << 20: "256 MiB", 1536 << 20: "1536 MiB", 100: "100 bytes"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
