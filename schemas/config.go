package schemas

import _ "embed"

// Config is the CUE schema of envlock's configuration files and of
// "envlock config --json" (schemas/config.cue, package config, definitions
// #Config and #Report).
//
//go:embed config.cue
var Config string
