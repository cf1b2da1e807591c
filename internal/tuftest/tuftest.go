// Package tuftest builds real TUF repositories for tests: metadata made
// and signed with go-tuf's metadata package and ed25519 keys, laid out
// as Sigstore's TUF mirrors are (consistent snapshots: N.root.json,
// timestamp.json, N.snapshot.json, N.targets.json and
// targets/SHA256.NAME), and served over loopback HTTP.
package tuftest

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// TB is what the package needs of a test: a *testing.T, or a script's
// wrapper.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Repo is a TUF repository on disk: one key per top-level role.
type Repo struct {
	Dir string

	t         TB
	keys      map[string]ed25519.PrivateKey
	root      *metadata.Metadata[metadata.RootType]
	targets   *metadata.Metadata[metadata.TargetsType]
	snapshot  *metadata.Metadata[metadata.SnapshotType]
	timestamp *metadata.Metadata[metadata.TimestampType]
	rootJSON  []byte // version 1, the trust anchor a client starts from
}

var roles = []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP}

// New writes a repository in dir serving the given targets, every role
// at version 1 and valid for a year.
func New(t TB, dir string, targets map[string][]byte) *Repo {
	t.Helper()
	year := time.Now().UTC().AddDate(1, 0, 0).Truncate(time.Second)
	r := &Repo{Dir: dir, t: t, keys: map[string]ed25519.PrivateKey{},
		root: metadata.Root(year), targets: metadata.Targets(year),
		snapshot: metadata.Snapshot(year), timestamp: metadata.Timestamp(year)}
	for _, role := range roles {
		r.keys[role] = r.addKey(role)
	}
	for name, data := range targets {
		r.putTarget(name, data)
	}
	r.signRoot(r.keys[metadata.ROOT])
	r.rootJSON = r.bytes(r.root)
	r.publishRoot()
	r.publish()
	return r
}

// RootJSON is version 1 of root.json: what a client is given to trust.
func (r *Repo) RootJSON() []byte { return append([]byte(nil), r.rootJSON...) }

// WriteRoot writes RootJSON to path.
func (r *Repo) WriteRoot(path string) {
	r.t.Helper()
	if err := os.WriteFile(path, r.rootJSON, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// SetTarget publishes a new version of a target: new targets, snapshot
// and timestamp metadata.
func (r *Repo) SetTarget(name string, data []byte) {
	r.t.Helper()
	r.putTarget(name, data)
	r.targets.Signed.Version++
	r.publish()
}

// RotateRoot replaces the root key: root version N+1, signed by the old
// key and the new one, as a TUF root rotation is. A client that trusts
// version N follows it.
func (r *Repo) RotateRoot() {
	r.t.Helper()
	old := r.keys[metadata.ROOT]
	oldKey, err := metadata.KeyFromPublicKey(old.Public())
	if err != nil {
		r.t.Fatal(err)
	}
	id, err := oldKey.ID()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.root.Signed.RevokeKey(id, metadata.ROOT); err != nil {
		r.t.Fatal(err)
	}
	r.keys[metadata.ROOT] = r.addKey(metadata.ROOT)
	r.root.Signed.Version++
	r.root.ClearSignatures()
	r.signRoot(old)
	r.signRoot(r.keys[metadata.ROOT])
	r.publishRoot()
	r.publish()
}

// ExpireTimestamp republishes timestamp.json already expired.
func (r *Repo) ExpireTimestamp() {
	r.t.Helper()
	r.timestamp.Signed.Expires = time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	r.timestamp.Signed.Version++
	r.sign(r.timestamp, metadata.TIMESTAMP)
	r.write("timestamp.json", r.bytes(r.timestamp))
}

// TamperTarget changes one byte of a target's published file without
// touching the signed metadata (the length stays right, the sha256 does
// not): what a compromised mirror would serve.
func (r *Repo) TamperTarget(name string) {
	r.t.Helper()
	tf := r.targets.Signed.Targets[name]
	if tf == nil {
		r.t.Fatalf("no target %s", name)
	}
	p := filepath.Join("targets", hex.EncodeToString(tf.Hashes["sha256"])+"."+name)
	data, err := os.ReadFile(filepath.Join(r.Dir, p))
	if err != nil || len(data) == 0 {
		r.t.Fatalf("target %s: %v", name, err)
	}
	data[len(data)/2] ^= 0x20
	r.write(p, data)
}

// Serve serves the repository on loopback until the test ends and
// returns its URL.
func (r *Repo) Serve() string {
	srv := httptest.NewServer(http.FileServer(http.Dir(r.Dir)))
	r.t.Cleanup(srv.Close)
	return srv.URL
}

func (r *Repo) addKey(role string) ed25519.PrivateKey {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	k, err := metadata.KeyFromPublicKey(priv.Public())
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.root.Signed.AddKey(k, role); err != nil {
		r.t.Fatal(err)
	}
	return priv
}

func (r *Repo) putTarget(name string, data []byte) {
	tf, err := metadata.TargetFile().FromBytes(name, data, "sha256")
	if err != nil {
		r.t.Fatal(err)
	}
	r.targets.Signed.Targets[name] = tf
	sum := sha256.Sum256(data)
	r.write(filepath.Join("targets", hex.EncodeToString(sum[:])+"."+name), data)
}

func (r *Repo) signRoot(k ed25519.PrivateKey) {
	s, err := signature.LoadED25519Signer(k)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.root.Sign(s); err != nil {
		r.t.Fatal(err)
	}
}

type signable interface {
	Sign(signature.Signer) (*metadata.Signature, error)
	ClearSignatures()
}

func (r *Repo) sign(m signable, role string) {
	s, err := signature.LoadSignerVerifier(r.keys[role], crypto.Hash(0))
	if err != nil {
		r.t.Fatal(err)
	}
	m.ClearSignatures()
	if _, err := m.Sign(s); err != nil {
		r.t.Fatal(err)
	}
}

type toBytes interface{ ToBytes(bool) ([]byte, error) }

func (r *Repo) bytes(m toBytes) []byte {
	b, err := m.ToBytes(true)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *Repo) write(name string, data []byte) {
	p := filepath.Join(r.Dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *Repo) publishRoot() {
	r.write(fmt.Sprintf("%d.root.json", r.root.Signed.Version), r.bytes(r.root))
}

// publish signs and writes targets, then a new snapshot and timestamp.
func (r *Repo) publish() {
	r.sign(r.targets, metadata.TARGETS)
	r.write(fmt.Sprintf("%d.targets.json", r.targets.Signed.Version), r.bytes(r.targets))
	if r.snapshot.Signed.Meta["targets.json"].Version != r.targets.Signed.Version || len(r.snapshot.Signatures) == 0 {
		if len(r.snapshot.Signatures) != 0 {
			r.snapshot.Signed.Version++
		}
		r.snapshot.Signed.Meta["targets.json"] = metadata.MetaFile(r.targets.Signed.Version)
	}
	r.sign(r.snapshot, metadata.SNAPSHOT)
	r.write(fmt.Sprintf("%d.snapshot.json", r.snapshot.Signed.Version), r.bytes(r.snapshot))
	if len(r.timestamp.Signatures) != 0 {
		r.timestamp.Signed.Version++
	}
	r.timestamp.Signed.Meta["snapshot.json"] = metadata.MetaFile(r.snapshot.Signed.Version)
	r.sign(r.timestamp, metadata.TIMESTAMP)
	r.write("timestamp.json", r.bytes(r.timestamp))
}
