// Package condatest runs real conda (26.7.1, classic solver, with
// conda-index and conda-pack) as a peer for interop and differential
// tests: the same channel, the same packages, the same prefix path, made
// or read by conda itself. .ci/run builds it with
// ../shared/peers/conda-setup.sh; tests find it through
// $ENVLOCK_CONDA_PEER (the installation's root) or, by default,
// ${XDG_CACHE_HOME:-$HOME/.cache}/envlock-ci/conda, and skip (fail in
// strict mode, see internal/testenv) without it.
package condatest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
)

// PeerEnv names the variable that points at the conda installation.
const PeerEnv = "ENVLOCK_CONDA_PEER"

// Version is the conda release .ci/run builds.
const Version = "26.7.1"

// Conda is a real conda installation with an isolated package cache and
// home.
type Conda struct {
	Root string // the installation: bin/conda, bin/python, bin/conda-pack
	Pkgs string // CONDA_PKGS_DIRS for this test
	// Env are more KEY=VALUE settings for every command
	// (CONDA_ALWAYS_SOFTLINK=true).
	Env  []string
	home string
}

// Root returns where the conda peer is expected.
func Root() string {
	if r := os.Getenv(PeerEnv); r != "" {
		return r
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "envlock-ci", "conda")
}

// Find returns the conda peer, or stops t (testenv.Missing).
func Find(t testing.TB) *Conda {
	t.Helper()
	root := Root()
	bin := filepath.Join(root, "bin", "conda")
	if _, err := os.Stat(bin); err != nil {
		testenv.Missing(t, "real conda at "+root, "bash ../shared/peers/conda-setup.sh "+root+", as .ci/run does, or set "+PeerEnv)
	}
	c := &Conda{Root: root, Pkgs: t.TempDir(), home: t.TempDir()}
	out, err := c.Command("--version").CombinedOutput()
	if err != nil {
		testenv.Missing(t, "a working conda at "+root, "conda --version: "+err.Error()+": "+string(out))
	}
	testenv.Version(t, "conda", string(out), Version)
	return c
}

// Command returns a command running bin/name of the installation
// ("conda" when name is a conda subcommand) with the environment the
// tests use: the classic solver, no pip added to python, the test's own
// package cache, home and configuration, offline.
func (c *Conda) Command(args ...string) *exec.Cmd {
	return c.Tool("conda", args...)
}

// Tool is Command for another program of the installation (conda-pack,
// python).
func (c *Conda) Tool(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.Root, "bin", name), args...)
	var env []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "CONDA") || strings.HasPrefix(e, "HOME=") || strings.HasPrefix(e, "PYTHON") {
			continue
		}
		env = append(env, e)
	}
	cmd.Env = append(env,
		"HOME="+c.home,
		"CONDA_SOLVER=classic",
		"CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY=false",
		"CONDA_PKGS_DIRS="+c.Pkgs,
		"CONDA_OFFLINE=true",
		"CONDA_NOTIFY_OUTDATED_CONDA=false",
		"CONDA_REPORT_ERRORS=false",
		"CONDA_CHANNEL_PRIORITY=strict",
		"CONDA_OVERRIDE_GLIBC=2.36",
	)
	cmd.Env = append(cmd.Env, c.Env...)
	return cmd
}

// Run runs conda with args and returns its stdout; a failure fails t
// with conda's output.
func (c *Conda) Run(t testing.TB, args ...string) string {
	t.Helper()
	return c.RunTool(t, "conda", args...)
}

// RunTool is Run for another program of the installation.
func (c *Conda) RunTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := c.Tool(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// Create makes an environment at prefix from the channel at channelURL
// (only that channel), with extra flags (--copy, --file F) and specs.
func (c *Conda) Create(t testing.TB, prefix, channelURL string, args ...string) {
	t.Helper()
	c.Run(t, append([]string{"create", "-q", "-y", "-p", prefix, "--override-channels", "-c", channelURL, "--offline"}, args...)...)
}
