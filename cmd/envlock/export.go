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
	dir, format, out, hash string
	platforms              stringList
	json                   bool
}

var cmdExport = &Command{
	Name:  "export",
	Usage: "export [--format explicit|requirements|environment-yml|conda-lock] [--platform P] [-C DIR] [-o FILE] [--json]",
	Short: "write the lock in another tool's format",
	Long: `Export writes env.lock in the format another tool reads, pinning the
same packages:

  explicit         an @EXPLICIT file of one platform that "conda create
                   --file" and "micromamba create -f" install exactly, each
                   URL with its md5 (--hash sha256 for "#sha256:" instead;
                   older conda reads md5 only). Wheels are listed in a
                   comment block.
  requirements     the platform's PyPI wheels as a requirements.txt with
                   sha256 hashes, for "pip install --require-hashes
                   --no-deps -r requirements.txt" inside the environment.
  environment-yml  an environment.yml of one platform: name, channels,
                   name=version=build pins, a pip: section, variables.
  conda-lock       conda-lock's conda-lock.yml (format 1) of every platform,
                   or those given with --platform, for "conda-lock install".

explicit, requirements and environment-yml describe one platform: give
--platform when the lock has several.

--json prints what was exported for scripts (schemas/cli.cue #Export):
the format, platforms, the file written with -o (else the export itself
as content), its size and sha256.

Example:

	envlock export --format explicit --platform linux-64 -o linux-64.txt
	envlock export --format requirements --platform linux-64 -o requirements.txt
	envlock export --format conda-lock -o conda-lock.yml
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&exportFlags.dir, "C", ".", "project `DIR`ectory")
		fs.StringVar(&exportFlags.format, "format", "explicit", "output `FORMAT`: explicit, requirements, environment-yml or conda-lock")
		listVar(fs, &exportFlags.platforms, "platform", "`PLATFORM` to export (default: the lock's only platform; repeatable for conda-lock)")
		fs.StringVar(&exportFlags.out, "o", "", "write to `FILE` instead of stdout")
		fs.StringVar(&exportFlags.hash, "hash", "md5", "checksum of explicit lines: md5 or sha256")
		fs.BoolVar(&exportFlags.json, "json", false, "print the result as JSON (schemas/cli.cue #Export)")
	},
	Run: runExport,
}

func runExport(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	formats := map[string]bool{"explicit": true, "requirements": true, "environment-yml": true, "conda-lock": true}
	if !formats[exportFlags.format] {
		return usagef("unknown --format %q (supported: explicit, requirements, environment-yml, conda-lock)", exportFlags.format)
	}
	h := export.Hash(exportFlags.hash)
	if h != export.MD5 && h != export.SHA256 {
		return usagef("unknown --hash %q (supported: md5, sha256)", exportFlags.hash)
	}
	dir := abs(env, exportFlags.dir)
	l, _, err := lockfile.Read(filepath.Join(dir, lockfile.FileName))
	if err != nil {
		return withHint(err, "run 'envlock lock' first")
	}
	for _, p := range exportFlags.platforms {
		if l.Platform(p) == nil {
			return usagef("the lock has no platform %q (it has %s)", p, lockPlatforms(l))
		}
	}
	var data []byte
	exported := []string(exportFlags.platforms)
	if exportFlags.format == "conda-lock" {
		data, err = export.CondaLock(l, exportFlags.platforms, dir)
		if len(exported) == 0 {
			exported = l.PlatformNames()
		}
	} else {
		var p string
		switch {
		case len(exportFlags.platforms) == 1:
			p = exportFlags.platforms[0]
		case len(exportFlags.platforms) > 1:
			return usagef("--format %s describes one platform; give one --platform", exportFlags.format)
		case len(l.Platforms) == 1:
			p = l.Platforms[0].Platform
		default:
			return usagef("the lock has %d platforms (%s); choose one with --platform", len(l.Platforms), lockPlatforms(l))
		}
		exported = []string{p}
		switch exportFlags.format {
		case "explicit":
			data, err = export.Explicit(l, p, dir, h)
		case "requirements":
			data, err = export.Requirements(l, p)
		case "environment-yml":
			data, err = export.EnvironmentYML(l, p, dir)
		}
	}
	if err != nil {
		return err
	}
	result := jsonExport{Lock: filepath.Join(dir, lockfile.FileName), Format: exportFlags.format, Platforms: exported,
		Bytes: len(data), SHA256: sha256Hex(data)}
	if exportFlags.out == "" {
		if exportFlags.json {
			result.Content = string(data)
			return writeJSON(env.Stdout, result)
		}
		_, err = env.Stdout.Write(data)
		return err
	}
	result.File = abs(env, exportFlags.out)
	if err := atomicfile.WriteFile(result.File, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", exportFlags.out, err)
	}
	if exportFlags.json {
		return writeJSON(env.Stdout, result)
	}
	return nil
}

func lockPlatforms(l *lockfile.Lock) string {
	s := ""
	for i, p := range l.Platforms {
		if i > 0 {
			s += ", "
		}
		s += p.Platform
	}
	return s
}
