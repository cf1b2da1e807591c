package sign

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/tuftest"
	"github.com/envlock/envlock/lock/sign/sigstoretest"
)

// TestFetchTrustedRootTUF fetches trusted_root.json from a private
// Sigstore instance's TUF repository on loopback (real TUF metadata,
// real ed25519 keys, go-tuf's client through sigstore-go): first from
// the root.json its operators publish, then, after the repository
// rotated its root key and published a new trusted root, from the root
// cached by the first fetch.
func TestFetchTrustedRootTUF(t *testing.T) {
	first := PublicGoodJSON()
	repo := tuftest.New(t, t.TempDir(), map[string][]byte{TrustedRootFile: first})
	url := repo.Serve()
	cache := t.TempDir()
	got, err := FetchTrustedRoot(context.Background(), cache, TUFRepo{Mirror: url, Root: repo.RootJSON()})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, first) {
		t.Fatalf("fetched %d bytes, not the published trusted root", len(got))
	}

	s, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	before := t.TempDir()
	if err := os.CopyFS(before, os.DirFS(repo.Dir)); err != nil {
		t.Fatal(err)
	}
	repo.RotateRoot()
	repo.SetTarget(TrustedRootFile, second)
	got, err = FetchTrustedRoot(context.Background(), cache, TUFRepo{Mirror: url + "/"})
	if err != nil {
		t.Fatalf("after a root rotation, from the cached root: %v", err)
	}
	if !bytes.Equal(got, second) {
		t.Fatalf("after the update, fetched %d bytes, not the new trusted root", len(got))
	}

	// A mirror rolled back to what it served before (an attacker
	// replaying old, still validly signed metadata) is refused: the
	// cache remembers the versions seen.
	if err := os.RemoveAll(repo.Dir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(repo.Dir, os.DirFS(before)); err != nil {
		t.Fatal(err)
	}
	got, err = FetchTrustedRoot(context.Background(), cache, TUFRepo{Mirror: url})
	t.Logf("rolled back: %v", err)
	if err == nil || !strings.Contains(err.Error(), "updating the TUF metadata of "+url) || !strings.Contains(err.Error(), "version") {
		t.Fatalf("rolled-back mirror: %d bytes, %v; want a refusal naming the version", len(got), err)
	}
}

// TestFetchTrustedRootTUFRefuses: what a client must not accept, each
// with an error that says which repository and what is wrong.
func TestFetchTrustedRootTUFRefuses(t *testing.T) {
	good := PublicGoodJSON()
	for _, tt := range []struct {
		name   string
		break_ func(r *tuftest.Repo) // what the repository does wrong
		root   func(r *tuftest.Repo) []byte
		want   []string
	}{
		{name: "tampered target", break_: func(r *tuftest.Repo) {
			r.TamperTarget(TrustedRootFile)
		}, want: []string{"fetching trusted_root.json from the TUF repository http://127.0.0.1:", "hash verification failed"}},
		{name: "expired timestamp", break_: func(r *tuftest.Repo) { r.ExpireTimestamp() },
			want: []string{"updating the TUF metadata of http://127.0.0.1:", "timestamp.json is expired"}},
		{name: "another repository's root", root: func(*tuftest.Repo) []byte {
			return tuftest.New(t, t.TempDir(), map[string][]byte{TrustedRootFile: good}).RootJSON()
		}, want: []string{"updating the TUF metadata of http://127.0.0.1:", "Verifying timestamp failed, not enough signatures"}},
		{name: "not a TUF root", root: func(*tuftest.Repo) []byte { return good },
			want: []string{"the TUF root given for http://127.0.0.1:", "is not a TUF root.json"}},
		{name: "no root, nothing cached", root: func(*tuftest.Repo) []byte { return nil },
			want: []string{"no TUF root for http://127.0.0.1:", "give its root.json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			repo := tuftest.New(t, t.TempDir(), map[string][]byte{TrustedRootFile: good})
			if tt.break_ != nil {
				tt.break_(repo)
			}
			rootJSON := repo.RootJSON()
			if tt.root != nil {
				rootJSON = tt.root(repo)
			}
			got, err := FetchTrustedRoot(context.Background(), t.TempDir(), TUFRepo{Mirror: repo.Serve(), Root: rootJSON})
			if err == nil {
				t.Fatalf("fetched %d bytes, want an error", len(got))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := FetchTrustedRoot(context.Background(), t.TempDir(), TUFRepo{Mirror: "ftp://mirror.example/tuf"}); err == nil || err.Error() != `TUF mirror "ftp://mirror.example/tuf" is not an http(s):// URL` {
		t.Errorf("ftp mirror: %v", err)
	}
}
