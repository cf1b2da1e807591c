// Package lock owns resolution and the lockfile: Resolve solves a
// manifest per platform (in lock/solve) into an env.lock (lock/lockfile),
// preferring an existing lock's packages so re-locks move only what a
// manifest change requires; Check says whether a lock is stale; Diff
// compares two locks. Signing lives in lock/sign.
//
// It reads package records through a Source and never talks to the
// network itself; channels are fetched by package fetch.
package lock
