package spec

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestLoad loads each testdata/load/*.txtar as a project directory and
// compares the outcome with the archive's golden section: "errors" (every
// error Load reports, position included) or "normalized.json". A file
// named policy.cue is passed as the site policy.
func TestLoad(t *testing.T) {
	files, err := filepath.Glob("testdata/load/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			abs, err := filepath.Abs(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			opts := &LoadOptions{Host: "linux-64"}
			var golden *txtar.File
			for i := range ar.Files {
				f := &ar.Files[i]
				switch f.Name {
				case "errors", "normalized.json":
					golden = f
					continue
				case "policy.cue":
					opts.Policy = "policy.cue"
				case "policy-file":
					// A policy shipped elsewhere in the repository.
					data, err := os.ReadFile(strings.TrimSpace(string(f.Data)))
					if err != nil {
						t.Fatal(err)
					}
					opts.Policy = filepath.Base(strings.TrimSpace(string(f.Data)))
					if err := os.WriteFile(filepath.Join(dir, opts.Policy), data, 0o666); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o666); err != nil {
					t.Fatal(err)
				}
			}
			if golden == nil {
				t.Fatal("no errors or normalized.json section")
			}
			t.Chdir(dir)
			m, err := Load(".", opts)
			var got []byte
			switch {
			case err != nil:
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("Load error is not Errors: %v", err)
				}
				got = []byte(err.Error() + "\n")
				if golden.Name != "errors" {
					t.Fatalf("Load failed, want success:\n%s", got)
				}
			default:
				got = m.Normalized()
				if golden.Name != "normalized.json" {
					t.Fatalf("Load succeeded, want errors:\n%s", golden.Data)
				}
			}
			if *update {
				golden.Data = got
				if err := os.WriteFile(abs, txtar.Format(ar), 0o666); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(string(golden.Data), string(got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden.Name, diff)
			}
		})
	}
}
