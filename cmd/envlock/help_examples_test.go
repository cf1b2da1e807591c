package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/wheelpkg"
)

// helpExamples returns the examples of a command's help: the indented
// lines after "Example:" or "Examples:", a line ending in "\" joined
// with the next, as a user would paste them.
func helpExamples(c *Command) []string {
	initFlags(c)
	var b bytes.Buffer
	c.printHelp(&b)
	var out []string
	in := false
	var cont string
	for _, l := range strings.Split(b.String(), "\n") {
		switch {
		case l == "Example:" || l == "Examples:":
			in = true
		case in && strings.HasPrefix(l, "\t"):
			l = strings.TrimSpace(l)
			if s, ok := strings.CutSuffix(l, `\`); ok {
				cont += s
				continue
			}
			out = append(out, cont+l)
			cont = ""
		case in && l != "":
			in = false
		}
	}
	return out
}

// An exampleRun says how one help example runs in the examples' work
// dir: what must be there first, the exit code its help documents, and
// what its output must show. The example itself is run as extracted,
// with bash, the cluster's storage (/blue/..., /apps/...) and registry
// (ghcr.io) standing in $WORK and the loopback registry.
type exampleRun struct {
	cmd, example string
	// setup are script lines before it (files it reads, the directory).
	setup string
	// cond is a script condition ([jupyter], [lmod], [conda]) the
	// example needs: without it the example is not run (strict mode
	// fails instead).
	cond string
	// prelude is shell set-up a user's login shell would hold (Lmod's
	// module function), and after an earlier example of the same
	// command whose shell state it needs ("module use" before "module
	// load"): both run first, in the same shell.
	prelude, after string
	// code is the documented exit code; oneOf allows another (a network
	// that may or may not be there).
	code  int
	oneOf *int
	// check are script lines after it: assertions on its output.
	check string
}

// exampleRuns are every help example, in the order a user would try
// them on one project; TestHelpExamples fails when an example is missing
// here (add how it runs) or an entry names an example no help has.
var exampleRuns = []exampleRun{
	{cmd: "init", example: `envlock init --name ml --platform linux-64 --platform osx-arm64 'python=3.12' 'numpy>=1.26'`,
		setup: "mkdir $WORK/init\ncd $WORK/init",
		check: "grep '^name: \"ml\"$' env.cue\ngrep '^\\tnumpy: +\">=1.26\"$' env.cue"},

	// The project: conda packages and a PyPI index served on loopback.
	{cmd: "lock", example: `envlock lock`, setup: "cd $WORK/proj", check: "exists env.lock"},
	{cmd: "lock", example: `envlock lock --update numpy`},
	{cmd: "lock", example: `envlock lock --check`},
	{cmd: "lock", example: `envlock lock --check --scan`, check: "stdout '^ok: every ELF file of linux-64 runs on glibc'"},
	{cmd: "check", example: `envlock check`},
	{cmd: "check", example: `envlock check --policy /apps/envlock/hipergator.cue`,
		setup: "mkdir $WORK/apps/envlock\ncp $WORK/hipergator.cue $WORK/apps/envlock/hipergator.cue"},
	{cmd: "check", example: `envlock check --json | jq .dependencies`, check: "stdout '\"numpy\": \"numpy\\[version=''>=1\\.26''\\]\"'"},
	{cmd: "add", example: `envlock add scipy "numpy>=1.26"`, setup: "exec git init -q\nexec git add env.cue env.lock\nexec git commit -qm 'numpy'",
		check: "stdout '^\\+ +linux-64 +scipy +- +1\\.13\\.1 py311h0_0 '"},
	{cmd: "diff", example: `git show HEAD~1:env.lock > old.lock && envlock diff old.lock env.lock`,
		setup: "exec git commit -qam 'scipy'", check: "stdout '^\\+ +linux-64 +scipy +- +1\\.13\\.1 '"},
	{cmd: "add", example: `envlock add --pypi "torch-geometric==2.5.3"`, check: "stdout '^\\+ +linux-64 +torch-geometric \\(pypi\\) +- +2\\.5\\.3$'"},
	{cmd: "add", example: `envlock add --platform linux-64 "cuda-version 12.*"`, check: "stdout '^\\+ +linux-64 +cuda-version +- +12\\.4 h0_0 '"},
	{cmd: "drop", example: `envlock drop scipy`, check: "stdout '^- +linux-64 +scipy +1\\.13\\.1 py311h0_0 .* +-$'"},
	{cmd: "drop", example: `envlock drop --pypi torch-geometric`, check: "stdout '^- +linux-64 +torch-geometric \\(pypi\\) +2\\.5\\.3 +-$'"},

	// The environment, on the cluster's storage.
	{cmd: "install", example: `envlock install -p /blue/mylab/envs/proj --pkgs-dir /blue/mylab/pkgs`,
		check: "stderr '^installed 4 packages \\(7 files; \\d+\\.\\d KiB fetched in .*\\) into '${WORK@R}'/blue/mylab/envs/proj$'\nexists $WORK/blue/mylab/pkgs/numpy-2.0.1-py311h0_0.conda"},
	{cmd: "run", example: `envlock run -p /blue/mylab/envs/proj -- python train.py --epochs 10`,
		check: "stdout '^training numpy 2\\.0\\.1 for 10 epochs$'"},
	{cmd: "shell-hook", example: `eval "$(envlock shell-hook -p /blue/mylab/envs/proj)"`},
	{cmd: "shell-hook", example: `eval "$(envlock shell-hook -p /blue/mylab/envs/proj --deactivate)"`},
	{cmd: "kernel", example: `envlock kernel install -p /blue/mylab/envs/proj --display-name "Proj (py3.11)"`, cond: "jupyter",
		check: "exists $JUPYTER_DATA_DIR/kernels/proj/kernel.json"},
	{cmd: "kernel", example: `envlock kernel list`, cond: "jupyter", check: "stdout 'proj'"},
	{cmd: "kernel", example: `envlock kernel remove proj`, cond: "jupyter", check: "! exists $JUPYTER_DATA_DIR/kernels/proj"},
	{cmd: "module", example: `envlock module -p /blue/mylab/envs/proj --name proj --version 2024.05 --out /blue/mylab/modulefiles`,
		check: "exists $WORK/blue/mylab/modulefiles/proj/2024.05.lua"},
	{cmd: "module", example: `module use /blue/mylab/modulefiles`, cond: "lmod", prelude: ". " + lmodInit},
	{cmd: "module", example: `module load proj/2024.05`, cond: "lmod", prelude: ". " + lmodInit, after: `module use /blue/mylab/modulefiles`},
	{cmd: "verify", example: `envlock verify -p /blue/mylab/envs/proj`, check: "stdout '^clean'"},
	{cmd: "verify", example: `envlock verify -p ~/miniconda3/envs/old --json > report.json`,
		setup: "exec envlock install -p $HOME/miniconda3/envs/old", check: "vetjson report.json"},
	{cmd: "doctor", example: `envlock doctor --lock env.lock`},
	{cmd: "doctor", example: `CONDA_OVERRIDE_GLIBC=2.12 envlock doctor   # as an old node would see it`, code: exitHost},
	{cmd: "doctor", example: `envlock doctor -p /blue/mylab/envs/proj     # and what is installed there`},
	{cmd: "list", example: `envlock list -n proj`, check: "stdout '^numpy +2\\.0\\.1 '"},
	{cmd: "env", example: `envlock env list`, check: "stdout '^proj '"},

	// Moving it elsewhere.
	{cmd: "export", example: `envlock export --format explicit --platform linux-64 -o linux-64.txt`, check: "grep '^@EXPLICIT$' linux-64.txt"},
	{cmd: "export", example: `envlock export --format requirements --platform linux-64 -o requirements.txt`},
	{cmd: "export", example: `envlock export --format conda-lock -o conda-lock.yml`},
	{cmd: "bundle", example: `envlock bundle --platform linux-64 -o proj.envlock.tar.zst`, check: "exists proj.envlock.tar.zst"},
	{cmd: "search", example: `envlock search 'python 3.9.*' --channel ./conda-forge-subset --platform linux-64`, cond: "shared",
		setup: "[shared] exec ln -s $SHARED/repodata/conda-forge-py39-subset conda-forge-subset", check: "stdout '^python +3\\.9\\.'"},
	{cmd: "solve", example: `envlock solve --channel ./channel --platform linux-64 'python 3.11.*' numpy`,
		setup: "exec ln -s $WORK/www/channel channel", check: "stdout '^numpy +2\\.0\\.1 '"},

	// Signing and sharing.
	{cmd: "keygen", example: `ENVLOCK_PASSWORD=… envlock keygen --out lab`, check: "exists lab.key\nexists lab.pub\nenv ENVLOCK_PASSWORD=…"},
	{cmd: "sign", example: `envlock sign --key lab.key --bundle env.lock`, check: "exists env.lock.sigstore.json"},
	{cmd: "verify-lock", example: `envlock verify-lock --key lab.pub env.lock`, check: "stdout 'signature OK'"},
	{cmd: "push", example: `envlock push --sign-key lab.key oci://ghcr.io/mylab/envs/proj:2026-11`, cond: "registry",
		setup: "[registry] registry start", check: "stdout '/mylab/envs/proj@sha256:'"},
	{cmd: "pull", example: `envlock pull oci://ghcr.io/mylab/envs/proj:2026-11 --key lab.pub -o proj.envlock.tar`, cond: "registry",
		check: "exists proj.envlock.tar"},
	{cmd: "verify-lock", example: `envlock verify-lock --certificate-oidc-issuer https://token.actions.githubusercontent.com --certificate-identity-regexp '^https://github\.com/our-lab/project/\.github/workflows/lock\.yml@refs/heads/main$'`,
		setup: "sigstore root trusted_root.json\nsigstore sign env.lock env.lock.sigstore.json https://github.com/our-lab/project/.github/workflows/lock.yml@refs/heads/main https://token.actions.githubusercontent.com\nenv ENVLOCK_TRUSTED_ROOT=$WORK/proj/trusted_root.json",
		check: "stdout 'signed by https://github.com/our-lab/project/.github/workflows/lock.yml@refs/heads/main'"},

	// Projects from elsewhere.
	{cmd: "import", example: `envlock import environment.yml`,
		setup: "mkdir $WORK/imp-yml\ncd $WORK/imp-yml\nexec sh -c 'sed \"s|SERVER|$SERVER|\" $WORK/environment.yml.in > environment.yml'",
		check: "stderr '^wrote env.cue: 2 conda dependencies, 0 PyPI requirements$'\ngrep '^name: \"analysis\"$' env.cue"},
	{cmd: "import", example: `conda list --explicit --md5 | envlock import - -o env.cue`, cond: "conda",
		setup:   "mkdir $WORK/imp-explicit\ncd $WORK/imp-explicit\nenv CONDA_PREFIX=$WORK/blue/mylab/envs/proj",
		prelude: `PATH="$ENVLOCK_CONDA_PEER/bin:$PATH"`, check: "stderr '^wrote env.cue: 4 conda dependencies, 0 PyPI requirements$'\ngrep '^\\tnumpy: +\"2\\.0\\.1 py311h0_0\"$' env.cue\nenv CONDA_PREFIX="},
	{cmd: "import", example: `envlock import pixi.lock --environment cuda`,
		setup: "mkdir $WORK/imp-pixi\ncd $WORK/imp-pixi\ncp $WORK/pixi.lock pixi.lock", check: "grep '^name: \"cuda\"$' env.cue"},
	{cmd: "import", example: `envlock import -p ~/miniconda3/envs/analysis -o analysis/env.cue`,
		setup: "cd $WORK/proj\nexec envlock install -p $HOME/miniconda3/envs/analysis\ncd $WORK/imp-pixi",
		check: "grep '^name: \"analysis\"$' analysis/env.cue"},

	// This machine and this user.
	{cmd: "host", example: `envlock host`, setup: "cd $WORK/proj"},
	{cmd: "host", example: `CONDA_OVERRIDE_GLIBC=2.17 envlock host --json`, check: "stdout '\"__glibc\"'"},
	{cmd: "config", example: `envlock config --show-sources`},
	{cmd: "completion", example: `mkdir -p ~/.local/share/bash-completion/completions && envlock completion bash > ~/.local/share/bash-completion/completions/envlock`,
		check: "exists $HOME/.local/share/bash-completion/completions/envlock"},
	// It needs Sigstore's TUF repository: offline it fails and says so.
	{cmd: "trusted-root", example: `envlock trusted-root --out /apps/envlock/trusted_root.json`, code: exitFail, oneOf: ptr(exitOK)},
	// A site's own instance: example.edu has no such host, so it fails
	// naming the mirror, after reading the root.json it was given.
	{cmd: "trusted-root", example: `envlock trusted-root --mirror https://tuf.sigstore.example.edu --root root.json`, code: exitFail,
		setup: "sigstore tuf $WORK/tuf-repo root.json",
		check: "stderr '^envlock trusted-root: updating the TUF metadata of https://tuf.sigstore.example.edu: '"},

	{cmd: "remove", example: `envlock remove -p /blue/mylab/envs/proj`, check: "! exists $WORK/blue/mylab/envs/proj"},
}

// TestHelpExamples runs every example of every command's help, as
// written, in one work dir set up as a small project (a channel and a
// PyPI index on loopback, the cluster's /blue and /apps under $WORK),
// each with the exit code its help documents.
func TestHelpExamples(t *testing.T) {
	table := map[string]*exampleRun{}
	for i := range exampleRuns {
		r := &exampleRuns[i]
		if table[r.cmd+"\x00"+r.example] != nil {
			t.Errorf("%s: example listed twice: %s", r.cmd, r.example)
		}
		table[r.cmd+"\x00"+r.example] = r
	}
	found := map[*exampleRun]bool{}
	for _, c := range commands {
		ex := helpExamples(c)
		if len(ex) == 0 {
			t.Errorf("envlock help %s has no example", c.Name)
		}
		for _, e := range ex {
			r := table[c.Name+"\x00"+e]
			if r == nil {
				t.Errorf("envlock help %s: example %q is not in exampleRuns; add how it runs", c.Name, e)
				continue
			}
			found[r] = true
		}
	}
	for i := range exampleRuns {
		if r := &exampleRuns[i]; !found[r] {
			t.Errorf("exampleRuns has %q for %s, which its help no longer shows", r.example, r.cmd)
		}
	}
	if t.Failed() {
		return
	}

	var s strings.Builder
	s.WriteString(examplesPrelude)
	for _, r := range exampleRuns {
		fmt.Fprintf(&s, "\n# envlock help %s: %s\n", r.cmd, r.example)
		if r.setup != "" {
			s.WriteString(r.setup + "\n")
		}
		script := exampleShell(r.example)
		if r.after != "" {
			script = exampleShell(r.after) + " && " + script
		}
		if r.prelude != "" {
			script = r.prelude + " && " + script
		}
		cond := ""
		if r.cond != "" {
			cond = "[" + r.cond + "] "
		}
		quoted := "'" + strings.ReplaceAll(script, "'", "''") + "'"
		if r.oneOf != nil {
			fmt.Fprintf(&s, "%sexec bash -c 'eval \"$1\"; echo exit=$?' _ %s\n%sstdout '^exit=(%d|%d)$'\n", cond, quoted, cond, r.code, *r.oneOf)
		} else {
			fmt.Fprintf(&s, "%sexitcode %d bash -c %s\n", cond, r.code, quoted)
		}
		for _, l := range strings.Split(r.check, "\n") {
			if l != "" {
				s.WriteString(cond + l + "\n")
			}
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "help_examples.txtar"), []byte(s.String()+examplesFiles), 0o644); err != nil {
		t.Fatal(err)
	}
	params := scriptParams(filepath.Join(dir))
	params.Cmds["mkexamples"] = mkexamplesCmd
	testscript.Run(t, params)
}

func ptr[T any](v T) *T { return &v }

// exampleShell is an example with the cluster's paths and registry made
// this test's: /blue/… and /apps/… under $WORK, ghcr.io the loopback
// registry.
func exampleShell(e string) string {
	e = regexp.MustCompile(`(^|[\s=])/(blue|apps)/`).ReplaceAllString(e, `${1}$$WORK/${2}/`)
	return strings.ReplaceAll(e, "oci://ghcr.io/", "oci://$REGISTRY/")
}

// mkexamplesCmd implements "mkexamples DIR": the conda channel
// (DIR/channel) and PyPI index (DIR/pypi) the help examples name: a
// python (the system's /usr/bin/python3 with the prefix's site-packages),
// ipykernel, numpy 1.26.4 and 2.0.1, scipy, cuda-version, and a
// torch-geometric wheel.
func mkexamplesCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkexamples DIR")
	}
	// A stand-in for python 3.11: the system's python3 with this
	// prefix's site-packages (by its absolute path: the environment's
	// bin comes first on PATH in 'envlock run').
	py := &condapkg.Package{Name: "python", Version: "3.11.2", Build: "h0_0_system", Timestamp: 1700000000000,
		Files: []condapkg.File{
			{Path: "bin/python3.11", Exec: true, Placeholder: "text",
				Data: []byte("#!/bin/sh\nPYTHONPATH=\"" + condapkg.TextPlaceholder + "/lib/python3.11/site-packages${PYTHONPATH:+:$PYTHONPATH}\" exec /usr/bin/python3 \"$@\"\n")},
			{Path: "bin/python", Symlink: "python3.11"},
			{Path: "bin/python3", Symlink: "python3.11"},
		}}
	kernel := condapkg.KernelDemo("/usr/bin/python3")[1]
	sp := "lib/python3.11/site-packages/"
	numpy := func(v string) *condapkg.Package {
		return &condapkg.Package{Name: "numpy", Version: v, Build: "py311h0_0", Depends: []string{"python >=3.11,<3.12"}, Timestamp: 1700000000000,
			Files: []condapkg.File{{Path: sp + "numpy/__init__.py", Data: []byte("__version__ = " + fmt.Sprintf("%q", v) + "\n")}}}
	}
	pkgs := []*condapkg.Package{py, kernel, numpy("1.26.4"), numpy("2.0.1"),
		{Name: "scipy", Version: "1.13.1", Build: "py311h0_0", Depends: []string{"python >=3.11,<3.12", "numpy >=1.26"}, Timestamp: 1700000000000,
			Files: []condapkg.File{{Path: sp + "scipy/__init__.py", Data: []byte("__version__ = \"1.13.1\"\n")}}},
		{Name: "cuda-version", Version: "12.4", Build: "h0_0", Noarch: "generic", Timestamp: 1700000000000,
			Files: []condapkg.File{{Path: "etc/cuda-version", Data: []byte("12.4\n")}}},
	}
	ts.Check(condapkg.WriteChannel(ts.MkAbs(filepath.Join(args[0], "channel")), pkgs, nil))
	ts.Check(wheelpkg.WriteIndex(ts.MkAbs(filepath.Join(args[0], "pypi")), []*wheelpkg.Wheel{
		{Name: "torch-geometric", Version: "2.5.3", Files: []wheelpkg.File{{Path: "torch_geometric/__init__.py", Data: []byte("__version__ = '2.5.3'\n")}}},
	}, wheelpkg.IndexOptions{}))
}

// examplesPrelude sets up the work dir every example runs in.
const examplesPrelude = `# Every example of 'envlock help CMD', as written (generated by
# TestHelpExamples).
need python3
mkexamples www
serve www
mkdir home
env HOME=$WORK/home
env ENVLOCK_ENVS_DIRS=$WORK/blue/mylab/envs
env JUPYTER_DATA_DIR=$WORK/jupyter
env JUPYTER_RUNTIME_DIR=$WORK/runtime
env JUPYTER_CONFIG_DIR=$WORK/jconfig
env IPYTHONDIR=$WORK/ipython
env GIT_AUTHOR_NAME=envlock
env GIT_AUTHOR_EMAIL=envlock@example.org
env GIT_COMMITTER_NAME=envlock
env GIT_COMMITTER_EMAIL=envlock@example.org
mkdir proj
exec sh -c 'sed "s|SERVER|$SERVER|" env.cue.in > proj/env.cue'
exec sh -c 'printf "import sys, numpy\nprint(\"training numpy\", numpy.__version__, \"for\", sys.argv[2], \"epochs\")\n" > proj/train.py'
`

// examplesFiles are the files the examples read.
const examplesFiles = `
-- env.cue.in --
package env

name: "proj"
channels: ["SERVER/channel"]
platforms: ["linux-64"]
dependencies: {
	python:    "3.11.*"
	ipykernel: "*"
	numpy:     ">=1.26"
}
pypi_index: url: "SERVER/pypi/simple"
-- hipergator.cue --
package policy

// A site policy's floor: the cluster's oldest nodes.
system: glibc: =~"^2\\.[0-9]{2}$" & <="2.28"
-- environment.yml.in --
name: analysis
channels:
  - SERVER/channel
dependencies:
  - python=3.11
  - numpy>=1.26
-- pixi.lock --
version: 6
environments:
  default:
    channels:
    - url: https://conda.anaconda.org/conda-forge/
    packages:
      linux-64:
      - conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
  cuda:
    channels:
    - url: https://conda.anaconda.org/conda-forge/
    packages:
      linux-64:
      - conda: https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda
      - conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
packages:
- conda: https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda
  sha256: d4bfe88d7cb447768e31650f06257995601f89076080e76df55e3112d4e47dc4
  md5: 41b599ed2b02abcfdd84302bff174b23
  depends:
  - __glibc >=2.17,<3.0.a0
  constrains:
  - zlib 1.3.1 *_2
  license: Zlib
  size: 60963
  timestamp: 1727963148474
- conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
  sha256: 4fde5c3008bf5d2db82f2b50204464314cc3c91c1d953652f7bd01d9e52aefdf
  md5: 8ac3367aafb1cc0a068483c580af8015
  license: LicenseRef-Public-Domain
  size: 122354
  timestamp: 1728047496079
`

// TestReadmeCommands: README's command table has a row for every
// command, and no row for a command envlock does not have.
func TestReadmeCommands(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)[ `]").FindAllStringSubmatch(string(data), -1) {
		rows[m[1]] = true
	}
	for _, c := range commands {
		if !rows[c.Name] {
			t.Errorf("README's command table has no row for %s", c.Name)
		}
		delete(rows, c.Name)
	}
	delete(rows, "help")
	delete(rows, "version")
	for name := range rows {
		t.Errorf("README's command table has a row for %q, which is no command", name)
	}
}
