package main

import (
	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/lockfile"
)

// The JSON shapes of lock, diff, add, drop, install and keygen with
// --json; schemas/cli.cue documents them (#Changes, #Lock, #Install,
// #Keygen) and the scenarios check the output against it.

// jsonChange is one row of a lock diff.
type jsonChange struct {
	Platform string `json:"platform"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	// Change is "added", "removed" or "changed".
	Change string `json:"change"`
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
}

func changesJSON(cs []lock.Change) []jsonChange {
	out := make([]jsonChange, 0, len(cs))
	for _, c := range cs {
		kind := "changed"
		switch {
		case c.Old == "":
			kind = "added"
		case c.New == "":
			kind = "removed"
		}
		out = append(out, jsonChange{Platform: c.Platform, Kind: c.Kind, Name: c.Name, Change: kind, Old: c.Old, New: c.New})
	}
	return out
}

// jsonLock is what lock --json, add --json and drop --json print.
type jsonLock struct {
	Lock string `json:"lock"`
	// Mode is "lock", "check" or "dry-run".
	Mode      string   `json:"mode"`
	Written   bool     `json:"written"`
	Platforms []string `json:"platforms"`
	// UpToDate and Problems are set by --check.
	UpToDate *bool        `json:"up_to_date,omitempty"`
	Problems []string     `json:"problems,omitempty"`
	Changes  []jsonChange `json:"changes"`
	// Edits are what add and drop changed in env.cue.
	Edits []string `json:"edits,omitempty"`
}

func platformNames(l *lockfile.Lock) []string {
	out := []string{}
	if l == nil {
		return out
	}
	for _, p := range l.Platforms {
		out = append(out, string(p.Platform))
	}
	return out
}

// jsonInstall is what install --json prints.
type jsonInstall struct {
	Prefix   string `json:"prefix"`
	Lock     string `json:"lock"`
	Platform string `json:"platform"`
	// UpToDate is set when the prefix already held the lock and nothing
	// was done.
	UpToDate bool `json:"up_to_date"`
	Packages int  `json:"packages"`
	Wheels   int  `json:"wheels"`
	Files    int  `json:"files"`
	// Signature is how the lock's signature was checked ("verified",
	// "unsigned", …).
	Signature string `json:"signature"`
}

// jsonKeygen is what keygen --json prints.
type jsonKeygen struct {
	PrivateKey  string `json:"private_key"`
	PublicKey   string `json:"public_key"`
	Fingerprint string `json:"fingerprint"`
}
