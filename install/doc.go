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
// No repodata is read: the lock holds everything. Post-link scripts are
// not run unless asked (AllowScripts); the ones skipped are reported.
package install
