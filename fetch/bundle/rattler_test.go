package bundle

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/rattlertest"
)

// TestChannelReadByRattler unpacks a bundle and solves against its
// channel/ folder with py-rattler (the library behind pixi), a second
// conda tool, expecting exactly the bundled records.
func TestChannelReadByRattler(t *testing.T) {
	rattlertest.Python(t)
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
	got, _ := rattlertest.Solve(t, "file://"+filepath.ToSlash(filepath.Join(dir, "channel")), "linux-64",
		[][3]string{{"__glibc", "2.17", "0"}, {"__unix", "0", "0"}}, "greet-py")
	var want []string
	for _, pk := range l.Platforms[0].Packages {
		want = append(want, pk.Name+" "+pk.Version+" "+pk.Build)
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("py-rattler read the bundle's channel as:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
