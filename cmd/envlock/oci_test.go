package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"

	"github.com/envlock/envlock/internal/registrytest"
	"github.com/envlock/envlock/internal/testenv"
)

// registryCmd implements, for the oci*.txtar scripts:
//
//	registry start [-auth USER:PASS]  start a real registry; sets $REGISTRY (host:port)
//	registry start -token USER:PASS   the same with token auth (Bearer challenges)
//	                                   and its token server, which takes USER:PASS
//	registry token VAR REPO ACTIONS [-expired]
//	                                   sign a token of the token server for REPO
//	                                   ("pull", "pull,push") into $VAR
//	registry corrupt DIGEST|FILE       flip a byte of a blob in its storage
//	registry remove DIGEST|FILE        delete a blob's data from its storage
//
// (FILE names the blob of that file's bytes.)
//
// Scripts start with "[!registry] skip": without docker-registry they skip,
// or fail under ENVLOCK_TEST_STRICT (registryCondition).
func registryCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: registry start [-auth|-token USER:PASS] | registry token VAR REPO ACTIONS [-expired] | registry corrupt|remove DIGEST")
	}
	switch args[0] {
	case "start":
		bin, err := exec.LookPath(registrytest.Command)
		if err != nil {
			ts.Fatalf("%s is not available; start the script with [!registry] skip", registrytest.Command)
		}
		dir, err := os.MkdirTemp(ts.Getenv("WORK"), ".registry-*")
		ts.Check(err)
		if len(args) == 3 && args[1] == "-token" {
			user, pass, _ := strings.Cut(args[2], ":")
			tsrv, err := registrytest.StartTokenServer(dir, user, pass)
			ts.Check(err)
			ts.Defer(tsrv.Close)
			r, err := registrytest.RunToken(bin, dir, tsrv)
			ts.Check(err)
			ts.Defer(r.Stop)
			registries.Store(ts, r)
			tokenServers.Store(ts, tsrv)
			ts.Setenv("REGISTRY", r.Host)
			return
		}
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
		registries.Store(ts, r)
		ts.Setenv("REGISTRY", r.Host)
	case "token":
		v, ok := tokenServers.Load(ts)
		if !ok || len(args) < 4 || len(args) > 5 || len(args) == 5 && args[4] != "-expired" {
			ts.Fatalf("usage: registry token VAR REPO ACTIONS [-expired], after registry start -token")
		}
		ttl := 5 * time.Minute
		if len(args) == 5 {
			ttl = -5 * time.Minute
		}
		tok, err := v.(*registrytest.TokenServer).Token("ci", []registrytest.Access{{Type: "repository", Name: args[2], Actions: strings.Split(args[3], ",")}}, ttl)
		ts.Check(err)
		ts.Setenv(args[1], tok)
	case "corrupt", "remove":
		v, _ := registries.Load(ts)
		r, _ := v.(*registrytest.Registry)
		if r == nil || len(args) != 2 {
			ts.Fatalf("registry %s DIGEST needs a started registry", args[0])
		}
		digest := args[1]
		if !strings.HasPrefix(digest, "sha256:") {
			// A file: the blob of its bytes.
			b, err := os.ReadFile(ts.MkAbs(digest))
			ts.Check(err)
			sum := sha256.Sum256(b)
			digest = "sha256:" + hex.EncodeToString(sum[:])
		}
		p := r.Blob(digest)
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

// registries and tokenServers are each script's, by script: scripts run
// in parallel.
var registries, tokenServers sync.Map // *testscript.TestScript → *registrytest.Registry, *registrytest.TokenServer

// ociCondition is the [registry], [oras] and [cosign] conditions:
// docker-registry, or the real oras or cosign .ci/run installs, is on
// PATH (at the version .ci/run installs). Missing under strict mode, it
// is an error.
func ociCondition(cond string) (bool, error) {
	tool, how, version, want := registrytest.Command, registrytest.How, "", ""
	switch cond {
	case "oras":
		tool, how, version, want = "oras", "go install oras.land/oras/cmd/oras@v1.3.6; .ci/run builds it", "version", "Version:    1.3.6"
	case "cosign":
		tool, how, version, want = cosignV2(), "go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5 into $XDG_CACHE_HOME/envlock-ci/bin, or $ENVLOCK_COSIGN_V2; .ci/run builds it", "version", "v2.6.5"
	}
	if cond == "conda-oci-mirror" {
		return condaOCIMirrorCondition()
	}
	p, err := exec.LookPath(tool)
	if err != nil {
		if testenv.Strict() {
			return false, fmt.Errorf("%s is not available (%s); %s=1 requires it", tool, how, testenv.StrictEnv)
		}
		return false, nil
	}
	if version != "" {
		out, _ := exec.Command(p, version).CombinedOutput()
		if !strings.Contains(string(out), want) && testenv.Strict() {
			return false, fmt.Errorf("%s reports %q, want %s (the one .ci/run installs)", tool, strings.TrimSpace(string(out)), want)
		}
	}
	return true, nil
}

// condaOCIMirrorCondition is [conda-oci-mirror]: the python in
// $ENVLOCK_CONDA_OCI_MIRROR_PYTHON (a venv .ci/run makes) imports
// conda-oci-mirror 0.3.0. The scripts find it as $CONDA_OCI_MIRROR_PYTHON.
func condaOCIMirrorCondition() (bool, error) {
	py := os.Getenv("ENVLOCK_CONDA_OCI_MIRROR_PYTHON")
	const how = "python3 -m venv V && V/bin/pip install conda-oci-mirror==0.3.0, then ENVLOCK_CONDA_OCI_MIRROR_PYTHON=V/bin/python; .ci/run does this"
	if py == "" {
		if testenv.Strict() {
			return false, fmt.Errorf("conda-oci-mirror is not available (%s); %s=1 requires it", how, testenv.StrictEnv)
		}
		return false, nil
	}
	out, err := exec.Command(py, "-c", "import importlib.metadata as m; print(m.version('conda-oci-mirror'))").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "0.3.0" {
		if testenv.Strict() {
			return false, fmt.Errorf("%s does not have conda-oci-mirror 0.3.0 (%s): %s", py, how, out)
		}
		return false, nil
	}
	return true, nil
}

// cosignV2 is the cosign v2.6.5 the registry cross-checks run: cosign v3
// (first on PATH for lock/sign's tests) no longer signs without a
// transparency log the way these offline tests need.
func cosignV2() string {
	if p := os.Getenv("ENVLOCK_COSIGN_V2"); p != "" {
		return p
	}
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "envlock-ci", "bin", "cosign")
}

// ociPeer adapts ociCondition to the scripts' "need" peers.
func ociPeer(cond string) func() bool {
	return func() bool {
		ok, err := ociCondition(cond)
		return ok && err == nil
	}
}
