package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/envlock/envlock/internal/atomicfile"
	"github.com/envlock/envlock/lock/export"
	"github.com/envlock/envlock/lock/lockfile"
)

var exportFlags struct {
	dir, format, platform, out string
}

var cmdExport = &Command{
	Name:  "export",
	Usage: "export --format explicit --platform P [-C DIR] [-o FILE]",
	Short: "write the lock in another tool's format",
	Long: `Export writes one platform of env.lock as an @EXPLICIT file that
"conda create --file" and "micromamba create -f" install exactly.

Example:

	envlock export --format explicit --platform linux-64 -o linux-64.txt
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&exportFlags.dir, "C", ".", "project `DIR`ectory")
		fs.StringVar(&exportFlags.format, "format", "explicit", "output `FORMAT` (explicit)")
		fs.StringVar(&exportFlags.platform, "platform", "", "`PLATFORM` to export (default: the lock's only platform)")
		fs.StringVar(&exportFlags.out, "o", "", "write to `FILE` instead of stdout")
	},
	Run: runExport,
}

func runExport(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if exportFlags.format != "explicit" {
		return usagef("unknown --format %q (supported: explicit)", exportFlags.format)
	}
	dir := abs(env, exportFlags.dir)
	l, _, err := lockfile.Read(filepath.Join(dir, lockfile.FileName))
	if err != nil {
		return withHint(err, "run 'envlock lock' first")
	}
	p := exportFlags.platform
	if p == "" {
		if len(l.Platforms) != 1 {
			return usagef("the lock has %d platforms; choose one with --platform", len(l.Platforms))
		}
		p = l.Platforms[0].Platform
	}
	data, err := export.Explicit(l, p, dir)
	if err != nil {
		return err
	}
	if exportFlags.out == "" {
		_, err = env.Stdout.Write(data)
		return err
	}
	if err := atomicfile.WriteFile(abs(env, exportFlags.out), data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", exportFlags.out, err)
	}
	return nil
}
