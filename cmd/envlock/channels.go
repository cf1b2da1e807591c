package main

import (
	"context"
	"fmt"

	"github.com/envlock/envlock/fetch"
	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
)

// loadChannels locates and reads the channels for platform p, in
// priority order, through the repodata cache.
func loadChannels(ctx context.Context, env *Env, given []string, p platform.Platform, offline bool) ([]channel.Channel, []*repodata.Record, error) {
	if len(given) == 0 {
		return nil, nil, usagef("at least one --channel is required")
	}
	var chans []channel.Channel
	for _, g := range given {
		c, err := channel.Parse(g, env.Dir, env.Getenv("ENVLOCK_CHANNEL_ALIAS"))
		if err != nil {
			return nil, nil, err
		}
		chans = append(chans, c)
	}
	client := channel.NewClient(fetch.CacheDir(env.Getenv), env.Getenv)
	if offline {
		client.Offline = true
	}
	recs, err := client.LoadAll(ctx, chans, p)
	if err != nil {
		return nil, nil, err
	}
	return chans, recs, nil
}

// platformFlag parses --platform, defaulting to the host's.
func platformFlag(s string) (platform.Platform, error) {
	if s == "" {
		if h := platform.Host(); h != "" {
			return h, nil
		}
		return "", fmt.Errorf("cannot tell this host's conda platform; pass --platform")
	}
	p, err := platform.Parse(s)
	if err != nil {
		return "", usagef("%v", err)
	}
	return p, nil
}
