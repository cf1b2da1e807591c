package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/envlock/envlock/install/wheel"
	"github.com/envlock/envlock/internal/wheelpkg"
	"github.com/envlock/envlock/lock/lockfile"
)

// TestWheelsSideBySide links wheels through a wheelRun: wheels that
// write no common path are all installed; when two write the same path
// the later in the lock's order wins, as one after another would have
// it: side by side, the earlier (the larger, started first, its copy of
// the path last) would write it after the later one.
func TestWheelsSideBySide(t *testing.T) {
	const sp = "lib/python3.11/site-packages"
	mk := func(name string, files int, shared string) (string, *lockfile.Wheel) {
		w := &wheelpkg.Wheel{Name: name, Version: "1.0"}
		for i := range files {
			w.Files = append(w.Files, wheelpkg.File{Path: fmt.Sprintf("%s/m%d.py", name, i), Data: []byte(fmt.Sprintf("N = %d\n", i))})
		}
		if shared != "" {
			w.Files = append(w.Files, wheelpkg.File{Path: "shared/common.py", Data: []byte(shared)})
		}
		data, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), w.Filename())
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p, &lockfile.Wheel{Name: name, Version: "1.0"}
	}
	for _, c := range []struct {
		name      string
		overlap   bool
		wantFiles int
	}{
		{"apart", false, 1 + 300 + 4 + 4},
		{"overlap", true, 1 + 1 + 300 + 1 + 4 + 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			sharedA, sharedB := "", ""
			if c.overlap {
				sharedA, sharedB = "WHO = 'a'\n", "WHO = 'b'\n"
			}
			stageDir := t.TempDir()
			stage, err := os.OpenRoot(stageDir)
			if err != nil {
				t.Fatal(err)
			}
			defer stage.Close()
			r := &wheelRun{done: make(chan struct{})}
			close(r.done)
			for _, w := range []struct {
				name   string
				files  int
				shared string
			}{{"alpha", 300, sharedA}, {"beta", 1, sharedB}} {
				archive, lw := mk(w.name, w.files, w.shared)
				plan, err := wheel.Open(archive, wheel.Options{Stage: stage, Prefix: "/envs/p", SitePackages: sp, PythonVersion: "3.11", Name: lw.Name, Version: lw.Version})
				if err != nil {
					t.Fatal(err)
				}
				defer plan.Close()
				r.wheels = append(r.wheels, &preparedWheel{w: lw, plan: plan})
			}
			res := &Result{}
			out, trees, err := r.link(context.Background(), res)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"alpha==1.0", "beta==1.0"}; !slices.Equal(out, want) {
				t.Errorf("wheels = %v, want %v", out, want)
			}
			if len(trees) != 2 || trees[0].Name != "alpha" || trees[1].Name != "beta" {
				t.Errorf("trees = %v, want alpha and beta in the lock's order", trees)
			}
			if res.Files != c.wantFiles {
				t.Errorf("files = %d, want %d", res.Files, c.wantFiles)
			}
			for _, f := range []string{"alpha/m299.py", "beta/m0.py", "alpha-1.0.dist-info/RECORD", "beta-1.0.dist-info/INSTALLER"} {
				if _, err := os.Stat(filepath.Join(stageDir, sp, f)); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
			if c.overlap {
				got, err := os.ReadFile(filepath.Join(stageDir, sp, "shared/common.py"))
				if err != nil || string(got) != sharedB {
					t.Errorf("shared/common.py = %q, %v; want the later wheel's %q", got, err, sharedB)
				}
			}
		})
	}
}
