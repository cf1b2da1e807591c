package main

import (
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envlock/envlock/fetch/shards"
	"github.com/envlock/envlock/spec/repodata"
)

// shardchannelCmd implements "shardchannel DIR": it turns each subdir's
// repodata.json under DIR into CEP-16 shards in the layout conda-index
// --write-shards makes (index and shards in the subdir) and removes the
// repodata.json, leaving a channel that serves shards only.
// (fetch/channel's tests use the real conda-index; scripts need no peer.)
func shardchannelCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: shardchannel DIR")
	}
	subs, err := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "*", "repodata.json"))
	ts.Check(err)
	for _, path := range subs {
		data, err := os.ReadFile(path)
		ts.Check(err)
		rd, err := repodata.Parse(data)
		ts.Check(err)
		dir := filepath.Dir(path)
		idx := &shards.Index{Version: 1, Subdir: filepath.Base(dir), Shards: map[string]shards.Hash{}}
		byName := map[string][]*repodata.Record{}
		for _, r := range rd.Records {
			byName[r.Name] = append(byName[r.Name], r)
		}
		for name, recs := range byName {
			b, h, err := shards.EncodeShard(recs)
			ts.Check(err)
			ts.Check(os.WriteFile(filepath.Join(dir, h.String()+".msgpack.zst"), b, 0o644))
			idx.Shards[name] = h
		}
		b, err := shards.EncodeIndex(idx)
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, shards.IndexFile), b, 0o644))
		ts.Check(os.Remove(path))
	}
}
