package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/envfile"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
)

var initOpts struct {
	dir       string
	name      string
	channels  stringList
	platforms stringList
	force     bool
	policy    string
	config    bool
	json      bool
}

var cmdInit = &Command{
	Name:  "init",
	Usage: "init [-C DIR] [--name N] [--channel C]… [--platform P]… [--force] [--policy FILE] [--json] [SPEC…]",
	Short: "write a new, commented env.cue",
	Long: `
Init writes env.cue in the project directory (-C, default the current one):
a commented manifest with the given name (default the directory's name),
channels (default: channels from 'envlock config', else conda-forge), platforms (default the one envlock runs on)
and dependencies, one per MatchSpec argument, plus commented-out examples
of the other fields. It refuses to overwrite an env.cue unless --force.

The file is checked before it is written; a site policy (--policy or
$ENVLOCK_POLICY) it breaks is reported after writing, so you can fix it.
--json prints what was written for scripts (schemas/cli.cue #Manifest).

Example:

	envlock init --name ml --platform linux-64 --platform osx-arm64 'python=3.12' 'numpy>=1.26'
`,
	SetFlags: func(fs *flag.FlagSet) {
		initOpts.name, initOpts.force = "", false
		fs.StringVar(&initOpts.dir, "C", ".", "project `DIR`ectory")
		fs.StringVar(&initOpts.name, "name", "", "environment `NAME` (default: the directory's name)")
		listVar(fs, &initOpts.channels, "channel", "channel, highest priority first (repeatable; default conda-forge)")
		listVar(fs, &initOpts.platforms, "platform", "platform to lock for (repeatable; default this machine's)")
		fs.BoolVar(&initOpts.force, "force", false, "overwrite an existing env.cue")
		fs.BoolVar(&initOpts.config, "config", false, "write a commented user configuration instead (see 'envlock help config')")
		fs.StringVar(&initOpts.policy, "policy", "", "site policy `FILE` (default $ENVLOCK_POLICY)")
		fs.BoolVar(&initOpts.json, "json", false, "print what was written as JSON (schemas/cli.cue #Manifest)")
	},
	Run: runInit,
}

func runInit(ctx context.Context, env *Env, args []string) error {
	if initOpts.config {
		if initOpts.json {
			return usagef("--json describes an env.cue; init --config writes the user configuration ('envlock config --json' prints it)")
		}
		return writeUserConfig(env, initOpts.force)
	}
	dir := userPath(env, initOpts.dir)
	var items []envfile.Item
	for i, a := range args {
		if _, err := matchspec.Parse(a); err != nil {
			return usagef("argument %d: %v", i+1, err)
		}
		items = append(items, envfile.Item{Value: a, Pos: envfile.Pos{File: "argument", Line: i + 1}})
	}
	d, _, err := spec.ImportSpecList(items)
	if err != nil {
		return usagef("%v", err)
	}
	d.Name = initOpts.name
	if d.Name == "" {
		absDir, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		d.Name = spec.NameFromPath(absDir)
	}
	if len(initOpts.channels) > 0 {
		d.Channels = initOpts.channels
	} else if ch := configChannels(env); len(ch) > 0 {
		d.Channels = ch
	}
	for _, p := range initOpts.platforms {
		if _, err := platform.Parse(p); err != nil {
			return usagef("--platform: %v", err)
		}
	}
	if len(initOpts.platforms) > 0 {
		d.Platforms = initOpts.platforms
	}
	d.Examples = true
	d.Header = []string{"The envlock manifest of this project: what its environment must contain."}
	res, err := writeManifest(ctx, env, d, filepath.Join(dir, spec.ManifestFile), initOpts.force, initOpts.policy)
	if err != nil || !initOpts.json {
		return err
	}
	return writeJSON(env.Stdout, res)
}

// writeManifest formats d, checks that it loads, and writes it to path
// (atomically; refusing to overwrite unless force), and says what it
// wrote. A site policy the new manifest breaks is reported after
// writing: the user fixes the file.
func writeManifest(ctx context.Context, env *Env, d *spec.Draft, path string, force bool, policy string) (*jsonManifest, error) {
	src, err := d.Format()
	if err != nil {
		return nil, err
	}
	if !force {
		if _, err := os.Stat(path); err == nil {
			return nil, withHint(fmt.Errorf("%s already exists", path), "use --force to overwrite it")
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	// Check against the schema alone, beside where it goes when it is an
	// env.cue (other .cue files there belong to the manifest too).
	checkDir, name := filepath.Dir(path), filepath.Base(path)
	if name != spec.ManifestFile {
		checkDir, name = filepath.Join(checkDir, ".envlock-check-"+name), spec.ManifestFile
	}
	m, err := spec.LoadContext(ctx, checkDir, &spec.LoadOptions{Overlay: map[string][]byte{name: src}})
	if err != nil {
		return nil, fmt.Errorf("the manifest written would not load (please report this):\n%v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, src); err != nil {
		return nil, err
	}
	res := &jsonManifest{Manifest: abs(env, path), Name: m.Name, Dependencies: len(m.Dependencies), PyPI: len(m.PyPI)}
	fmt.Fprintf(env.Stderr, "wrote %s: %s, %s\n", path,
		plural(len(m.Dependencies), "conda dependency", "conda dependencies"),
		plural(len(m.PyPI), "PyPI requirement", "PyPI requirements"))
	if policy == "" {
		policy = env.Getenv(spec.PolicyEnv)
	}
	if policy == "" {
		return res, nil
	}
	if _, err := spec.LoadContext(ctx, checkDir, &spec.LoadOptions{Policy: userPath(env, policy), Overlay: map[string][]byte{name: src}}); err != nil {
		fmt.Fprintf(env.Stderr, "%s does not follow the site policy %s yet:\n", path, policy)
		return nil, manifestError(env, err)
	}
	return res, nil
}

// writeFileAtomic writes data to path through a temporary file in the
// same directory, so that no one ever reads a half-written file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
