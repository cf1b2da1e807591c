package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envlock/envlock/internal/testdata"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"envlock": func() { os.Exit(main1()) },
	})
}

// TestScript runs the end-to-end scenarios in testdata/script: each is a
// session a user could type, with its expected output and exit code.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// $SHARED is ../shared/data when present; scripts that need it
			// start with "[!exists $SHARED] skip".
			if root, err := testdata.ModuleRoot(); err == nil {
				env.Setenv("SHARED", filepath.Join(filepath.Dir(root), "shared", "data"))
			}
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			return nil
		},
	})
}
