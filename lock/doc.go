// Package lock owns resolution and the lockfile: the solver, PyPI
// resolution, the env.lock format, its canonical encoding and hash,
// staleness checks, signing and signature checks.
//
// It reads package records from spec/repodata and never talks to the
// network itself; channels are fetched by package fetch.
package lock
