// Package testenv decides what a test does when something it needs from
// outside the module is missing: a peer tool (py-rattler, uv, conda,
// cosign, a registry), a Debian tool, or the real data in ../shared.
//
// Normally such a test skips, saying what is missing and how to get it.
// With ENVLOCK_TEST_STRICT=1 (set by .ci/run) it fails instead, so
// evidence cannot vanish from a green run. Every test that depends on
// something outside the module goes through Missing; none calls t.Skip
// for that reason by itself.
package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// StrictEnv is the variable that turns missing peers and data into
// failures.
const StrictEnv = "ENVLOCK_TEST_STRICT"

// Strict reports whether missing peers and data fail tests.
func Strict() bool {
	v := os.Getenv(StrictEnv)
	return v != "" && v != "0" && v != "false"
}

// Missing stops t because what is not available: it skips, or under
// strict mode fails. how says how to get it (an install command, the
// .ci/run step).
func Missing(t testing.TB, what, how string) {
	t.Helper()
	msg := what + " is not available"
	if how != "" {
		msg += " (" + how + ")"
	}
	if Strict() {
		t.Fatalf("%s; %s=1 requires it", msg, StrictEnv)
	}
	t.Skip(msg)
}

// Tool returns the path of the command name on PATH, or calls Missing.
func Tool(t testing.TB, name, how string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name, how)
	}
	return p
}

// Version checks that the peer what reports version got (the output of
// its version command, trimmed) and, under strict mode, that it is the
// version .ci/run installs: a differential test against another version
// is not the evidence its note claims. Outside strict mode a mismatch is
// logged.
func Version(t testing.TB, what, got, want string) {
	t.Helper()
	got = strings.TrimSpace(got)
	if strings.Contains(got, want) {
		return
	}
	if Strict() {
		t.Fatalf("%s reports version %q, want %s (the one .ci/run installs)", what, got, want)
	}
	t.Logf("%s reports version %q; the figures in the notes are for %s", what, got, want)
}
