// Package schemas embeds the CUE schemas for env.cue and env.lock, so the
// binary carries the reference it validates against.
package schemas
