package main

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/sign"
)

// The JSON shapes of lock, diff, add, drop, install, keygen, export,
// sign, verify-lock, bundle, pull, push, init, import, remove,
// trusted-root, kernel install|remove and module with --json;
// schemas/cli.cue documents them (#Changes, #Lock, #Install, #Keygen,
// #Export, #Sign, #VerifyLock, #Bundle, #Pull, #Push, #Manifest,
// #Remove, #TrustedRoot, #KernelInstall, #KernelRemove, #Module) and the
// scenarios check the output against it.

// jsonChange is one row of a lock diff.
type jsonChange struct {
	Platform string `json:"platform"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	// Change is "added", "removed" or "changed".
	Change string `json:"change"`
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
}

func changesJSON(cs []lock.Change) []jsonChange {
	out := make([]jsonChange, 0, len(cs))
	for _, c := range cs {
		kind := "changed"
		switch {
		case c.Old == "":
			kind = "added"
		case c.New == "":
			kind = "removed"
		}
		out = append(out, jsonChange{Platform: c.Platform, Kind: c.Kind, Name: c.Name, Change: kind, Old: c.Old, New: c.New})
	}
	return out
}

// jsonLock is what lock --json, add --json and drop --json print.
type jsonLock struct {
	Lock string `json:"lock"`
	// Mode is "lock", "check" or "dry-run".
	Mode      string   `json:"mode"`
	Written   bool     `json:"written"`
	Platforms []string `json:"platforms"`
	// UpToDate and Problems are set by --check.
	UpToDate *bool        `json:"up_to_date,omitempty"`
	Problems []string     `json:"problems,omitempty"`
	Changes  []jsonChange `json:"changes"`
	// Edits are what add and drop changed in env.cue.
	Edits []string `json:"edits,omitempty"`
}

func platformNames(l *lockfile.Lock) []string {
	out := []string{}
	if l == nil {
		return out
	}
	for _, p := range l.Platforms {
		out = append(out, string(p.Platform))
	}
	return out
}

// jsonInstall is what install --json prints.
type jsonInstall struct {
	Prefix   string `json:"prefix"`
	Lock     string `json:"lock"`
	Platform string `json:"platform"`
	// UpToDate is set when the prefix already held the lock and nothing
	// was done.
	UpToDate bool `json:"up_to_date"`
	Packages int  `json:"packages"`
	Wheels   int  `json:"wheels"`
	Files    int  `json:"files"`
	// Signature is how the lock's signature was checked ("verified",
	// "unsigned", …).
	Signature string `json:"signature"`
}

// jsonKeygen is what keygen --json prints.
type jsonKeygen struct {
	PrivateKey  string `json:"private_key"`
	PublicKey   string `json:"public_key"`
	Fingerprint string `json:"fingerprint"`
}

// jsonExport is what export --json prints.
type jsonExport struct {
	Lock      string   `json:"lock"`
	Format    string   `json:"format"`
	Platforms []string `json:"platforms"`
	// File is where -o wrote the export; without -o, Content holds it.
	File    string `json:"file,omitempty"`
	Content string `json:"content,omitempty"`
	Bytes   int    `json:"bytes"`
	SHA256  string `json:"sha256"`
}

// jsonSign is what sign --json prints.
type jsonSign struct {
	Lock       string `json:"lock"`
	LockSHA256 string `json:"lock_sha256"`
	Signature  string `json:"signature"`
	// Format is "cosign-signature" or "bundle-v0.3", as verify-lock
	// names them.
	Format string `json:"format"`
	// Key is the fingerprint of the signing key's public half.
	Key string `json:"key"`
	// Removed is the signature file in the other format, removed.
	Removed string `json:"removed,omitempty"`
}

// jsonVerifyLock is what verify-lock --json prints.
type jsonVerifyLock struct {
	Lock   string `json:"lock"`
	SHA256 string `json:"sha256"`
	// Status is "verified" or "invalid" (exit 3, Message says why).
	Status  string       `json:"status"`
	Signer  *sign.Signer `json:"signer,omitempty"`
	Message string       `json:"message,omitempty"`
}

// jsonBundle is what bundle --json and pull --json print (pull adds
// the registry's side).
type jsonBundle struct {
	Bundle    string   `json:"bundle"`
	Bytes     int64    `json:"bytes"`
	SHA256    string   `json:"sha256"`
	Lock      string   `json:"lock,omitempty"` // bundle only
	Name      string   `json:"name"`
	Platforms []string `json:"platforms"`
	Signed    bool     `json:"signed"`

	// pull only.
	Ref             string `json:"ref,omitempty"`
	Digest          string `json:"digest,omitempty"`
	Downloaded      *int   `json:"downloaded,omitempty"`
	DownloadedBytes *int64 `json:"downloaded_bytes,omitempty"`
	Cached          *int   `json:"cached,omitempty"`
	// Signature is how the lock's signature was checked: "verified"
	// with --key, "not checked" otherwise.
	Signature string `json:"signature,omitempty"`
}

// jsonPush is what push --json prints.
type jsonPush struct {
	// Ref is the digest reference (REPO@sha256:…), what push prints
	// without --json; Tag is the reference pushed to.
	Ref           string `json:"ref"`
	Tag           string `json:"tag"`
	Digest        string `json:"digest"`
	Lock          string `json:"lock"`
	Blobs         int    `json:"blobs"`
	Uploaded      int    `json:"uploaded"`
	UploadedBytes int64  `json:"uploaded_bytes"`
	Existing      int    `json:"existing"`
	// SignatureTag is where --sign-key put the cosign signature.
	SignatureTag string `json:"signature_tag,omitempty"`
}

// sha256Hex is the hex sha256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// jsonManifest is what init --json and import --json print.
type jsonManifest struct {
	// Manifest is the env.cue written; Lock the env.lock written beside
	// it (import of a lock file or an environment).
	Manifest     string `json:"manifest"`
	Lock         string `json:"lock,omitempty"`
	Name         string `json:"name"`
	Dependencies int    `json:"dependencies"`
	PyPI         int    `json:"pypi"`
	// Packages counts what the lock pins (conda packages and wheels, all
	// platforms).
	Packages *int `json:"packages,omitempty"`
	// Source is what import read ("stdin" for -).
	Source string `json:"source,omitempty"`
}

// jsonRemove is what remove --json prints: the environment deleted, as
// its conda-meta/envlock.json described it.
type jsonRemove struct {
	Prefix string `json:"prefix"`
	// The rest is empty when there was no marker to read (what a
	// half-finished swap left, which remove finishes and deletes).
	Name       string `json:"name,omitempty"`
	Lock       string `json:"lock,omitempty"`
	LockSHA256 string `json:"lock_sha256,omitempty"`
	Platform   string `json:"platform,omitempty"`
	Packages   int    `json:"packages"`
	Wheels     int    `json:"wheels"`
}

// jsonTrustedRoot is what trusted-root --json prints.
type jsonTrustedRoot struct {
	File string `json:"file"`
	// Source is "tuf" (fetched through Sigstore's TUF repository) or
	// "builtin" (the snapshot built into envlock).
	Source string `json:"source"`
	// Mirror is the TUF repository fetched from (source "tuf").
	Mirror    string `json:"mirror,omitempty"`
	Bytes     int    `json:"bytes"`
	SHA256    string `json:"sha256"`
	MediaType string `json:"media_type"`
	// What the root trusts: Fulcio CAs, Rekor logs, certificate
	// transparency logs and timestamp authorities.
	CertificateAuthorities int `json:"certificate_authorities"`
	Tlogs                  int `json:"tlogs"`
	Ctlogs                 int `json:"ctlogs"`
	TimestampAuthorities   int `json:"timestamp_authorities"`
}

// jsonKernelInstall is what kernel install --json prints.
type jsonKernelInstall struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Language    string `json:"language"`
	// Dir is the kernelspec directory written.
	Dir    string `json:"dir"`
	Prefix string `json:"prefix"`
	// Lock and LockSHA256 are empty for an environment envlock did not
	// install.
	Lock       string `json:"lock,omitempty"`
	LockSHA256 string `json:"lock_sha256,omitempty"`
	// Replaced says a kernel of that name was there before.
	Replaced bool `json:"replaced"`
}

// jsonKernelRemove is what kernel remove --json prints; the exit code is
// 1 when any kernel could not be removed.
type jsonKernelRemove struct {
	// Dir is the kernels directory removed from.
	Dir     string              `json:"dir"`
	Removed []string            `json:"removed"`
	Failed  []jsonKernelFailure `json:"failed,omitempty"`
}

type jsonKernelFailure struct {
	Name  string `json:"name"`
	Error string `json:"error"`
}

// jsonModule is what module --json prints.
type jsonModule struct {
	Prefix  string `json:"prefix"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Format  string `json:"format"`
	// Load is what "module load" takes: NAME or NAME/VERSION.
	Load string `json:"load"`
	// With --out, File is the modulefile written and ModulePath the
	// directory "module use" names; without, Content is the modulefile.
	File       string `json:"file,omitempty"`
	ModulePath string `json:"modulepath,omitempty"`
	Content    string `json:"content,omitempty"`
	Bytes      int    `json:"bytes"`
	SHA256     string `json:"sha256"`
}
