package main

import (
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
}

var cmdImport = &Command{
	Name:  "import",
	Usage: "import FILE [-o env.cue] [--name N] [--environment E] [--force] [--policy FILE]",
	Short: "turn an environment.yml, explicit file, conda-lock.yml or pixi.lock into env.cue (and env.lock)",
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
    4-6; the environment --environment names, "default" by default).
    Besides env.cue, these write env.lock beside it, pinning exactly the
    packages the source pinned, with no solve: "envlock install" then
    installs the same packages, and "envlock lock --check" says the lock
    is up to date. env.cue asks for the packages nothing else in the lock
    depends on, pinned to their versions.

What env.cue has no place for (prefix, "nodefaults", --find-links, editable
installs of local code) is dropped with a note on stderr. The result is
checked against the schema before it is written.

Example:

	envlock import environment.yml
	conda list --explicit --md5 | envlock import - -o env.cue
	envlock import pixi.lock --environment cuda
`,
	SetFlags: func(fs *flag.FlagSet) {
		importFlags.name, importFlags.force = "", false
		fs.StringVar(&importFlags.output, "o", spec.ManifestFile, "write to `FILE` (- for standard output)")
		fs.StringVar(&importFlags.name, "name", "", "environment `NAME` (default: the file's own, else the file name)")
		fs.BoolVar(&importFlags.force, "force", false, "overwrite an existing output file")
		fs.StringVar(&importFlags.policy, "policy", "", "site policy `FILE` to check the result against (default $ENVLOCK_POLICY)")
		fs.StringVar(&importFlags.environment, "environment", "", "`NAME` of the pixi.lock environment to import (default \"default\")")
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
	return writeManifest(ctx, env, d, userPath(env, importFlags.output), importFlags.force, importFlags.policy)
}

// importLock imports a conda-lock.yml or pixi.lock: env.cue and, beside
// it, the env.lock pinning what the file pinned. Both are made and
// checked before either is written.
func importLock(ctx context.Context, env *Env, name, base string, data []byte) error {
	f, err := foreign.Parse(filepath.Base(name), data, importFlags.environment)
	if err != nil {
		return err
	}
	envName := importFlags.name
	if envName == "" {
		if dir, err := filepath.Abs(base); err == nil {
			envName = spec.NameFromPath(dir)
		}
		if f.Environment != "default" {
			envName = spec.NameFromPath(f.Environment)
		}
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
	if err := writeManifest(ctx, env, d, out, true, importFlags.policy); err != nil {
		return err
	}
	if err := lockfile.Write(lockPath, l); err != nil {
		return err
	}
	n := 0
	for _, p := range l.Platforms {
		n += len(p.Packages) + len(p.PyPI)
	}
	fmt.Fprintf(env.Stderr, "wrote %s: %s pinned from %s (%s format %d), no solve\n", lockPath,
		plural(n, "package", "packages"), filepath.Base(name), f.Format, f.Version)
	return nil
}
