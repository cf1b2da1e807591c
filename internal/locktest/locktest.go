// Package locktest makes locks and fetchers for tests that install real
// packages: a lock of a channel directory's records, with no solve, and a
// fetcher over a package cache in a temporary directory.
package locktest

import (
	"context"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
)

// Channel locks the linux-64 records of the channel at dir that keep
// accepts (all when keep is nil) and returns the lock and its bytes.
func Channel(t testing.TB, dir string, keep func(*repodata.Record) bool) (*lockfile.Lock, []byte) {
	t.Helper()
	c, err := channel.Parse(dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := channel.Load(context.Background(), c, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	var kept []*repodata.Record
	for _, r := range recs {
		if keep == nil || keep(r) {
			kept = append(kept, r)
		}
	}
	l := &lockfile.Lock{Name: "t", Manifest: lockfile.Manifest{SHA256: strings.Repeat("0", 64)}, ChannelPriority: "strict",
		Channels:  []lockfile.Channel{{Name: "c", URL: c.URL}},
		Platforms: []*lockfile.Platform{lockfile.NewPlatform("linux-64", nil, nil, kept)}}
	data, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return l, data
}

// Fetcher fetches into a package cache at pkgs.
func Fetcher(t testing.TB, pkgs string) *download.Fetcher {
	t.Helper()
	c, err := cache.Open([]string{pkgs}, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &download.Fetcher{Client: channel.NewClient(t.TempDir(), func(string) string { return "" }), Cache: c, Parallel: 4}
}
