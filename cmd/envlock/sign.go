package main

import (
	"context"
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
)

// exitSignature is the exit status for a missing or bad signature, shared
// by every command that checks one.
const exitSignature = 3

var keygenFlags struct {
	out   string
	force bool
}

var cmdKeygen = &Command{
	Name:  "keygen",
	Usage: "keygen [--out PREFIX] [--force]",
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
		fmt.Fprintf(env.Stdout, "private key: %s\npublic key:  %s (fingerprint %s)\n", privPath, pubPath, sign.Fingerprint(pub))
		return nil
	},
}

var signFlags struct{ key string }

var cmdSign = &Command{
	Name:  "sign",
	Usage: "sign [--key KEY] [LOCK]",
	Short: "sign a lock file",
	Long: `
Sign writes LOCK.sig (default env.lock.sig), a base64 ECDSA signature over
the exact bytes of LOCK made with the private key KEY (default
$ENVLOCK_KEY, else envlock.key). It verifies with 'envlock verify-lock' and
with 'cosign verify-blob --key KEY.pub --signature LOCK.sig LOCK'.

The key's password comes from $ENVLOCK_PASSWORD (or $COSIGN_PASSWORD),
else the terminal.

Example:

	envlock sign --key lab.key env.lock
`,
	SetFlags: func(fs *flag.FlagSet) {
		fs.StringVar(&signFlags.key, "key", "", "private key (default $ENVLOCK_KEY or envlock.key)")
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
		return signLock(env, abs(env, key), lockPath)
	},
}

// signLock signs the lock at lockPath with the key at keyPath.
func signLock(env *Env, keyPath, lockPath string) error {
	priv, err := os.ReadFile(keyPath)
	if err != nil {
		return withHint(err, "make a key pair with 'envlock keygen', or pass --key")
	}
	data, err := os.ReadFile(lockPath)
	if err != nil {
		return err
	}
	if _, err := lockfile.Parse(data); err != nil {
		return fmt.Errorf("%s: %w", lockPath, err)
	}
	pw, err := password(env, false)
	if err != nil {
		return err
	}
	sig, err := sign.Sign(priv, pw, data)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(lockPath+sign.SigFileSuffix, append(sig, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "signed %s → %s\n", filepath.Base(lockPath), filepath.Base(lockPath)+sign.SigFileSuffix)
	return nil
}

var verifyLockFlags struct {
	keys stringList
	sig  string
}

var cmdVerifyLock = &Command{
	Name:  "verify-lock",
	Usage: "verify-lock [--key PUB]… [--signature SIG] [LOCK]",
	Short: "check a lock's signature",
	Long: `
Verify-lock checks that LOCK (default env.lock) carries a valid signature
(LOCK.sig, or --signature) by one of the public keys given with --key, or
else listed in $ENVLOCK_TRUSTED_KEYS (paths separated by ':').

Exit status: 0 when the signature is good, 3 when it is missing or does
not match (the lock changed after signing, or another key signed it),
1 for other errors.

Example:

	envlock verify-lock --key lab.pub env.lock
`,
	SetFlags: func(fs *flag.FlagSet) {
		listVar(fs, &verifyLockFlags.keys, "key", "trusted public key (repeatable)")
		fs.StringVar(&verifyLockFlags.sig, "signature", "", "signature file (default LOCK.sig)")
	},
	Run: func(ctx context.Context, env *Env, args []string) error {
		lockPath, err := lockArg(env, args)
		if err != nil {
			return err
		}
		keys, err := trustedKeys(env, verifyLockFlags.keys)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return usagef("no public key: pass --key PUB or set $ENVLOCK_TRUSTED_KEYS")
		}
		data, err := os.ReadFile(lockPath)
		if err != nil {
			return err
		}
		sigPath := verifyLockFlags.sig
		if sigPath == "" {
			sigPath = lockPath + sign.SigFileSuffix
		}
		sig, err := os.ReadFile(abs(env, sigPath))
		if errors.Is(err, os.ErrNotExist) {
			sig, err = nil, nil
		}
		if err != nil {
			return err
		}
		if err := sign.VerifyTrusted(keys, sig, data); err != nil {
			return &exitError{code: exitSignature, msg: fmt.Sprintf("%s: %v", lockPath, err)}
		}
		fmt.Fprintf(env.Stdout, "%s: signature OK (%s)\n", filepath.Base(lockPath), lockfile.Hash(data)[:16])
		return nil
	},
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
