package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/foreign"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec"
)

var importFlags struct {
	output      string
	name        string
	force       bool
	policy      string
	environment string
	prefix      string
	json        bool
}

var cmdImport = &Command{
	Name:  "import",
	Usage: "import FILE | -p PATH [-o env.cue] [--name N] [--environment E] [--force] [--policy FILE] [--json]",
	Short: "turn an environment.yml, explicit file, conda-lock.yml, pixi.lock or existing conda environment into env.cue (and env.lock)",
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
  - spec lists (conda create --file): one MatchSpec a line;
  - lock files: conda-lock.yml (versions 1-3) and pixi.lock (versions
    4-7; the environment --environment names, "default" by default).
    Besides env.cue, these write env.lock beside it, pinning exactly the
    packages the source pinned, with no solve: "envlock install" then
    installs the same packages, and "envlock lock --check" says the lock
    is up to date. env.cue asks for the packages nothing else in the lock
    depends on, pinned to their versions.
  - an existing conda environment (-p PATH, made by conda, mamba, pixi or
    envlock): like a lock file, env.cue and env.lock pin exactly what its
    conda-meta records say is installed, with the URLs and hashes conda
    recorded. This is the way to bring environments you already have
    under envlock. PyPI packages pip installed into it are named, not
    imported.

What env.cue has no place for (prefix, "nodefaults", --find-links, editable
installs of local code) is dropped with a note on stderr. The result is
checked against the schema before it is written. --json prints what was
written for scripts (schemas/cli.cue #Manifest).

Example:

	envlock import environment.yml
	conda list --explicit --md5 | envlock import - -o env.cue
	envlock import pixi.lock --environment cuda
	envlock import -p ~/miniconda3/envs/analysis -o analysis/env.cue
`,
	SetFlags: func(fs *flag.FlagSet) {
		importFlags.name, importFlags.force, importFlags.prefix = "", false, ""
		fs.StringVar(&importFlags.output, "o", spec.ManifestFile, "write to `FILE` (- for standard output)")
		fs.StringVar(&importFlags.name, "name", "", "environment `NAME` (default: the file's own, else the file name)")
		fs.BoolVar(&importFlags.force, "force", false, "overwrite an existing output file")
		fs.StringVar(&importFlags.policy, "policy", "", "site policy `FILE` to check the result against (default $ENVLOCK_POLICY)")
		fs.StringVar(&importFlags.environment, "environment", "", "`NAME` of the pixi.lock environment to import (default \"default\")")
		fs.StringVar(&importFlags.prefix, "p", "", "import the conda environment at `PATH` (what it has installed)")
		fs.BoolVar(&importFlags.json, "json", false, "print what was written as JSON (schemas/cli.cue #Manifest)")
	},
	Run: runImport,
}

func runImport(ctx context.Context, env *Env, args []string) error {
	if importFlags.json && importFlags.output == "-" {
		return usagef("--json and -o - both write on standard output; choose one")
	}
	if importFlags.prefix != "" {
		if len(args) != 0 || importFlags.environment != "" {
			return usagef("-p PATH imports an environment; give no file and no --environment with it")
		}
		prefix := userPath(env, importFlags.prefix)
		f, notes, err := foreign.FromPrefix(prefix)
		for _, n := range notes {
			fmt.Fprintf(env.Stderr, "note: %s\n", n)
		}
		if err != nil {
			return err
		}
		return importFile(ctx, env, f, spec.NameFromPath(prefix), prefix)
	}
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
	if len(bytes.TrimSpace(data)) == 0 {
		// An empty pipe is a failed producer ("conda list" outside an
		// environment), not an empty environment.
		return withHint(fmt.Errorf("%s is empty: nothing to import", name),
			"check the command that writes it (for 'conda list --explicit', activate the environment or pass -p PATH to conda)")
	}
	if _, ok := foreign.Detect(data); ok {
		return importLock(ctx, env, name, base, data)
	}
	if importFlags.environment != "" {
		return usagef("--environment is for pixi.lock files; %s is not one", name)
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
	res, err := writeManifest(ctx, env, d, userPath(env, importFlags.output), importFlags.force, importFlags.policy)
	if err != nil || !importFlags.json {
		return err
	}
	res.Source = name
	return writeJSON(env.Stdout, res)
}

// importLock imports a conda-lock.yml or pixi.lock: env.cue and, beside
// it, the env.lock pinning what the file pinned. Both are made and
// checked before either is written.
func importLock(ctx context.Context, env *Env, name, base string, data []byte) error {
	f, err := foreign.Parse(filepath.Base(name), data, importFlags.environment)
	if err != nil {
		return err
	}
	envName := ""
	if dir, err := filepath.Abs(base); err == nil {
		envName = spec.NameFromPath(dir)
	}
	if f.Environment != "default" {
		envName = spec.NameFromPath(f.Environment)
	}
	return importFile(ctx, env, f, envName, name)
}

// importFile writes env.cue and env.lock for a parsed lock file or
// environment; envName is the name unless --name gives one, source what
// it came from (for the summary line).
func importFile(ctx context.Context, env *Env, f *foreign.File, envName, source string) error {
	name := source
	if importFlags.name != "" {
		envName = importFlags.name
	}
	d, notes := f.Draft(envName)
	for _, n := range notes {
		fmt.Fprintf(env.Stderr, "note: %s\n", n)
	}
	if importFlags.output == "-" {
		src, err := d.Format()
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "note: env.lock is not written with -o -; import into a directory to get it\n")
		_, err = env.Stdout.Write(src)
		return err
	}
	out := userPath(env, importFlags.output)
	if filepath.Base(out) != spec.ManifestFile {
		return usagef("-o %s: a lock file imports as %s plus %s in one directory; name the output %s", importFlags.output, spec.ManifestFile, lockfile.FileName, spec.ManifestFile)
	}
	dir := filepath.Dir(out)
	lockPath := filepath.Join(dir, lockfile.FileName)
	if !importFlags.force {
		for _, p := range []string{out, lockPath} {
			if _, err := os.Stat(p); err == nil {
				return withHint(fmt.Errorf("%s already exists", p), "use --force to overwrite it")
			}
		}
	}
	src, err := d.Format()
	if err != nil {
		return err
	}
	policy := importFlags.policy
	if policy == "" {
		policy = env.Getenv(spec.PolicyEnv)
	}
	if policy != "" {
		policy = userPath(env, policy)
	}
	m, err := spec.LoadContext(ctx, dir, &spec.LoadOptions{Policy: policy, Overlay: map[string][]byte{spec.ManifestFile: src}})
	if err != nil && policy != "" {
		// writeManifest below reports the policy's complaints.
		m, err = spec.LoadContext(ctx, dir, &spec.LoadOptions{Overlay: map[string][]byte{spec.ManifestFile: src}})
	}
	if err != nil {
		return fmt.Errorf("the manifest written would not load (please report this):\n%v", err)
	}
	chans, err := parseChannels(env, m.Channels, dir)
	if err != nil {
		return err
	}
	var locked []lockfile.Channel
	for i, c := range chans {
		locked = append(locked, lockfile.Channel{Name: m.Channels[i], URL: lockURL(dir, c), Priority: i})
	}
	l, err := f.Lock(m, locked)
	if err != nil {
		return err
	}
	if err := lock.Check(m, l); err != nil {
		return fmt.Errorf("the imported lock would not match env.cue (please report this):\n%v", err)
	}
	// Encode first: a lock the writer refuses (outside its schema) must
	// leave no env.cue behind either.
	if _, err := l.Encode(); err != nil {
		return err
	}
	res, err := writeManifest(ctx, env, d, out, true, importFlags.policy)
	if err != nil {
		return err
	}
	if err := lockfile.Write(lockPath, l); err != nil {
		return err
	}
	n := 0
	for _, p := range l.Platforms {
		n += len(p.Packages) + len(p.PyPI)
	}
	if f.Format == foreign.Prefix {
		fmt.Fprintf(env.Stderr, "wrote %s: %s pinned as installed in %s, no solve\n", lockPath, plural(n, "package", "packages"), name)
	} else {
		fmt.Fprintf(env.Stderr, "wrote %s: %s pinned from %s (%s format %d), no solve\n", lockPath,
			plural(n, "package", "packages"), filepath.Base(name), f.Format, f.Version)
	}
	if !importFlags.json {
		return nil
	}
	res.Lock, res.Packages, res.Source = abs(env, lockPath), &n, name
	return writeJSON(env.Stdout, res)
}
