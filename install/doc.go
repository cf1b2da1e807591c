// Package install turns cached artifacts into a working prefix: Apply
// replays one platform of a lock into a target path. It fetches every
// artifact into the package cache (hash-checked), extracts each once
// into the cache (install/extract), links them into a staging directory
// beside the target (install/link), writes conda-meta so conda and mamba
// see an environment they could have made, and only then moves the
// staging directory into place. An existing envlock prefix is replaced
// the same way, with a journal beside it so that an interrupted swap is
// finished or rolled back by the next run: the target is never left
// half-written.
//
// No repodata is read: the lock holds everything. Post-link scripts are
// not run unless asked (AllowScripts); the ones skipped are reported.
package install
