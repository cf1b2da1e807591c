package schemas

import _ "embed"

// Lock is the CUE schema of env.lock (schemas/lock.cue, package lock),
// whose #Lock definition every lock envlock writes satisfies.
//
//go:embed lock.cue
var Lock string

// Verify is the CUE schema of the report "envlock verify --json" prints
// (schemas/verify.cue, package verify, definition #Report).
//
//go:embed verify.cue
var Verify string
