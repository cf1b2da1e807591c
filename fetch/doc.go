// Package fetch owns everything that talks to a channel, an index or the
// package cache: repodata, HTTP caching, mirrors, auth, downloads with hash
// checks, the cache layout and its locks, progress, and offline bundles.
//
// Sub-packages hold one concept each (fetch/channel, …).
package fetch
