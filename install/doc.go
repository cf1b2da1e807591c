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
// conda-meta is written as conda 26 writes it (condameta.go), so that
// conda, conda-pack, mamba and rattler/pixi read an envlock environment as
// one of their own: a record per package, conda-meta/<name>-<version>-<build>.json,
// with absolute URLs, requested_spec(s), package_type, paths_data v1
// (noarch python paths package-relative, entry points as
// unix_python_entry_point), link {source, type}; conda-meta/history in
// conda's format (specs as a Python list) and conda-meta/created_at.
// TestCondaMetaLikeConda diffs them against real conda's, and lists the
// differences allowed.
//
// envlock's own files sit where no conda tool reads them as records:
//
//	conda-meta/envlock/envlock.json   the marker (Marker): which lock, when, which signature
//	conda-meta/envlock/env.lock       the exact bytes of the lock installed
//	conda-meta/envlock/env.lock.sig   its signature, when signed
//
// Environments installed before kept the marker and the lock copy in
// conda-meta itself (envlock.json, envlock.lock); ReadMarker and
// verify.InstalledLock still read them there, and the next install moves
// them.
//
// Confinement: every file operation in the staging directory goes through
// an os.Root of it (install/link, install/wheel, conda-meta), and every
// one beside the prefix through an os.Root of its parent (swap.go), so no
// package path, link chain or record field can lead a write elsewhere.
// Beside a prefix envlock makes only names it can recognize
// (.envlock-NAME.lock, .envlock-stage-NAME-DIGITS, .envlock-old-NAME,
// .envlock-journal-NAME.json, .envlock-removing-NAME); one run at a time
// holds the lock, and it removes what killed runs left. Where the file
// system can (renameat2 RENAME_EXCHANGE) the swap is one atomic exchange.
//
// Speed: packages are fetched, extracted and linked by the same bounded
// workers, side by side; a path two packages install sends the install
// back to linking one package at a time, in dependency order, so that a
// clobber ends as conda's does (TestParallelLinkConflicts). A file that
// needs no rewriting costs one linkat (install/link). Before the swap
// one syncfs makes the staging directory durable: a power cut cannot
// leave the prefix's name on files whose data never reached the disk; a
// killed process needs no sync. BenchmarkInstallVsRattler (and
// scripts/bench-rattler.sh) measures all of it against py-rattler's
// installer on one lock and one cache.
//
// No repodata is read: the lock holds everything. Post-link scripts are
// not run unless asked (AllowScripts); the ones skipped are reported.
package install
