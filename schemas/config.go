package schemas

import _ "embed"

// Config is the CUE schema of envlock's configuration files and of
// "envlock config --json" (schemas/config.cue, package config, definitions
// #Config and #Report).
//
//go:embed config.cue
var Config string

// CLI is the CUE schema of the JSON that 'envlock list --json' (#List),
// 'envlock version --json' (#Version) and 'envlock env list --json'
// (#Envs) print (schemas/cli.cue, package cli).
//
//go:embed cli.cue
var CLI string
