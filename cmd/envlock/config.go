package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/envlock/envlock/internal/atomicfile"
	"github.com/envlock/envlock/spec/config"
)

var configFlags struct {
	sources  bool
	json     bool
	pkgsDirs stringList
	envsDirs stringList
	link     string
}

var cmdConfig = &Command{
	Name:  "config",
	Usage: "config [--show-sources] [--json] [--pkgs-dir DIR]… [--envs-dir DIR]… [--link MODE]",
	Short: "show the configuration and where each value comes from",
	Long: `
Config prints envlock's configuration: what is set, merged from these
layers, each overriding the one before key by key (as conda merges its
.condarc files):

	system   $ENVLOCK_SYSTEM_CONFIG, else /etc/envlock/config.cue
	user     $XDG_CONFIG_HOME/envlock/config.cue (~/.config/envlock/config.cue)
	project  envlock.config.cue in the current directory
	env      $ENVLOCK_PKGS_DIRS, $ENVLOCK_ENVS_DIRS, $ENVLOCK_CHANNEL_ALIAS,
	         $ENVLOCK_POLICY, $ENVLOCK_TRUSTED_KEYS, $ENVLOCK_LINK_MODE,
	         $ENVLOCK_MIRRORS, $ENVLOCK_SYNC
	flag     --pkgs-dir, --envs-dir, --link (here and on install),
	         --no-sync (install)

The files are CUE satisfying #Config in schemas/config.cue; their keys are
pkgs_dirs, envs_dirs, channel_alias, mirrors, channels, policy,
trusted_keys, link_mode and sync. Relative paths are taken against the file's
directory. 'envlock init --config' writes a commented user file.

--show-sources adds where each value came from; --json prints the
configuration, the sources and the files read (#Report in
schemas/config.cue).

Example:

	envlock config --show-sources
`,
	SetFlags: func(fs *flag.FlagSet) {
		configFlags.sources, configFlags.json, configFlags.link = false, false, ""
		fs.BoolVar(&configFlags.sources, "show-sources", false, "say where each value comes from")
		fs.BoolVar(&configFlags.json, "json", false, "print JSON (schemas/config.cue #Report)")
		listVar(fs, &configFlags.pkgsDirs, "pkgs-dir", "package cache directory (repeatable), as install takes it")
		listVar(fs, &configFlags.envsDirs, "envs-dir", "named environments directory (repeatable)")
		fs.StringVar(&configFlags.link, "link", "", "link mode, as install takes it")
	},
	Run: runConfig,
}

func runConfig(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected arguments %q", args)
	}
	l, err := loadConfig(env)
	if err != nil {
		return err
	}
	flagSet := func(key, flagName string, vals ...string) error {
		var v string
		for _, s := range vals {
			if s == "" {
				continue
			}
			if v != "" {
				v += string(filepath.ListSeparator)
			}
			v += s
		}
		if v == "" {
			return nil
		}
		if err := l.Set(key, v, "flag --"+flagName); err != nil {
			return usagef("--%s: %v", flagName, err)
		}
		return nil
	}
	if err := flagSet("pkgs_dirs", "pkgs-dir", configFlags.pkgsDirs...); err != nil {
		return err
	}
	if err := flagSet("envs_dirs", "envs-dir", configFlags.envsDirs...); err != nil {
		return err
	}
	if err := flagSet("link_mode", "link", configFlags.link); err != nil {
		return err
	}
	if configFlags.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(l)
	}
	if configFlags.sources {
		for _, f := range l.Files {
			fmt.Fprintf(env.Stdout, "// %s: %s\n", f.Layer, f.Path)
		}
	}
	fmt.Fprint(env.Stdout, l.Show(configFlags.sources))
	return nil
}

// loadConfig reads the configuration files and environment variables for
// a command run in env.
func loadConfig(env *Env) (*config.Loaded, error) {
	getenv := env.Getenv
	if env.rawGetenv != nil {
		getenv = env.rawGetenv
	}
	l, err := config.Load(getenv, env.Dir)
	if ee := (*config.EnvError)(nil); errors.As(err, &ee) {
		return nil, withHint(err, "fix or unset $%s, or see 'envlock help config'", ee.Name)
	}
	if err != nil {
		return nil, withHint(err, "fix the file, or see 'envlock help config'")
	}
	return l, nil
}

// prepare readies a parsed command to run: the configuration files are
// overlaid on the environment (applyConfig), -n NAME becomes a path, and
// with neither -p nor -n the project's env.cue may name it (prefix).
func prepare(ctx context.Context, c *Command, env *Env) error {
	if err := applyConfig(env); err != nil {
		return err
	}
	if err := resolveNamed(c, env); err != nil {
		return err
	}
	return defaultPrefix(ctx, c, env)
}

// applyConfig reads the configuration and makes env.Getenv answer the
// variables envlock already reads ($ENVLOCK_PKGS_DIRS, $ENVLOCK_MIRRORS,
// $ENVLOCK_CHANNEL_ALIAS, $ENVLOCK_POLICY, $ENVLOCK_TRUSTED_KEYS,
// $ENVLOCK_LINK_MODE, $ENVLOCK_SYNC) from the files when the environment does not set
// them, so a variable still wins over every file and a flag over both.
func applyConfig(env *Env) error {
	if env.rawGetenv != nil {
		return nil
	}
	l, err := loadConfig(env)
	if err != nil {
		return err
	}
	raw := env.Getenv
	env.rawGetenv = raw
	list := func(l []string) string { return strings.Join(l, string(filepath.ListSeparator)) }
	c := l.Config
	env.Getenv = func(k string) string {
		if v := raw(k); v != "" {
			return v
		}
		switch k {
		case "ENVLOCK_PKGS_DIRS":
			return list(c.PkgsDirs)
		case "ENVLOCK_ENVS_DIRS":
			return list(c.EnvsDirs)
		case "ENVLOCK_CHANNEL_ALIAS":
			return c.ChannelAlias
		case "ENVLOCK_MIRRORS":
			return config.MirrorsEnv(c.Mirrors)
		case "ENVLOCK_POLICY":
			return c.Policy
		case "ENVLOCK_TRUSTED_KEYS":
			return list(c.TrustedKeys)
		case "ENVLOCK_LINK_MODE":
			return c.LinkMode
		case "ENVLOCK_SYNC":
			if c.Sync != nil {
				return strconv.FormatBool(*c.Sync)
			}
		}
		return ""
	}
	return nil
}

// userConfigTemplate is what 'envlock init --config' writes.
const userConfigTemplate = `// envlock configuration (see 'envlock help config'). This file is CUE;
// it must satisfy #Config in envlock's schemas/config.cue. Layers, each
// overriding the one before: /etc/envlock/config.cue, this file, a
// project's envlock.config.cue, $ENVLOCK_* variables, flags.
//
// On a cluster, keep packages and environments off the small home
// quota, on group storage (conda users set the same in ~/.condarc):
//
// pkgs_dirs: ["/blue/mygroup/envlock/pkgs"]
// envs_dirs: ["/blue/mygroup/envlock/envs", "~/.local/share/envlock/envs"]

// Base URL for bare channel names:
// channel_alias: "https://conda.anaconda.org"

// Mirrors to try instead of a channel URL, in order:
// mirrors: "https://conda.anaconda.org/conda-forge": ["https://mirror.example.edu/conda-forge"]

// Channels for a new env.cue:
// channels: ["conda-forge"]

// The site policy, and the keys trusted to sign locks:
// policy: "/blue/mygroup/envlock/policy.cue"
// trusted_keys: ["/blue/mygroup/envlock/keys/lab.pub"]

// How install links files: "hardlink", "reflink" or "copy".
// link_mode: "hardlink"

// Whether install flushes a new environment to disk before it takes its
// path's name. false is faster where a flush is slow (some network file
// systems), but a power cut may then leave files in it empty.
// sync: true
`

// writeUserConfig implements 'envlock init --config'.
func writeUserConfig(env *Env, force bool) error {
	path := config.UserPath(env.Getenv)
	if _, err := os.Stat(path); err == nil && !force {
		return withHint(fmt.Errorf("%s already exists", path), "edit it, or pass --force to replace it")
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, []byte(userConfigTemplate), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s\n", path)
	return nil
}

// configChannels is channels from the configuration, for a new env.cue;
// nil when unset or unreadable (commands that use more of the
// configuration report a bad file).
func configChannels(env *Env) []string {
	l, err := loadConfig(env)
	if err != nil {
		return nil
	}
	return l.Config.Channels
}
