package export

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
	"github.com/envlock/envlock/lock/lockfile"
)

// writeWheel writes a minimal real wheel (PEP 427: the package, and a
// dist-info with METADATA, WHEEL and RECORD) into dir and returns its
// file name and sha256.
func writeWheel(t *testing.T, dir, name, version string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	distInfo := name + "-" + version + ".dist-info"
	files := []struct{ path, body string }{
		{name + "/__init__.py", fmt.Sprintf("__version__ = %q\n", version)},
		{distInfo + "/METADATA", fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: envlock test wheel\n", name, version)},
		{distInfo + "/WHEEL", "Wheel-Version: 1.0\nGenerator: envlock-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var record strings.Builder
	for _, f := range files {
		w, err := zw.Create(f.path)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
		sum := sha256.Sum256([]byte(f.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.path, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.body))
	}
	record.WriteString(distInfo + "/RECORD,,\n")
	w, err := zw.Create(distInfo + "/RECORD")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	fn := name + "-" + version + "-py3-none-any.whl"
	if err := os.WriteFile(filepath.Join(dir, fn), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return fn, hex.EncodeToString(sum[:])
}

// TestRequirementsPip has the real pip check the requirements export in
// hash-checking mode against wheels the test builds: pip accepts the
// file and would install exactly the locked versions; a wrong hash in
// the lock makes pip refuse.
func TestRequirementsPip(t *testing.T) {
	py := testenv.Tool(t, "python3", "the pip check needs python3 with pip")
	// .ci/run installs no particular pip (the other peers come through
	// it); the version is logged so a failure can be reproduced.
	pipVersion, err := exec.Command(py, "-m", "pip", "--version").CombinedOutput()
	if err != nil {
		testenv.Missing(t, "pip", "apt-get install python3-pip: "+strings.TrimSpace(string(pipVersion)))
	}
	t.Logf("peer: %s", strings.TrimSpace(string(pipVersion)))
	links := t.TempDir()
	l := &lockfile.Lock{Name: "pipcheck", Platforms: []*lockfile.Platform{{Platform: "linux-64"}}}
	for _, w := range [][2]string{{"envlock_alpha", "1.2.0"}, {"envlock_beta", "0.3.1"}} {
		fn, sum := writeWheel(t, links, w[0], w[1])
		// An older version beside it: pip must pick the pinned one.
		writeWheel(t, links, w[0], "0.0.1")
		l.Platforms[0].PyPI = append(l.Platforms[0].PyPI, &lockfile.Wheel{Name: w[0], Version: w[1], URL: "https://pypi.example/" + fn, SHA256: sum})
	}
	pip := func(l *lockfile.Lock) (string, error) {
		req, err := Requirements(l, "linux-64")
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "requirements.txt")
		if err := os.WriteFile(file, req, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(py, "-m", "pip", "install", "--dry-run", "--require-hashes", "--no-deps", "--no-index",
			"--find-links", links, "--disable-pip-version-check", "--no-cache-dir", "-r", file)
		cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_REQUIRE_VIRTUALENV=0")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := pip(l)
	if err != nil {
		t.Fatalf("pip rejects the requirements export: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Would install envlock_alpha-1.2.0 envlock_beta-0.3.1") && !strings.Contains(out, "Would install envlock-alpha-1.2.0 envlock-beta-0.3.1") {
		t.Errorf("pip would not install the locked versions:\n%s", out)
	}
	t.Logf("pip: %s", strings.TrimSpace(out[strings.LastIndex(out, "Would install"):]))

	l.Platforms[0].PyPI[1].SHA256 = strings.Repeat("0", 64)
	if out, err := pip(l); err == nil || !strings.Contains(out, "HASHES") {
		t.Errorf("pip accepted a wrong hash (err %v):\n%s", err, out)
	}
}

// TestRequirementsErrors: a wheel pip could not check is an error that
// names it.
func TestRequirementsErrors(t *testing.T) {
	l := &lockfile.Lock{Name: "x", Platforms: []*lockfile.Platform{{Platform: "linux-64", PyPI: []*lockfile.Wheel{{Name: "six", Version: "1.16.0"}}}}}
	if _, err := Requirements(l, "linux-64"); err == nil || !strings.Contains(err.Error(), "wheel six 1.16.0 has no valid sha256") {
		t.Errorf("err = %v", err)
	}
	if _, err := Requirements(l, "osx-arm64"); err == nil || !strings.Contains(err.Error(), `no platform "osx-arm64" (it has linux-64)`) {
		t.Errorf("err = %v", err)
	}
}
