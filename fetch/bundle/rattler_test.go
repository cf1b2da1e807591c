package bundle

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestChannelReadByRattler unpacks a bundle and solves against its
// channel/ folder with py-rattler (the library behind pixi), a second
// conda tool, expecting exactly the bundled records.
func TestChannelReadByRattler(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	if out, err := exec.Command(py, "-c", "import rattler").CombinedOutput(); err != nil {
		t.Skipf("py-rattler is not installed (pip install py-rattler): %s", strings.TrimSpace(string(out)))
	}
	l, _, b := demo(t)
	dir := t.TempDir()
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		data, _ := io.ReadAll(tr)
		os.WriteFile(p, data, 0o644)
	}
	script := `
import asyncio, os, sys
from rattler import BuildString, GenericVirtualPackage, PackageName, Version, solve
async def main():
    vps = [GenericVirtualPackage(PackageName("__glibc"), Version("2.17"), BuildString("0")),
           GenericVirtualPackage(PackageName("__unix"), Version("0"), BuildString("0"))]
    recs = await solve(sources=[sys.argv[1]], specs=sys.argv[2:], platforms=["linux-64", "noarch"], virtual_packages=vps)
    for r in sorted(recs, key=lambda r: r.name.normalized):
        print(r.name.normalized, r.version, r.build)
asyncio.run(main())
# py-rattler's runtime can crash while the interpreter shuts down, after
# the answer is printed (seen in CI: SIGSEGV at exit); leave at once.
sys.stdout.flush()
os._exit(0)
`
	out, err := exec.Command(py, "-c", script, "file://"+filepath.ToSlash(filepath.Join(dir, "channel")), "greet-py").CombinedOutput()
	if err != nil {
		t.Fatalf("py-rattler: %v\n%s", err, out)
	}
	var want []string
	for _, pk := range l.Platforms[0].Packages {
		want = append(want, pk.Name+" "+pk.Version+" "+pk.Build)
	}
	if got := strings.TrimSpace(string(out)); got != strings.Join(want, "\n") {
		t.Errorf("py-rattler read the bundle's channel as:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
