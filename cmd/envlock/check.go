package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/envlock/envlock/schemas"
	"github.com/envlock/envlock/spec"
)

var checkFlags struct {
	dir    string
	policy string
	json   bool
	schema bool
}

var cmdCheck = &Command{
	Name:  "check",
	Usage: "check [-C DIR] [--policy FILE] [--json] [--schema]",
	Short: "validate env.cue against the schema and the site policy",
	Long: `
Check loads the manifest (env.cue and the other .cue files of package env in
the project directory), unifies it with envlock's schema and with the site
policy from --policy or $ENVLOCK_POLICY, and parses every MatchSpec in it.

On success it prints a summary and the manifest's sha256 (the hash env.lock
records to notice a stale lock); with --json it prints the normalized
manifest instead: every default applied, keys in a fixed order, specs in
canonical form. On failure it prints every error, each as
FILE:LINE:COL: FIELD: MESSAGE (POLICY OR SCHEMA RULE), and exits 1.

--schema prints the schema itself: every field of env.cue, documented.

Example:

	envlock check
	envlock check --policy /apps/envlock/hipergator.cue
	envlock check --json | jq .dependencies
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&checkFlags.dir, "C", ".", "project `DIR`ectory")
		fs.StringVar(&checkFlags.policy, "policy", "", "site policy `FILE` (default $ENVLOCK_POLICY)")
		fs.BoolVar(&checkFlags.json, "json", false, "print the normalized manifest as JSON")
		fs.BoolVar(&checkFlags.schema, "schema", false, "print the env.cue schema and exit")
	},
	Run: runCheck,
}

func runCheck(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected arguments %q", args)
	}
	if checkFlags.schema {
		fmt.Fprint(env.Stdout, schemas.Env)
		return nil
	}
	m, err := loadManifest(ctx, env, checkFlags.dir, checkFlags.policy)
	if err != nil {
		return manifestError(env, err)
	}
	if checkFlags.json {
		_, err := env.Stdout.Write(m.Normalized())
		return err
	}
	var plats []string
	for _, p := range m.Platforms {
		plats = append(plats, string(p))
	}
	fmt.Fprintf(env.Stdout, "%s: ok: %s, %s, platforms %s\n",
		strings.Join(m.Files, " + "), m.Name,
		plural(len(m.Dependencies), "conda dependency", "conda dependencies")+", "+plural(len(m.PyPI), "PyPI requirement", "PyPI requirements"),
		strings.Join(plats, " "))
	fmt.Fprintf(env.Stdout, "sha256 %s\n", m.Hash())
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// loadManifest loads the manifest in dir with the site policy (--policy,
// else $ENVLOCK_POLICY). Paths stay as the user typed them, so errors
// name files the way the user knows them.
// Evaluation stops when ctx is done (SIGINT, SIGTERM) and is bounded in
// time and memory (spec.LoadContext).
func loadManifest(ctx context.Context, env *Env, dir, policy string) (*spec.Manifest, error) {
	if policy == "" {
		policy = env.Getenv(spec.PolicyEnv)
	}
	if policy != "" {
		policy = userPath(env, policy)
	}
	opts := &spec.LoadOptions{Policy: policy}
	if v := env.Getenv(evalTimeoutEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: want a duration such as 30s", evalTimeoutEnv, v)
		}
		opts.Timeout = d
	}
	if v := env.Getenv(evalMemoryEnv); v != "" {
		n, err := parseBytes(v)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: want a size such as 512MiB or 4GiB", evalMemoryEnv, v)
		}
		opts.MaxMemory = n
	}
	return spec.LoadContext(ctx, userPath(env, dir), opts)
}

// The bounds of manifest evaluation, for sites whose manifests need more
// than spec's defaults (10s, 2 GiB); a negative value means no bound.
const (
	evalTimeoutEnv = "ENVLOCK_EVAL_TIMEOUT"
	evalMemoryEnv  = "ENVLOCK_EVAL_MEMORY"
)

// parseBytes reads "512MiB", "4GiB", "1048576".
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if t, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = t, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, err
	}
	return n * mult, nil
}

// userPath resolves p against the command's directory, leaving it
// relative when that is the process's working directory anyway.
func userPath(env *Env, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if wd, err := os.Getwd(); err == nil && wd == env.Dir {
		return filepath.Clean(p)
	}
	return filepath.Join(env.Dir, p)
}

// manifestError prints a manifest's errors one a line and returns the
// error that makes the command exit 1 with a count.
func manifestError(env *Env, err error) error {
	var es spec.Errors
	if errors.As(err, &es) {
		fmt.Fprintln(env.Stderr, es.Error())
		if len(es) == 1 {
			return &exitError{code: exitFail, msg: "1 error"}
		}
		return &exitError{code: exitFail, msg: fmt.Sprintf("%d errors", len(es))}
	}
	if errors.Is(err, spec.ErrNoManifest) {
		return withHint(err, "create one with 'envlock init' or 'envlock import environment.yml'")
	}
	return err
}
