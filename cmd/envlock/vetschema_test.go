package main

import (
	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envlock/envlock/schemas"
)

// schemaSources are the embedded schemas "vetschema" knows, by file name.
var schemaSources = map[string]string{
	"config.cue": schemas.Config,
	"cli.cue":    schemas.CLI,
	"verify.cue": schemas.Verify,
	"lock.cue":   schemas.Lock,
}

// vetschemaCmd implements "vetschema SCHEMA.cue DEF FILE": FILE (JSON or
// CUE) must satisfy #DEF of the embedded schemas/SCHEMA.cue; with "!" it
// must not.
func vetschemaCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: vetschema SCHEMA.cue DEF FILE (DEF without #: a # starts a comment)")
	}
	src, ok := schemaSources[args[0]]
	if !ok {
		ts.Fatalf("vetschema: no embedded schema %s", args[0])
	}
	ctx := cuecontext.New()
	schema := ctx.CompileString(src, cue.Filename("schemas/"+args[0]))
	args[1] = "#" + args[1]
	def := schema.LookupPath(cue.ParsePath(args[1]))
	if !def.Exists() {
		ts.Fatalf("vetschema: schemas/%s has no %s", args[0], args[1])
	}
	v := ctx.CompileString(ts.ReadFile(args[2]), cue.Filename(args[2]))
	err := def.Unify(v).Validate(cue.Concrete(true))
	if neg {
		if err == nil {
			ts.Fatalf("%s satisfies %s, and should not", args[2], args[1])
		}
		return
	}
	if err != nil {
		ts.Fatalf("%s does not satisfy schemas/%s %s: %v", args[2], args[0], args[1], err)
	}
}
