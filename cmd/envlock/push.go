package main

import (
	"context"
	"crypto"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/fetch/oci"
	"github.com/envlock/envlock/fetch/progress"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/spec"
)

var pushFlags struct {
	lock      string
	platforms stringList
	pkgsDirs  stringList
	offline   bool
	signKey   string
	json      bool
}

var cmdPush = &Command{
	Name:  "push",
	Usage: "push [--lock env.lock] [--platform P]… [--sign-key KEY] [--pkgs-dir DIR]… [--offline] [--json] oci://HOST/REPO:TAG",
	Short: "publish a lock and its packages to an OCI registry",
	Long: `
Push publishes the lock as one OCI artifact (artifact type
application/vnd.envlock.environment.v1): a layer each for env.lock, its
signature env.lock.sig when there is one, the manifest env.cue, and every
conda package and wheel the lock names for the chosen platforms (default
all), fetched through the package cache and checked against the lock.
Conda packages use conda-oci-mirror's media types
(application/vnd.conda.package.v1 for .tar.bz2, .v2 for .conda), wheels
application/vnd.envlock.wheel.v1+zip; each layer's title is
<subdir>/<file> or pypi/<file>, so 'oras pull' writes a conda channel.

The manifest depends only on the lock: pushing the same lock twice gives
the same digest, and blobs the repository already holds (packages shared
with another environment) are not uploaded again. The digest reference is
printed on stdout; 'envlock install --from' takes it or the tag.

--sign-key KEY also signs the pushed manifest in cosign's registry
convention (the sha256-<digest>.sig tag), so 'cosign verify --key KEY.pub'
accepts it and 'envlock install --from … --key KEY.pub' checks it. The
key's password comes from $ENVLOCK_PASSWORD (or $COSIGN_PASSWORD).

--json prints the result for scripts (schemas/cli.cue #Push) instead
of the digest reference: it, the digest, the blobs uploaded and those
the registry already held, and the signature's tag.

Credentials: ~/.docker/config.json ($DOCKER_CONFIG) and its credential
helpers, as 'docker login' or 'oras login' write them, or a bearer token
in ENVLOCK_TOKENS="host=token". Loopback and private addresses are
reached over plain HTTP, others over HTTPS.

Example:

	envlock push --sign-key lab.key oci://ghcr.io/mylab/envs/proj:2026-11
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&pushFlags.lock, "lock", lockfile.FileName, "lock file")
		listVar(fs, &pushFlags.platforms, "platform", "platform to include (repeatable; default all)")
		listVar(fs, &pushFlags.pkgsDirs, "pkgs-dir", "package cache directory (repeatable)")
		fs.BoolVar(&pushFlags.offline, "offline", false, "use only the package cache")
		fs.StringVar(&pushFlags.signKey, "sign-key", "", "private key to sign the pushed artifact with (cosign convention)")
		fs.BoolVar(&pushFlags.json, "json", false, "print the result as JSON (schemas/cli.cue #Push)")
	},
	Run: runPush,
}

func runPush(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("want one oci://HOST/REPO:TAG")
	}
	ref, err := oci.ParseRef(args[0])
	if err != nil {
		return usagef("%v", err)
	}
	lockPath := abs(env, pushFlags.lock)
	l, data, err := lockfile.Read(lockPath)
	if err != nil {
		return err
	}
	sig, err := sign.ReadSignature(lockPath)
	if err != nil {
		return err
	}
	var manifest []byte
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(lockPath), spec.ManifestFile)); err == nil {
		manifest = b
	}
	var signer func([]byte) ([]byte, error)
	var mine func(sig, payload []byte) bool
	if pushFlags.signKey != "" {
		// Read the key and its password before anything is uploaded.
		priv, err := os.ReadFile(abs(env, pushFlags.signKey))
		if err != nil {
			return err
		}
		pw, err := password(env, false)
		if err != nil {
			return err
		}
		pub, err := publicKey(priv, pw)
		if err != nil {
			return err
		}
		signer = func(p []byte) ([]byte, error) { return sign.Sign(priv, pw, p) }
		mine = func(s, p []byte) bool { return sign.Verify(pub, s, p) == nil }
	}
	c, err := openCache(env, pushFlags.pkgsDirs)
	if err != nil {
		return err
	}
	art, err := oci.Build(ctx, &oci.Env{Lock: l, LockData: data, Signature: sig, Manifest: manifest, Platforms: pushFlags.platforms},
		(&download.Fetcher{Client: newClient(env, pushFlags.offline), Cache: c, Parallel: 4, BaseDir: filepath.Dir(lockPath)}).Fetch)
	if err != nil {
		return err
	}
	client := ociClient(env)
	res, err := client.Push(ctx, ref, art)
	if err != nil {
		return ociErr(err)
	}
	fmt.Fprintf(env.Stderr, "pushed %s: %d blobs, %d uploaded (%s), %d already in the registry\n",
		ref, res.Layers+1, res.Uploaded, byteCount(res.UploadedBytes), res.Layers+1-res.Uploaded)
	result := jsonPush{Ref: res.Ref, Tag: args[0], Digest: res.Digest, Lock: lockPath, Blobs: res.Layers + 1,
		Uploaded: res.Uploaded, UploadedBytes: res.UploadedBytes, Existing: res.Layers + 1 - res.Uploaded}
	if signer != nil {
		tag, err := client.Sign(ctx, ref.Context(), res.Digest, signer, mine)
		if err != nil {
			return ociErr(err)
		}
		result.SignatureTag = tag
		fmt.Fprintf(env.Stderr, "signed %s (cosign signature at %s)\n", res.Digest, tag)
	}
	if pushFlags.json {
		return writeJSON(env.Stdout, result)
	}
	fmt.Fprintln(env.Stdout, res.Ref)
	return nil
}

// publicKey derives the PEM public key of an encrypted private key.
func publicKey(privPEM, pw []byte) ([]byte, error) {
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(privPEM, cryptoutils.StaticPasswordFunc(pw))
	if err != nil {
		return nil, fmt.Errorf("reading the private key (wrong password?): %v", err)
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, err
	}
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}

func ociClient(env *Env) *oci.Client {
	return &oci.Client{Keychain: oci.Keychain(env.Getenv), Jobs: 4, UserAgent: "envlock"}
}

// ociErr adds the credentials hint to a registry's refusal.
func ociErr(err error) error {
	var ae *oci.AccessError
	if errors.As(err, &ae) {
		return withHint(err, "%s", ae.Hint())
	}
	return err
}

// byteCount formats a size for people in IEC units (512 B, 3.1 MiB),
// as every envlock command does.
func byteCount(n int64) string { return progress.Bytes(n) }
