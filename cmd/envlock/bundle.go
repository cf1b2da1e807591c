package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/envlock/envlock/fetch/bundle"
	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/spec"
)

var bundleFlags struct {
	lock      string
	platforms stringList
	out       string
	zstd      bool
	pkgsDirs  stringList
	offline   bool
	json      bool
}

var cmdBundle = &Command{
	Name:  "bundle",
	Usage: "bundle [--lock env.lock] [--platform P]… [-o FILE] [--zstd] [--pkgs-dir DIR]… [--offline] [--json]",
	Short: "write a lock and all its packages into one file for offline clusters",
	Long: `
Bundle fetches (through the package cache, hash-checked) every package the
lock names for the chosen platforms (default: all of the lock's; any
platform from any host) and writes one tar: envlock-bundle.json (format
version, the lock's sha256, every file with size and sha256), env.lock,
env.lock.sig when present, the manifest (env.cue) under manifest/, and
channel/<subdir>/ with the packages and a repodata.json for each subdir,
so the folder is a conda file channel conda, mamba or pixi can use.

The same lock and platforms give the same bytes on any machine and day.
The default name is <env name>.envlock.tar; --zstd or a name ending in
.tar.zst compresses it. Install it on the other side with
'envlock install --bundle FILE -p PATH', which needs no network.

--json prints the result for scripts (schemas/cli.cue #Bundle): the
bundle's path, size and sha256 (to check the copy on the other side),
the lock, its platforms and whether it is signed.

Example:

	envlock bundle --platform linux-64 -o proj.envlock.tar.zst
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&bundleFlags.lock, "lock", lockfile.FileName, "lock file")
		listVar(fs, &bundleFlags.platforms, "platform", "platform to include (repeatable; default all)")
		fs.StringVar(&bundleFlags.out, "o", "", "output file (default <name>.envlock.tar)")
		fs.BoolVar(&bundleFlags.zstd, "zstd", false, "compress with zstd")
		listVar(fs, &bundleFlags.pkgsDirs, "pkgs-dir", "package cache directory (repeatable)")
		fs.BoolVar(&bundleFlags.offline, "offline", false, "use only the package cache")
		fs.BoolVar(&bundleFlags.json, "json", false, "print the result as JSON (schemas/cli.cue #Bundle)")
	},
	Run: runBundle,
}

func runBundle(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected arguments %q", args)
	}
	lockPath := abs(env, bundleFlags.lock)
	l, data, err := lockfile.Read(lockPath)
	if err != nil {
		return err
	}
	sig, err := sign.ReadSignature(lockPath)
	if err != nil {
		return err
	}
	extra := map[string][]byte{}
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(lockPath), spec.ManifestFile)); err == nil {
		extra[spec.ManifestFile] = b
	}
	c, err := openCache(env, bundleFlags.pkgsDirs)
	if err != nil {
		return err
	}
	out := bundleFlags.out
	if out == "" {
		out = l.Name + ".envlock.tar"
		if bundleFlags.zstd {
			out += ".zst"
		}
	}
	out = abs(env, out)
	zst := bundleFlags.zstd || strings.HasSuffix(out, ".zst")
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = bundle.Write(ctx, f, bundle.Input{
		Lock: l, LockData: data, Signature: sig, Extra: extra, Platforms: bundleFlags.platforms, Zstd: zst,
		Fetcher: &download.Fetcher{Client: newClient(env, bundleFlags.offline), Cache: c, Parallel: 4, BaseDir: filepath.Dir(lockPath)},
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	res, err := bundleResult(out, lockPath, l, bundleFlags.platforms, sig != nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s (%s)\n", out, byteCount(res.Bytes))
	if bundleFlags.json {
		return writeJSON(env.Stdout, res)
	}
	return nil
}

// bundleResult describes the bundle written at path: size and sha256,
// the lock and the platforms it holds (default all of the lock's).
func bundleResult(path, lockPath string, l *lockfile.Lock, platforms []string, signed bool) (*jsonBundle, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	sum, err := cache.HashFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading back %s: %w", path, err)
	}
	if len(platforms) == 0 {
		platforms = l.PlatformNames()
	}
	return &jsonBundle{Bundle: path, Bytes: fi.Size(), SHA256: sum, Lock: lockPath, Name: l.Name, Platforms: platforms, Signed: signed}, nil
}
