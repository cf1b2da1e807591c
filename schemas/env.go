package schemas

import _ "embed"

// Env is the CUE schema of env.cue (file schemas/env.cue, package env):
// the #Env definition a project's manifest is unified with, documented
// field by field. spec.Load compiles it; "envlock check --schema" prints
// it.
//
//go:embed env.cue
var Env string

// EnvFile is the name Env's positions carry in error messages.
const EnvFile = "schemas/env.cue"
