// Package rattlertest runs py-rattler, the solver behind pixi, as a peer
// for differential tests: the same request on the same channel, solved by
// another conda tool. Tests skip, saying why, where python3 or py-rattler
// is missing (.ci/run installs py-rattler).
package rattlertest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
)

// script solves and prints "name version build" per record, or one line
// "UNSAT <first line of rattler's message>".
const script = `
import asyncio, os, sys, json
from rattler import BuildString, GenericVirtualPackage, PackageName, Version, solve
async def main():
    ch, plat, virt = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    vps = [GenericVirtualPackage(PackageName(n), Version(v), BuildString(b)) for n, v, b in virt]
    try:
        recs = await solve(sources=[ch], specs=sys.argv[4:], platforms=[plat, "noarch"], virtual_packages=vps)
    except Exception as e:
        print("UNSAT", str(e).splitlines()[0]); return
    for r in sorted(recs, key=lambda r: r.name.normalized):
        print(r.name.normalized, r.version, r.build)
asyncio.run(main())
# py-rattler's runtime can crash while the interpreter shuts down, after
# the answer is printed (seen in CI: SIGSEGV at exit); leave at once.
sys.stdout.flush()
os._exit(0)
`

// Version is the py-rattler .ci/run installs.
const Version = "0.28.0"

// Python returns the python3 that has py-rattler, checking its version,
// or stops the test through testenv (a skip, or a failure under strict
// mode).
func Python(t testing.TB) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3", "the differential test against py-rattler needs it")
	}
	// The import is what the tests use; the distribution's metadata is
	// where its version is (rattler has no __version__ of its own).
	const probe = "import rattler, importlib.metadata as m; print(m.version('py-rattler'))"
	out, err := exec.Command(py, "-c", probe).CombinedOutput()
	if err != nil {
		testenv.Missing(t, "py-rattler", "python3 -m pip install py-rattler=="+Version+", as .ci/run does: "+strings.TrimSpace(string(out)))
	}
	testenv.Version(t, "py-rattler", string(out), Version)
	return py
}

// Solve solves specs on the channel at channelURL for plat and noarch,
// with the given virtual packages (name, version, build). It returns the
// records as sorted "name version build" lines, or unsat when rattler
// finds no solution. Any other failure of rattler fails the test.
func Solve(t testing.TB, channelURL, plat string, virt [][3]string, specs ...string) (recs []string, unsat bool) {
	t.Helper()
	py := Python(t)
	p := filepath.Join(t.TempDir(), "solve.py")
	if err := os.WriteFile(p, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	vj, _ := json.Marshal(virt)
	out, err := exec.Command(py, append([]string{p, channelURL, plat, string(vj)}, specs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("py-rattler: %v\n%s", err, out)
	}
	s := strings.TrimSpace(string(out))
	if strings.HasPrefix(s, "UNSAT") {
		if !strings.Contains(s, "Cannot solve the request") {
			t.Fatalf("py-rattler failed: %s", s)
		}
		return nil, true
	}
	if s == "" {
		return nil, false
	}
	recs = strings.Split(s, "\n")
	sort.Strings(recs)
	return recs, false
}
