package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/edit"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/pep508"
	"github.com/envlock/envlock/spec/platform"
)

var editFlags struct {
	dir      string
	pypi     bool
	platform string
	noLock   bool
	offline  bool
	policy   string
	json     bool
}

func setEditFlags(fs *flag.FlagSet) {
	editFlagsWithout(fs, "")
	fs.BoolVar(&editFlags.json, "json", false, "print the edits and the lock's changes as JSON (schemas/cli.cue #Lock)")
}

// editFlagsWithout defines add's and drop's flags but --json, each usage
// led by when (remove has them for remove NAME…).
func editFlagsWithout(fs *flag.FlagSet, when string) {
	fs.StringVar(&editFlags.dir, "C", ".", when+"project directory")
	fs.BoolVar(&editFlags.pypi, "pypi", false, when+"edit the PyPI requirements (pypi:) instead of the conda dependencies")
	fs.StringVar(&editFlags.platform, "platform", "", when+"edit only this platform's section (target: P:)")
	fs.BoolVar(&editFlags.noLock, "no-lock", false, when+"only edit env.cue; do not re-lock")
	fs.BoolVar(&editFlags.offline, "offline", false, when+"use only cached repodata when re-locking")
	fs.StringVar(&editFlags.policy, "policy", "", when+"site policy file (default $ENVLOCK_POLICY)")
}

var cmdAdd = &Command{
	Name:  "add",
	Usage: "add [-C DIR] [--pypi] [--platform P] [--no-lock] [--json] SPEC…",
	Short: "add dependencies to env.cue and re-lock",
	Long: `
Add writes each SPEC into env.cue: a conda MatchSpec ("numpy", "numpy>=1.26",
"pytorch 2.* cuda*") into dependencies, or with --pypi a PEP 508
requirement ("torch-geometric==2.5.3", "requests[socks]>=2") into pypi.
A package already there gets the new constraint in its place. --platform P
writes into target: P: instead, for that platform alone.

env.cue is edited through CUE's syntax tree: its comments, field order and
layout stay as they are. Then env.lock is re-locked the way 'envlock lock'
does, moving only what the change requires, and the lock's changes are
printed. If the result does not load or cannot be solved, env.cue is put
back as it was. --no-lock only edits env.cue.

'envlock drop' takes dependencies out again.

Example:

	envlock add scipy "numpy>=1.26"
	envlock add --pypi "torch-geometric==2.5.3"
	envlock add --platform linux-64 "cuda-version 12.*"
`,
	SetFlags: setEditFlags,
	Run: func(ctx context.Context, env *Env, args []string) error {
		return runEdit(ctx, env, args, true)
	},
}

var cmdDrop = &Command{
	Name:  "drop",
	Usage: "drop [-C DIR] [--pypi] [--platform P] [--no-lock] [--json] NAME…",
	Short: "take dependencies out of env.cue and re-lock",
	Long: `
Drop deletes each NAME from env.cue's dependencies (with --pypi, from
pypi; with --platform P, from target: P:), with the comments written
above it, keeping the rest of the file as it is. Then env.lock is
re-locked: what nothing else needs leaves the lock, everything else stays
as locked, and the lock's changes are printed. --no-lock only edits.

(Drop edits the manifest; 'envlock remove' deletes an installed
environment.)

Example:

	envlock drop scipy
	envlock drop --pypi torch-geometric
`,
	SetFlags: setEditFlags,
	Run: func(ctx context.Context, env *Env, args []string) error {
		return runEdit(ctx, env, args, false)
	},
}

// runEdit adds (or drops) args in env.cue, then re-locks.
func runEdit(ctx context.Context, env *Env, args []string, add bool) error {
	if len(args) == 0 {
		if add {
			return usagef("name at least one package to add")
		}
		return usagef("name at least one package to drop")
	}
	section := []string{"dependencies"}
	what := "dependencies"
	if editFlags.pypi {
		section, what = []string{"pypi"}, "pypi"
	}
	if editFlags.platform != "" {
		if _, err := platform.Parse(editFlags.platform); err != nil {
			return usagef("%v", err)
		}
		section = append([]string{"target", editFlags.platform}, section...)
		what = fmt.Sprintf("target: %q: %s", editFlags.platform, what)
	}
	dir := abs(env, editFlags.dir)
	path := filepath.Join(dir, spec.ManifestFile)
	orig, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return withHint(fmt.Errorf("%s does not exist", path), "create one with 'envlock init' or 'envlock import environment.yml'")
	}
	if err != nil {
		return err
	}
	f, err := edit.Parse(path, orig)
	if err != nil {
		return err
	}
	var notes []string
	edited := false // env.cue changes: not when every spec is there already
	for _, a := range args {
		if !add {
			ok, err := f.Delete(section, a)
			if err != nil {
				return err
			}
			if !ok {
				err := fmt.Errorf("%s is not in %s of %s; nothing was changed", a, what, path)
				if editFlags.platform == "" {
					for _, p := range f.Names([]string{"target"}) {
						if f.Has(append([]string{"target", p}, section...), a) {
							return withHint(err, "it is in target: %q: drop it there with --platform %s", p, p)
						}
					}
				}
				return err
			}
			if editFlags.platform != "" {
				f.Prune(section)
			}
			notes = append(notes, fmt.Sprintf("dropped %s from %s", a, what))
			edited = true
			continue
		}
		name, value, err := splitSpec(a, editFlags.pypi)
		if err != nil {
			return usagef("%v", err)
		}
		if old, ok := f.Get(section, name); ok && old == value {
			// Already there as asked: env.cue is left as it is (the
			// lock is still brought up to date below).
			notes = append(notes, fmt.Sprintf("kept %s: %q in %s (already there)", name, value, what))
			continue
		}
		existed, err := f.Set(section, name, value)
		if err != nil {
			return err
		}
		edited = true
		verb := "added"
		if existed {
			verb = "changed"
		}
		notes = append(notes, fmt.Sprintf("%s %s: %q in %s", verb, name, value, what))
	}
	if edited {
		src, err := f.Format()
		if err != nil {
			return err
		}
		if err := writeFileAtomic(path, src); err != nil {
			return err
		}
	}
	restore := func(err error) error {
		if werr := writeFileAtomic(path, orig); werr != nil {
			return fmt.Errorf("%w (and putting %s back failed: %v)", err, path, werr)
		}
		fmt.Fprintf(env.Stderr, "%s left as it was\n", path)
		return err
	}
	m, err := loadProject(ctx, env, editFlags.dir, editFlags.policy)
	if err != nil {
		return restore(err)
	}
	for _, n := range notes {
		fmt.Fprintln(env.Stderr, n)
	}
	lockPath := filepath.Join(dir, lockfile.FileName)
	if editFlags.noLock {
		if edited {
			fmt.Fprintf(env.Stderr, "wrote %s; run 'envlock lock' to update %s\n", spec.ManifestFile, lockfile.FileName)
		} else {
			fmt.Fprintf(env.Stderr, "%s is as asked; nothing written\n", spec.ManifestFile)
		}
		if editFlags.json {
			return writeJSON(env.Stdout, jsonLock{Lock: lockPath, Mode: "edit", Platforms: []string{}, Changes: []jsonChange{}, Edits: notes})
		}
		return nil
	}
	prev, _, err := lockfile.Read(lockPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return restore(err)
	}
	if errors.Is(err, os.ErrNotExist) {
		prev = nil
	}
	l, err := resolveProject(ctx, env, lockRun{dir: dir, m: m, prev: prev, offline: editFlags.offline})
	if err != nil {
		return restore(err)
	}
	if err := lockfile.Write(lockPath, l); err != nil {
		return restore(err)
	}
	changes := lock.Diff(prev, l)
	if edited {
		fmt.Fprintf(env.Stderr, "wrote %s and %s: %s\n", spec.ManifestFile, lockfile.FileName, plural(len(changes), "change", "changes"))
	} else {
		fmt.Fprintf(env.Stderr, "wrote %s: %s (%s is as asked)\n", lockfile.FileName, plural(len(changes), "change", "changes"), spec.ManifestFile)
	}
	if editFlags.json {
		return writeJSON(env.Stdout, jsonLock{Lock: lockPath, Mode: "lock", Written: true, Platforms: platformNames(l), Changes: changesJSON(changes), Edits: notes})
	}
	return lock.WriteDiff(env.Stdout, changes)
}

// splitSpec splits a conda MatchSpec or a PEP 508 requirement as typed
// on the command line into env.cue's field name and value: "numpy>=1.26"
// is numpy: ">=1.26", a bare name is name: "*".
func splitSpec(s string, pypi bool) (name, value string, err error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (isAlnumByte(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.') {
		i++
	}
	name, value = s[:i], strings.TrimSpace(s[i:])
	if name == "" {
		return "", "", fmt.Errorf("%q: want a package name first", s)
	}
	if pypi {
		if _, err := pep508.Parse(s); err != nil {
			return "", "", err
		}
		if value == "" {
			value = "*"
		}
		return name, value, nil
	}
	if strings.HasPrefix(value, ":") || strings.Contains(value, "::") {
		return "", "", fmt.Errorf("%q: write a channel in env.cue as {version, channel}, not on the command line", s)
	}
	ms, err := matchspec.Parse(s)
	if err != nil {
		return "", "", err
	}
	if ms.Name != strings.ToLower(name) {
		return "", "", fmt.Errorf("%q: want NAME[ VERSION[ BUILD]]", s)
	}
	if value == "" {
		value = "*"
	}
	return strings.ToLower(name), value, nil
}

func isAlnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
