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
	chans, err := parseChannels(env, given, env.Dir)
	if err != nil {
		return nil, nil, err
	}
	recs, err := newClient(env, offline).LoadAll(ctx, chans, p)
	if err != nil {
		return nil, nil, err
	}
	return chans, recs, nil
}

// parseChannels locates channels given by name, URL or path (relative to
// dir).
func parseChannels(env *Env, given []string, dir string) ([]channel.Channel, error) {
	var chans []channel.Channel
	for _, g := range given {
		c, err := channel.Parse(g, dir, env.Getenv("ENVLOCK_CHANNEL_ALIAS"))
		if err != nil {
			return nil, err
		}
		chans = append(chans, c)
	}
	return chans, nil
}

// newClient returns the HTTP client for channels and packages, with the
// cache, mirrors and credentials of the environment.
func newClient(env *Env, offline bool) *channel.Client {
	c := channel.NewClient(fetch.CacheDir(env.Getenv), env.Getenv)
	c.Offline = c.Offline || offline
	return c
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
