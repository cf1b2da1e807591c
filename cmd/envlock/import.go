package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/envlock/envlock/spec"
)

var importFlags struct {
	output string
	name   string
	force  bool
	policy string
}

var cmdImport = &Command{
	Name:  "import",
	Usage: "import FILE [-o env.cue] [--name N] [--force] [--policy FILE]",
	Short: "turn a conda environment.yml or explicit file into env.cue",
	Long: `
Import reads a conda environment file and writes the env.cue that asks for
the same environment (-o, default env.cue in the current directory; "-"
reads standard input, "-o -" writes to standard output):

  - environment.yml (conda env create -f): name, channels, dependencies
    (MatchSpecs, channel::name included), the pip: section (requirements,
    -r FILE inlined, --index-url, --extra-index-url, -e URL#egg=NAME),
    variables, conda-lock's platforms and mamba's sel(…) selectors;
  - @EXPLICIT files (conda list --explicit [--md5], conda-lock render):
    every package pinned to its exact version and build;
  - spec lists (conda create --file): one MatchSpec a line.

What env.cue has no place for (prefix, "nodefaults", --find-links, editable
installs of local code) is dropped with a note on stderr. The result is
checked against the schema before it is written.

Example:

	envlock import environment.yml
	conda list --explicit --md5 | envlock import - -o env.cue
`,
	SetFlags: func(fs *flag.FlagSet) {
		importFlags.name, importFlags.force = "", false
		fs.StringVar(&importFlags.output, "o", spec.ManifestFile, "write to `FILE` (- for standard output)")
		fs.StringVar(&importFlags.name, "name", "", "environment `NAME` (default: the file's own, else the file name)")
		fs.BoolVar(&importFlags.force, "force", false, "overwrite an existing output file")
		fs.StringVar(&importFlags.policy, "policy", "", "site policy `FILE` to check the result against (default $ENVLOCK_POLICY)")
	},
	Run: runImport,
}

func runImport(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("want one environment file, got %d arguments", len(args))
	}
	var (
		data []byte
		err  error
		name = args[0]
		base = env.Dir
	)
	if name == "-" {
		data, err = io.ReadAll(env.Stdin)
		name = "stdin"
	} else {
		p := userPath(env, name)
		data, err = os.ReadFile(p)
		base = filepath.Dir(p)
	}
	if err != nil {
		return err
	}
	read := func(rel string) ([]byte, error) {
		if !filepath.IsAbs(rel) {
			rel = filepath.Join(base, rel)
		}
		return os.ReadFile(rel)
	}
	d, notes, err := spec.Import(name, data, read)
	for _, n := range notes {
		fmt.Fprintf(env.Stderr, "note: %v\n", n)
	}
	if err != nil {
		return manifestError(env, err)
	}
	if importFlags.name != "" {
		d.Name = importFlags.name
	}
	if importFlags.output == "-" {
		src, err := d.Format()
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(src)
		return err
	}
	return writeManifest(env, d, userPath(env, importFlags.output), importFlags.force, importFlags.policy)
}
