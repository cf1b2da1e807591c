package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"

	"github.com/envlock/envlock/internal/registrytest"
	"github.com/envlock/envlock/internal/testenv"
)

// registryCmd implements, for the oci*.txtar scripts:
//
//	registry start [-auth USER:PASS]  start a real registry; sets $REGISTRY (host:port)
//	registry corrupt DIGEST            flip a byte of a blob in its storage
//	registry remove DIGEST             delete a blob's data from its storage
//
// Scripts start with "[!registry] skip": without docker-registry they skip,
// or fail under ENVLOCK_TEST_STRICT (registryCondition).
func registryCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: registry start [-auth USER:PASS] | registry corrupt|remove DIGEST")
	}
	switch args[0] {
	case "start":
		bin, err := exec.LookPath(registrytest.Command)
		if err != nil {
			ts.Fatalf("%s is not available; start the script with [!registry] skip", registrytest.Command)
		}
		dir, err := os.MkdirTemp(ts.Getenv("WORK"), ".registry-*")
		ts.Check(err)
		htpasswd := ""
		if len(args) == 3 && args[1] == "-auth" {
			user, pass, _ := strings.Cut(args[2], ":")
			h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
			ts.Check(err)
			htpasswd = filepath.Join(dir, "htpasswd")
			ts.Check(os.WriteFile(htpasswd, []byte(user+":"+string(h)+"\n"), 0o644))
		}
		r, err := registrytest.RunAuth(bin, dir, htpasswd)
		ts.Check(err)
		ts.Defer(r.Stop)
		registries[ts] = r
		ts.Setenv("REGISTRY", r.Host)
	case "corrupt", "remove":
		r := registries[ts]
		if r == nil || len(args) != 2 {
			ts.Fatalf("registry %s DIGEST needs a started registry", args[0])
		}
		p := r.Blob(args[1])
		if args[0] == "remove" {
			ts.Check(os.Remove(p))
			return
		}
		b, err := os.ReadFile(p)
		ts.Check(err)
		b[len(b)/2] ^= 0xff
		ts.Check(os.WriteFile(p, b, 0o644))
	default:
		ts.Fatalf("unknown: registry %s", args[0])
	}
}

var registries = map[*testscript.TestScript]*registrytest.Registry{}

// registryCondition is the [registry] condition: docker-registry is
// installed. Missing under strict mode, it is an error.
func registryCondition() (bool, error) {
	if _, err := exec.LookPath(registrytest.Command); err != nil {
		if testenv.Strict() {
			return false, fmt.Errorf("%s is not available (%s); %s=1 requires it", registrytest.Command, registrytest.How, testenv.StrictEnv)
		}
		return false, nil
	}
	return true, nil
}
