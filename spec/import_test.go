package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/envlock/envlock/internal/testdata"
)

// TestImport imports the first file of each testdata/import/*.txtar (the
// other files are what it refers to) and compares the env.cue written and
// the notes, or the errors, with the archive's golden sections. Every
// env.cue written must load.
func TestImport(t *testing.T) {
	files, err := filepath.Glob("testdata/import/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input := ar.Files[0]
			inputs := map[string][]byte{}
			golden := map[string]*txtar.File{}
			for i := range ar.Files {
				f := &ar.Files[i]
				switch f.Name {
				case "env.cue", "notes", "errors":
					golden[f.Name] = f
				default:
					inputs[f.Name] = f.Data
				}
			}
			read := func(name string) ([]byte, error) {
				if data, ok := inputs[name]; ok {
					return data, nil
				}
				return nil, fs.ErrNotExist
			}
			got := map[string]string{}
			d, notes, err := Import(input.Name, input.Data, read)
			if err != nil {
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("error is not Errors: %v", err)
				}
				got["errors"] = err.Error() + "\n"
			} else {
				src, err := d.Format()
				if err != nil {
					t.Fatal(err)
				}
				got["env.cue"] = string(src)
				var b strings.Builder
				for _, n := range notes {
					fmt.Fprintln(&b, n)
				}
				got["notes"] = b.String()
				if _, err := Load(t.TempDir(), &LoadOptions{Host: "linux-64", Overlay: map[string][]byte{"env.cue": src}}); err != nil {
					t.Errorf("the env.cue written does not load:\n%v\n%s", err, src)
				}
			}
			for name, text := range got {
				g := golden[name]
				if g == nil {
					t.Errorf("no %s section; got:\n%s", name, text)
					continue
				}
				if *update {
					g.Data = []byte(text)
					continue
				}
				if diff := cmp.Diff(string(g.Data), text); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
				}
			}
			if *update {
				if err := os.WriteFile(file, txtar.Format(ar), 0o666); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestImportShared imports the real environment files of conda, mamba
// and rattler in ../shared/data/envfiles: each must import and load.
func TestImportShared(t *testing.T) {
	for _, dir := range []string{"envfiles/environment-yml", "envfiles/explicit"} {
		root := testdata.SharedPath(t, dir)
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Run(e.Name(), func(t *testing.T) {
				p := filepath.Join(root, e.Name())
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				d, notes, err := Import(e.Name(), data, func(name string) ([]byte, error) {
					return os.ReadFile(filepath.Join(root, name))
				})
				if err != nil {
					t.Fatalf("Import: %v", err)
				}
				for _, n := range notes {
					t.Logf("note: %v", n)
				}
				src, err := d.Format()
				if err != nil {
					t.Fatal(err)
				}
				m, err := Load(t.TempDir(), &LoadOptions{Host: "linux-64", Overlay: map[string][]byte{"env.cue": src}})
				if err != nil {
					t.Fatalf("Load:\n%v\n%s", err, src)
				}
				n := len(m.Dependencies)
				for _, tg := range m.Target {
					n += len(tg.Dependencies)
				}
				if n == 0 {
					t.Errorf("no dependencies imported:\n%s", src)
				}
			})
		}
	}
}
