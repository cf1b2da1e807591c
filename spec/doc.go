// Package spec holds what the user asks for: the env.cue manifest and, in
// its sub-packages, the conda specification language it is written in.
//
// The manifest: Load reads a project's env.cue (and the other .cue files
// of package env beside it), unifies it with the #Env schema embedded from
// schemas/env.cue and with an optional site policy, requires concrete
// values, parses every MatchSpec and returns a Manifest. Its errors are
// Errors, each "file:line:col: field: message (rule positions)", all of
// them at once. Manifest.Normalized and Manifest.Hash give the canonical
// JSON form and its sha256, which the lock records to notice a stale lock;
// see TestHashStable and TestHashSensitive for what they ignore and what
// they do not. Draft writes a new env.cue (envlock init); Import turns
// conda's environment files into a Draft (envlock import).
//
// The site policy constrains what each platform finally asks for: the
// top-level requirements and, evaluated again per platform, the same with
// that platform's target overrides applied (policy.go). CUE evaluation
// cannot be stopped from outside, so LoadContext runs it where it can be
// abandoned (ctx done) and bounds it in time and memory (BudgetError).
//
//   - spec/version: conda versions and their VersionOrder.
//   - spec/versionspec: version constraints ("1.2.*", ">=1,<2|3.*").
//   - spec/matchspec: MatchSpecs ("conda-forge::numpy >=1.26 py311*").
//   - spec/repodata: package records and repodata.json.
//   - spec/ident: the grammar of the identities read from outside (names,
//     versions, builds, file names, digests, site-packages paths, wheels).
//   - spec/platform: platforms and subdirs ("linux-64", "noarch").
//   - spec/virtual: virtual packages (__glibc, __cuda, …).
//   - spec/envfile: conda's environment files (environment.yml,
//     @EXPLICIT lists, spec lists, pip requirements).
//
// Everything here must agree with conda exactly; the tests check it against
// conda's own data in ../shared/data/conformance. Nothing in spec does I/O
// beyond reading the files it is given.
package spec
