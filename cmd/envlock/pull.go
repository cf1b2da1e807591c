package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/envlock/envlock/fetch/bundle"
	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/fetch/oci"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/spec"
)

var pullFlags struct {
	out       string
	platforms stringList
	pkgsDirs  stringList
	keys      stringList
	zstd      bool
	json      bool
}

var cmdPull = &Command{
	Name:  "pull",
	Usage: "pull oci://HOST/REPO:TAG|@sha256:… [-o FILE] [--platform P]… [--key PUB]… [--zstd] [--pkgs-dir DIR]… [--json]",
	Short: "fetch an environment pushed to a registry as an offline bundle",
	Long: `
Pull reads an environment 'envlock push' published, brings the blobs the
package cache lacks into it (each checked against the lock), and writes
the offline bundle 'envlock bundle' would write for the same lock and
platforms (default all that were pushed), byte for byte: carry it to a
cluster without registry access and 'envlock install --bundle' it.

With --key (or $ENVLOCK_TRUSTED_KEYS) the lock must be signed by one of
the keys, and a cosign signature of the artifact in the registry, when
there is one, must be too; both are checked before any package is
fetched.

--json prints the result for scripts (schemas/cli.cue #Pull): the
bundle (path, size, sha256, platforms), the artifact's digest, the blobs
downloaded and those already in the package cache, and whether the
signature was checked.

Example:

	envlock pull oci://ghcr.io/mylab/envs/proj:2026-11 --key lab.pub -o proj.envlock.tar
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&pullFlags.out, "o", "", "output file (default <name>.envlock.tar)")
		listVar(fs, &pullFlags.platforms, "platform", "platform to include (repeatable; default all pushed)")
		listVar(fs, &pullFlags.pkgsDirs, "pkgs-dir", "package cache directory (repeatable)")
		listVar(fs, &pullFlags.keys, "key", "trusted public key; the lock must be signed by one (repeatable)")
		fs.BoolVar(&pullFlags.zstd, "zstd", false, "compress with zstd")
		fs.BoolVar(&pullFlags.json, "json", false, "print the result as JSON (schemas/cli.cue #Pull)")
	},
	Run: runPull,
}

func runPull(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("want one oci://HOST/REPO:TAG")
	}
	keys, err := trustedKeys(env, pullFlags.keys)
	if err != nil {
		return err
	}
	c, err := openCache(env, pullFlags.pkgsDirs)
	if err != nil {
		return err
	}
	pe, err := pullEnv(ctx, env, args[0], c, pullFlags.platforms, keys, func(where string, sig, data []byte) error {
		if len(keys) == 0 {
			return nil
		}
		if err := sign.VerifyTrusted(keys, sig, data); err != nil {
			return &exitError{code: exitSignature, msg: fmt.Sprintf("%s: %v; nothing was written", where, err)}
		}
		return nil
	}, "nothing was written")
	if err != nil {
		return err
	}
	out := pullFlags.out
	if out == "" {
		out = pe.lock.Name + ".envlock.tar"
		if pullFlags.zstd {
			out += ".zst"
		}
	}
	out = abs(env, out)
	extra := map[string][]byte{}
	if pe.manifest != nil {
		extra[spec.ManifestFile] = pe.manifest
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = bundle.Write(ctx, f, bundle.Input{
		Lock: pe.lock, LockData: pe.data, Signature: pe.sig, Extra: extra, Platforms: pe.platforms,
		Zstd:    pullFlags.zstd || strings.HasSuffix(out, ".zst"),
		Fetcher: &download.Fetcher{Client: newClient(env, true), Cache: c, Parallel: 4},
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
	res, err := bundleResult(out, "", pe.lock, pe.platforms, pe.sig != nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s (%s)\n", out, byteCount(res.Bytes))
	if !pullFlags.json {
		return nil
	}
	res.Ref, res.Digest = args[0], pe.digest
	res.Downloaded, res.DownloadedBytes, res.Cached = &pe.downloaded, &pe.downloadedBytes, &pe.cached
	res.Signature = "not checked"
	if len(keys) > 0 {
		res.Signature = "verified"
	}
	return writeJSON(env.Stdout, res)
}

// pulled is an environment read from a registry, its artifacts in the
// package cache.
type pulled struct {
	lock      *lockfile.Lock
	data      []byte
	sig       []byte
	manifest  []byte
	platforms []string

	digest             string // the artifact's manifest digest
	downloaded, cached int    // blobs fetched, and found in the package cache
	downloadedBytes    int64
}

// pullEnv resolves ref, reads the lock and its signature, runs check on
// them and, with keys, verifies the registry's cosign signature when
// there is one, all before any package is fetched; then it brings the
// artifacts of platforms (default all of the lock's) that the cache lacks
// into it.
func pullEnv(ctx context.Context, env *Env, ref string, c *cache.Cache, platforms []string, keys [][]byte, check func(where string, sig, data []byte) error, nothing string) (*pulled, error) {
	r, err := oci.ParseRef(ref)
	if err != nil {
		return nil, usagef("%v", err)
	}
	client := ociClient(env)
	rem, err := client.Open(ctx, r)
	if err != nil {
		return nil, ociErr(err)
	}
	data, ok, err := rem.ReadTitle(ctx, oci.LockTitle)
	if err != nil {
		return nil, ociErr(err)
	}
	if !ok {
		return nil, fmt.Errorf("%s has no %s layer: it was not pushed by 'envlock push'", ref, oci.LockTitle)
	}
	l, err := lockfile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: the pushed lock: %w", ref, err)
	}
	p := &pulled{lock: l, data: data}
	// The signature: a cosign base64 signature or a Sigstore bundle,
	// titled as beside a lock (earlier pushes put either under
	// env.lock.sig).
	for _, t := range []string{oci.BundleTitle, oci.SignatureTitle} {
		var ok bool
		if p.sig, ok, err = rem.ReadTitle(ctx, t); err != nil {
			return nil, ociErr(err)
		}
		if ok {
			break
		}
	}
	if p.manifest, _, err = rem.ReadTitle(ctx, oci.ManifestTitle); err != nil {
		return nil, ociErr(err)
	}
	if err := check(ref, p.sig, data); err != nil {
		return nil, err
	}
	if len(keys) > 0 {
		err := rem.VerifySignature(ctx, func(sig, payload []byte) error {
			var fps []string
			for _, k := range keys {
				if sign.Verify(k, sig, payload) == nil {
					return nil
				}
				fps = append(fps, sign.Fingerprint(k))
			}
			return fmt.Errorf("the cosign signature is by none of the trusted keys %s", strings.Join(fps, ", "))
		})
		switch {
		case errors.Is(err, oci.ErrNoSignature):
			fmt.Fprintf(env.Stderr, "note: %s has no cosign signature in the registry; the lock's own signature was verified\n", ref)
		case err != nil:
			return nil, &exitError{code: exitSignature, msg: fmt.Sprintf("%v; %s", ociErr(err), nothing)}
		}
	}
	if len(platforms) == 0 {
		cfg, err := rem.Config(ctx)
		if err != nil {
			return nil, ociErr(err)
		}
		platforms = cfg.Platforms
	}
	arts, err := oci.LockedArtifacts(l, platforms)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	list := make([]cache.Artifact, len(arts))
	for i, a := range arts {
		list[i] = a.Artifact
	}
	res, err := rem.Fetch(ctx, c, list)
	if err != nil {
		return nil, ociErr(err)
	}
	fmt.Fprintf(env.Stderr, "pulled %s@%s: %d blobs downloaded (%s), %d already in the package cache\n",
		rem.Ref.Context(), rem.Digest, res.Downloaded, byteCount(res.DownloadedBytes), res.Cached)
	p.platforms = platforms
	p.digest, p.downloaded, p.downloadedBytes, p.cached = rem.Digest, res.Downloaded, res.DownloadedBytes, res.Cached
	return p, nil
}

// installFrom is install --from: the environment at ref, its artifacts
// for platform in the cache; check sees the lock and signature first.
func installFrom(ctx context.Context, env *Env, ref string, c *cache.Cache, platform string, keys [][]byte, check func(where string, sig, data []byte) error) (l *lockfile.Lock, data, sig []byte, err error) {
	if installFlags.bundle != "" {
		return nil, nil, nil, usagef("--from and --bundle exclude each other")
	}
	pe, err := pullEnv(ctx, env, ref, c, []string{platform}, keys, check, "nothing was installed")
	if err != nil {
		return nil, nil, nil, err
	}
	return pe.lock, pe.data, pe.sig, nil
}
