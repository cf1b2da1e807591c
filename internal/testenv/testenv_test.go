package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// childEnv makes TestChild act: "missing" calls Missing, "version" calls
// Version with a wrong version.
const childEnv = "ENVLOCK_TESTENV_CHILD"

func TestChild(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "missing":
		Missing(t, "frobtool", "apt-get install frobtool")
		t.Log("Missing returned")
	case "version":
		Version(t, "frobtool", "frobtool 1.0\n", "2.0")
		t.Log("Version returned")
	}
}

// TestStrict runs TestChild in a child process with and without strict
// mode: a missing peer skips, saying what and how, or fails the test; a
// wrong version is logged, or fails it.
func TestStrict(t *testing.T) {
	for _, tc := range []struct {
		mode, strict string
		fail         bool
		want         []string
	}{
		{"missing", "", false, []string{"--- SKIP: TestChild", "frobtool is not available (apt-get install frobtool)"}},
		{"missing", "0", false, []string{"--- SKIP: TestChild"}},
		{"missing", "1", true, []string{"--- FAIL: TestChild", "frobtool is not available (apt-get install frobtool); ENVLOCK_TEST_STRICT=1 requires it"}},
		{"version", "", false, []string{"--- PASS: TestChild", `frobtool reports version "frobtool 1.0"; the figures in the notes are for 2.0`, "Version returned"}},
		{"version", "1", true, []string{"--- FAIL: TestChild", `frobtool reports version "frobtool 1.0", want 2.0 (the one .ci/run installs)`}},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+tc.mode, StrictEnv+"="+tc.strict)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tc.fail {
			t.Errorf("%s with %s=%q: failed %v, want %v\n%s", tc.mode, StrictEnv, tc.strict, failed, tc.fail, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s with %s=%q: output lacks %q\n%s", tc.mode, StrictEnv, tc.strict, w, out)
			}
		}
		if tc.mode == "missing" && strings.Contains(string(out), "Missing returned") {
			t.Errorf("Missing returned to the test:\n%s", out)
		}
	}
}
