package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/envlock/envlock/internal/atomicfile"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/spec"
	"github.com/sigstore/sigstore-go/pkg/root"
)

var keygenFlags struct {
	json  bool
	out   string
	force bool
}

var cmdKeygen = &Command{
	Name:  "keygen",
	Usage: "keygen [--out PREFIX] [--force] [--json]",
	Short: "make a key pair for signing locks",
	Long: `
Keygen writes an ECDSA P-256 key pair for signing env.lock: PREFIX.key,
the private key encrypted with a password, and PREFIX.pub, the public key
to commit or hand to cluster admins. The files are PEM like cosign's, so
cosign can use them too.

The password comes from $ENVLOCK_PASSWORD (or $COSIGN_PASSWORD), else it
is read from the terminal. An empty password is allowed, as in cosign.

Example:

	ENVLOCK_PASSWORD=… envlock keygen --out lab
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&keygenFlags.out, "out", "envlock", "path prefix of the key files")
		fs.BoolVar(&keygenFlags.force, "force", false, "overwrite existing key files")
		fs.BoolVar(&keygenFlags.json, "json", false, "print the key files and fingerprint as JSON (schemas/cli.cue #Keygen)")
	},
	Run: func(ctx context.Context, env *Env, args []string) error {
		if len(args) != 0 {
			return usagef("unexpected arguments %q", args)
		}
		prefix := abs(env, keygenFlags.out)
		privPath, pubPath := prefix+".key", prefix+".pub"
		if !keygenFlags.force {
			for _, p := range []string{privPath, pubPath} {
				if _, err := os.Stat(p); err == nil {
					return withHint(fmt.Errorf("%s already exists", p), "use --force to replace it, or --out for another name")
				}
			}
		}
		pw, err := password(env, true)
		if err != nil {
			return err
		}
		priv, pub, err := sign.GenerateKeyPair(pw)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(privPath, priv, 0o600); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(pubPath, pub, 0o644); err != nil {
			return err
		}
		if keygenFlags.json {
			return writeJSON(env.Stdout, jsonKeygen{PrivateKey: privPath, PublicKey: pubPath, Fingerprint: sign.Fingerprint(pub)})
		}
		fmt.Fprintf(env.Stdout, "private key: %s\npublic key:  %s (fingerprint %s)\n", privPath, pubPath, sign.Fingerprint(pub))
		return nil
	},
}

var signFlags struct {
	key    string
	bundle bool
	json   bool
}

var cmdSign = &Command{
	Name:  "sign",
	Usage: "sign [--key KEY] [--bundle] [--json] [LOCK]",
	Short: "sign a lock file",
	Long: `
Sign signs the exact bytes of LOCK (default env.lock) with the private key
KEY (default $ENVLOCK_KEY, else envlock.key). It writes LOCK.sig, cosign's
base64 signature, or with --bundle LOCK.sigstore.json, a Sigstore bundle
(v0.3, what cosign v3 writes by default); the other file, if any, is
removed so that the two cannot disagree. Both verify with
'envlock verify-lock' and with cosign, offline:

	cosign verify-blob --key KEY.pub --signature LOCK.sig --insecure-ignore-tlog=true LOCK
	cosign verify-blob --key KEY.pub --bundle LOCK.sigstore.json --insecure-ignore-tlog=true LOCK

Keyless signatures (a CI job's identity through Fulcio and Rekor) are
made with cosign itself: 'cosign sign-blob --bundle LOCK.sigstore.json
LOCK' (see the README's CI recipe).

The key's password comes from $ENVLOCK_PASSWORD (or $COSIGN_PASSWORD),
else the terminal.

--json prints the result for scripts (schemas/cli.cue #Sign): the lock
and its sha256, the signature file and its format, the key's
fingerprint.

Example:

	envlock sign --key lab.key --bundle env.lock
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&signFlags.key, "key", "", "private key (default $ENVLOCK_KEY or envlock.key)")
		fs.BoolVar(&signFlags.bundle, "bundle", false, "write a Sigstore bundle LOCK.sigstore.json instead of LOCK.sig")
		fs.BoolVar(&signFlags.json, "json", false, "print the result as JSON (schemas/cli.cue #Sign)")
	},
	Run: func(ctx context.Context, env *Env, args []string) error {
		lockPath, err := lockArg(env, args)
		if err != nil {
			return err
		}
		key := signFlags.key
		if key == "" {
			key = env.Getenv("ENVLOCK_KEY")
		}
		if key == "" {
			key = "envlock.key"
		}
		res, err := signLockAs(env, abs(env, key), lockPath, signFlags.bundle, signFlags.json)
		if err != nil || !signFlags.json {
			return err
		}
		return writeJSON(env.Stdout, res)
	},
}

// signLock signs the lock at lockPath with the key at keyPath, in the
// format already beside it ('lock --sign' re-signs a bundle as a bundle).
func signLock(env *Env, keyPath, lockPath string) error {
	_, err := os.Stat(lockPath + sign.BundleFileSuffix)
	_, err = signLockAs(env, keyPath, lockPath, err == nil, false)
	return err
}

// signLockAs signs the lock at lockPath with the key at keyPath, as a
// bundle or a legacy signature, and says what it did (with the key's
// fingerprint when withKey: deriving it costs a second decryption).
func signLockAs(env *Env, keyPath, lockPath string, asBundle, withKey bool) (*jsonSign, error) {
	priv, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, withHint(err, "make a key pair with 'envlock keygen', or pass --key")
	}
	data, err := os.ReadFile(lockPath)
	if err != nil {
		return nil, err
	}
	if _, err := lockfile.Parse(data); err != nil {
		return nil, fmt.Errorf("%s: %w", lockPath, err)
	}
	pw, err := password(env, false)
	if err != nil {
		return nil, err
	}
	out, other := lockPath+sign.SigFileSuffix, lockPath+sign.BundleFileSuffix
	res := &jsonSign{Lock: lockPath, LockSHA256: lockfile.Hash(data), Format: "cosign-signature"}
	if withKey {
		pub, err := publicKey(priv, pw)
		if err != nil {
			return nil, err
		}
		res.Key = sign.Fingerprint(pub)
	}
	var sig []byte
	if asBundle {
		out, other = other, out
		res.Format = "bundle-v0.3"
		sig, err = sign.SignBundle(priv, pw, data)
	} else {
		sig, err = sign.Sign(priv, pw, data)
	}
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(out, append(sig, '\n'), 0o644); err != nil {
		return nil, err
	}
	res.Signature = out
	if err := os.Remove(other); err == nil {
		res.Removed = other
		fmt.Fprintf(env.Stderr, "removed the old %s\n", filepath.Base(other))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	fmt.Fprintf(env.Stderr, "signed %s → %s\n", filepath.Base(lockPath), filepath.Base(out))
	return res, nil
}

// trustFlags are the flags that say who may sign a lock, shared by
// verify-lock, install and verify.
type trustFlags struct {
	keys           stringList
	identity       string
	identityRegexp string
	issuer         string
	issuerRegexp   string
	trustedRoot    string
}

func (t *trustFlags) set(fs *flag.FlagSet) {
	listVar(fs, &t.keys, "key", "trusted public key; the lock must be signed by one (repeatable)")
	fs.StringVar(&t.identity, "certificate-identity", "", "trusted keyless signer: the certificate's subject (an email or a CI workflow URI)")
	fs.StringVar(&t.identityRegexp, "certificate-identity-regexp", "", "trusted keyless signer: a regular expression for the subject")
	fs.StringVar(&t.issuer, "certificate-oidc-issuer", "", "the OIDC issuer of the trusted keyless signer, e.g. https://token.actions.githubusercontent.com")
	fs.StringVar(&t.issuerRegexp, "certificate-oidc-issuer-regexp", "", "a regular expression for the OIDC issuer")
	fs.StringVar(&t.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json for keyless signatures (default $ENVLOCK_TRUSTED_ROOT, the cached one, else the public-good root built in)")
}

// trustPolicy builds who may sign from the flags, else $ENVLOCK_TRUSTED_KEYS,
// and the trust section of sitePolicy (a CUE file; "" for none). When
// none of them names anyone, the trust section of the env.cue in
// projectDir ("" for none) applies: the project's own word on who signs
// its locks.
func trustPolicy(env *Env, t *trustFlags, sitePolicy string, projectDir ...string) (*sign.Policy, error) {
	keys, err := trustedKeys(env, t.keys)
	if err != nil {
		return nil, err
	}
	p := &sign.Policy{Keys: keys}
	if t.identity != "" || t.identityRegexp != "" || t.issuer != "" || t.issuerRegexp != "" {
		id := sign.Identity{Subject: t.identity, SubjectRegexp: t.identityRegexp, Issuer: t.issuer, IssuerRegexp: t.issuerRegexp}
		if err := id.Check(); err != nil {
			return nil, usagef("%v", err)
		}
		p.Identities = append(p.Identities, id)
	}
	rootPath := t.trustedRoot
	if sitePolicy != "" {
		tr, err := spec.ReadTrust(sitePolicy)
		if err != nil {
			return nil, err
		}
		if tr != nil {
			p.Keys = append(p.Keys, tr.Keys...)
			for _, id := range tr.Identities {
				p.Identities = append(p.Identities, sign.Identity(id))
			}
			if rootPath == "" {
				rootPath = tr.TrustedRoot
			}
		}
	}
	if p.IsEmpty() && len(projectDir) > 0 && projectDir[0] != "" {
		manifest := filepath.Join(projectDir[0], spec.ManifestFile)
		if _, err := os.Stat(manifest); err == nil {
			tr, err := spec.ReadTrust(manifest)
			if err != nil {
				return nil, err
			}
			if tr != nil {
				p.Keys = tr.Keys
				for _, id := range tr.Identities {
					p.Identities = append(p.Identities, sign.Identity(id))
				}
				if rootPath == "" {
					rootPath = tr.TrustedRoot
				}
			}
		}
	}
	if len(p.Identities) > 0 {
		if p.TrustedRoot, err = loadTrustedRoot(env, rootPath); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// loadTrustedRoot reads the Sigstore trusted root: path, else
// $ENVLOCK_TRUSTED_ROOT, else the one 'envlock trusted-root' cached,
// else the public-good root built into envlock.
func loadTrustedRoot(env *Env, path string) (root.TrustedMaterial, error) {
	if path == "" {
		path = env.Getenv("ENVLOCK_TRUSTED_ROOT")
	}
	if path == "" {
		cached := filepath.Join(sigstoreCacheDir(env), sign.TrustedRootFile)
		if _, err := os.Stat(cached); err == nil {
			path = cached
		}
	}
	if path == "" {
		return sign.PublicGood()
	}
	tr, err := sign.LoadTrustedRoot(abs(env, path))
	if err != nil {
		return nil, withHint(err, "pass a trusted_root.json with --trusted-root (for the public-good instance, 'envlock trusted-root' fetches it)")
	}
	return tr, nil
}

// sigstoreCacheDir is where the trusted root and its TUF metadata are
// cached: $XDG_CACHE_HOME/envlock/sigstore.
func sigstoreCacheDir(env *Env) string {
	dir := env.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		if home := env.Getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".cache")
		} else {
			dir, _ = os.UserCacheDir()
		}
	}
	return filepath.Join(dir, "envlock", "sigstore")
}

var verifyLockFlags struct {
	trust  trustFlags
	sig    string
	policy string
	json   bool
}

var cmdVerifyLock = &Command{
	Name:  "verify-lock",
	Usage: "verify-lock [--key PUB]… [--certificate-identity ID --certificate-oidc-issuer URL] [--trusted-root FILE] [--policy FILE] [--signature SIG] [--json] [LOCK]",
	Short: "check a lock's signature and say who signed it",
	Long: `
Verify-lock checks that LOCK (default env.lock) carries a valid signature
by someone trusted, and says who signed it. The signature is
--signature FILE, else LOCK.sigstore.json, else LOCK.sig; it is cosign's
base64 signature or a Sigstore bundle (v0.1 to v0.3: what
'cosign sign-blob --bundle' writes), signed with a key or keyless.

Who is trusted:
  --key PUB (repeatable; else $ENVLOCK_TRUSTED_KEYS, paths separated by
  ':') trusts public keys. --certificate-identity (or
  --certificate-identity-regexp) with --certificate-oidc-issuer (or
  --certificate-oidc-issuer-regexp), named as in cosign, trusts a keyless
  signer, such as a GitHub Actions workflow on a branch. The site policy
  (--policy FILE or $ENVLOCK_POLICY) adds its trust section. When none of
  these names anyone, the trust section of the env.cue beside LOCK does.

Keyless bundles are checked offline: the certificate against the trusted
root's certificate authorities at the time the transparency log (its
inclusion proof and signed entry timestamp, carried in the bundle) or a
timestamp authority vouches for, then the identity. The trusted root is
--trusted-root FILE, else $ENVLOCK_TRUSTED_ROOT, else the one
'envlock trusted-root' fetched, else Sigstore's public-good root built
into envlock.

--json prints the result for scripts (schemas/cli.cue #VerifyLock): the
lock, its sha256, "verified" with the signer, or "invalid" with why.

Exit status: 0 when the signature is good, 3 when it is missing, does not
match (the lock changed after signing, or another key signed it) or is
not by a trusted signer, 1 for other errors.

Examples:

	envlock verify-lock --key lab.pub env.lock
	envlock verify-lock --certificate-oidc-issuer https://token.actions.githubusercontent.com \
	    --certificate-identity-regexp '^https://github\.com/our-lab/project/\.github/workflows/lock\.yml@refs/heads/main$'
`,
	SetFlags: func(fs *flag.FlagSet) {
		verifyLockFlags.trust.set(fs)
		fs.StringVar(&verifyLockFlags.sig, "signature", "", "signature or bundle file (default LOCK.sigstore.json, else LOCK.sig)")
		fs.StringVar(&verifyLockFlags.policy, "policy", "", "site policy `FILE` whose trust section says who may sign (default $ENVLOCK_POLICY)")
		fs.BoolVar(&verifyLockFlags.json, "json", false, "print the result as JSON (schemas/cli.cue #VerifyLock)")
	},
	Run: func(ctx context.Context, env *Env, args []string) error {
		lockPath, err := lockArg(env, args)
		if err != nil {
			return err
		}
		policy, err := trustPolicy(env, &verifyLockFlags.trust, sitePolicyPath(env, verifyLockFlags.policy), filepath.Dir(lockPath))
		if err != nil {
			return err
		}
		if policy.IsEmpty() {
			return usagef("nobody is trusted: pass --key PUB or --certificate-identity and --certificate-oidc-issuer, set $ENVLOCK_TRUSTED_KEYS, or give a site policy with a trust section")
		}
		data, err := os.ReadFile(lockPath)
		if err != nil {
			return err
		}
		var sig []byte
		if verifyLockFlags.sig != "" {
			sig, err = os.ReadFile(abs(env, verifyLockFlags.sig))
			if errors.Is(err, os.ErrNotExist) {
				sig, err = nil, nil
			}
		} else {
			sig, err = sign.ReadSignature(lockPath)
		}
		if err != nil {
			return err
		}
		signer, err := policy.Verify(sig, data)
		result := jsonVerifyLock{Lock: lockPath, SHA256: lockfile.Hash(data), Status: "verified", Signer: signer}
		if err != nil {
			if verifyLockFlags.json {
				result.Status, result.Signer, result.Message = "invalid", nil, err.Error()
				if err := writeJSON(env.Stdout, result); err != nil {
					return err
				}
			}
			return &exitError{code: exitSignature, msg: fmt.Sprintf("%s: %v", lockPath, err)}
		}
		if verifyLockFlags.json {
			return writeJSON(env.Stdout, result)
		}
		fmt.Fprintf(env.Stdout, "%s: signature OK (%s), signed by %s\n", filepath.Base(lockPath), lockfile.Hash(data)[:16], signer)
		return nil
	},
}

// sitePolicyPath is --policy, else $ENVLOCK_POLICY, made absolute.
func sitePolicyPath(env *Env, flagValue string) string {
	p := flagValue
	if p == "" {
		p = env.Getenv(spec.PolicyEnv)
	}
	if p == "" {
		return ""
	}
	return userPath(env, p)
}

var trustedRootFlags struct {
	out     string
	builtin bool
	json    bool
	mirror  string
	root    string
}

var cmdTrustedRoot = &Command{
	Name:  "trusted-root",
	Usage: "trusted-root [--out FILE] [--mirror URL [--root FILE]] [--builtin] [--json]",
	Short: "fetch Sigstore's current trusted root (public-good or a private instance's)",
	Long: `
Trusted-root fetches the Sigstore public-good instance's current trusted
root (its Fulcio certificate authorities, Rekor logs and timestamp
authorities) through Sigstore's TUF repository, checked against the TUF
root built into envlock, and writes it to FILE (default
$XDG_CACHE_HOME/envlock/sigstore/trusted_root.json, where verify-lock and
install look when --trusted-root is not given). It needs the network;
copy the file to clusters without it and pass --trusted-root, or set
$ENVLOCK_TRUSTED_ROOT.

--mirror URL fetches from another Sigstore instance's TUF repository (a
site's own Fulcio and Rekor, or a mirror of the public-good one), as
'cosign initialize --mirror' does. The first time, --root FILE gives the
repository's root.json, from its operators; the chain of trust starts
there and later runs start from the newest root it verified (cached per
mirror), following key rotations. Every piece of metadata is checked:
signatures and thresholds, expiry, versions that must never go back, and
the trusted root's length and sha256.

--builtin writes the snapshot built into envlock instead, with no
network (what verification uses when no other root is given).

--json prints what was written for scripts: the file, its size and
sha256, and how many authorities and logs the root trusts
(schemas/cli.cue #TrustedRoot).

Example:

	envlock trusted-root --out /apps/envlock/trusted_root.json
	envlock trusted-root --mirror https://tuf.sigstore.example.edu --root root.json
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&trustedRootFlags.out, "out", "", "where to write trusted_root.json")
		fs.BoolVar(&trustedRootFlags.builtin, "builtin", false, "write the root built into envlock (no network)")
		fs.BoolVar(&trustedRootFlags.json, "json", false, "print what was written as JSON (schemas/cli.cue #TrustedRoot)")
		fs.StringVar(&trustedRootFlags.mirror, "mirror", "", "the TUF repository `URL` of the Sigstore instance (default: the public-good one)")
		fs.StringVar(&trustedRootFlags.root, "root", "", "the TUF repository's root.json `FILE` to start trusting from (needed once per --mirror)")
	},
	Run: func(ctx context.Context, env *Env, args []string) error {
		if len(args) != 0 {
			return usagef("unexpected arguments %q", args)
		}
		dir := sigstoreCacheDir(env)
		out := filepath.Join(dir, sign.TrustedRootFile)
		if trustedRootFlags.out != "" {
			out = abs(env, trustedRootFlags.out)
		}
		if trustedRootFlags.builtin && (trustedRootFlags.mirror != "" || trustedRootFlags.root != "") {
			return usagef("--builtin takes no --mirror or --root")
		}
		if trustedRootFlags.root != "" && trustedRootFlags.mirror == "" {
			return usagef("--root is the root.json of the TUF repository --mirror names")
		}
		repo := sign.TUFRepo{Mirror: trustedRootFlags.mirror}
		if trustedRootFlags.root != "" {
			var err error
			if repo.Root, err = os.ReadFile(abs(env, trustedRootFlags.root)); err != nil {
				return err
			}
		}
		var data []byte
		if trustedRootFlags.builtin {
			data = sign.PublicGoodJSON()
		} else {
			if err := os.MkdirAll(filepath.Join(dir, "tuf"), 0o755); err != nil {
				return err
			}
			var err error
			if data, err = sign.FetchTrustedRoot(ctx, filepath.Join(dir, "tuf"), repo); err != nil {
				hint := "this needs the network, and a repository that fails TUF's checks is refused on purpose; on an offline cluster pass --trusted-root FILE with a root fetched elsewhere, or use --builtin"
				if repo.Mirror != "" && repo.Root == nil {
					hint = "pass --root FILE with the repository's root.json the first time"
				}
				return withHint(err, "%s", hint)
			}
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(out, data, 0o644); err != nil {
			return err
		}
		what := "the public-good trusted root"
		switch {
		case trustedRootFlags.builtin:
			what = "the public-good trusted root built into envlock"
		case repo.Mirror != "":
			what = "the trusted root of " + strings.TrimSuffix(repo.Mirror, "/")
		}
		fmt.Fprintf(env.Stderr, "wrote %s to %s\n", what, out)
		if !trustedRootFlags.json {
			return nil
		}
		res, err := trustedRootJSON(out, data)
		if err != nil {
			return err
		}
		if trustedRootFlags.builtin {
			res.Source = "builtin"
		} else {
			res.Mirror = strings.TrimSuffix(cmp.Or(repo.Mirror, sign.PublicGoodMirror), "/")
		}
		return writeJSON(env.Stdout, res)
	},
}

// trustedRootJSON describes the trusted root data written to file.
func trustedRootJSON(file string, data []byte) (*jsonTrustedRoot, error) {
	// The protobuf-specs JSON names of a TrustedRoot's fields.
	var tr struct {
		MediaType              string            `json:"mediaType"`
		CertificateAuthorities []json.RawMessage `json:"certificateAuthorities"`
		Tlogs                  []json.RawMessage `json:"tlogs"`
		Ctlogs                 []json.RawMessage `json:"ctlogs"`
		TimestampAuthorities   []json.RawMessage `json:"timestampAuthorities"`
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		return nil, fmt.Errorf("reading the trusted root written to %s: %w", file, err)
	}
	return &jsonTrustedRoot{File: file, Source: "tuf", Bytes: len(data), SHA256: sha256Hex(data), MediaType: tr.MediaType,
		CertificateAuthorities: len(tr.CertificateAuthorities), Tlogs: len(tr.Tlogs), Ctlogs: len(tr.Ctlogs),
		TimestampAuthorities: len(tr.TimestampAuthorities)}, nil
}

// trustedKeys reads --key files, else $ENVLOCK_TRUSTED_KEYS.
func trustedKeys(env *Env, given []string) ([][]byte, error) {
	if len(given) == 0 {
		for _, p := range strings.Split(env.Getenv("ENVLOCK_TRUSTED_KEYS"), string(os.PathListSeparator)) {
			if p != "" {
				given = append(given, p)
			}
		}
	}
	var keys [][]byte
	for _, p := range given {
		k, err := os.ReadFile(abs(env, p))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func lockArg(env *Env, args []string) (string, error) {
	switch len(args) {
	case 0:
		return abs(env, lockfile.FileName), nil
	case 1:
		return abs(env, args[0]), nil
	}
	return "", usagef("want at most one LOCK, got %d", len(args))
}

func abs(env *Env, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(env.Dir, p)
}

// password returns the key password from the environment or the
// terminal; confirm asks twice.
func password(env *Env, confirm bool) ([]byte, error) {
	for _, v := range []string{"ENVLOCK_PASSWORD", "COSIGN_PASSWORD"} {
		if pw, ok := lookupEnv(env, v); ok {
			return []byte(pw), nil
		}
	}
	f, ok := env.Stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return nil, withHint(errors.New("no password: $ENVLOCK_PASSWORD is not set and there is no terminal to ask on"), "set ENVLOCK_PASSWORD (it may be empty) in scripts and CI")
	}
	fmt.Fprint(env.Stderr, "Password for the private key: ")
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return nil, err
	}
	if confirm {
		fmt.Fprint(env.Stderr, "Again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return nil, err
		}
		if string(again) != string(pw) {
			return nil, errors.New("the passwords differ")
		}
	}
	return pw, nil
}

// lookupEnv tells a variable set to "" from one not set (env.Getenv
// cannot), using the process environment.
func lookupEnv(env *Env, name string) (string, bool) {
	if v := env.Getenv(name); v != "" {
		return v, true
	}
	return os.LookupEnv(name)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
