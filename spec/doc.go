// Package spec holds what the user asks for: the env.cue manifest and, in
// its sub-packages, the conda specification language it is written in.
//
//   - spec/version: conda versions and their VersionOrder.
//   - spec/versionspec: version constraints ("1.2.*", ">=1,<2|3.*").
//   - spec/matchspec: MatchSpecs ("conda-forge::numpy >=1.26 py311*").
//   - spec/repodata: package records and repodata.json.
//   - spec/platform: platforms and subdirs ("linux-64", "noarch").
//   - spec/virtual: virtual packages (__glibc, __cuda, …).
//
// Everything here must agree with conda exactly; the tests check it against
// conda's own data in ../shared/data/conformance. Nothing in spec does I/O
// beyond reading the files it is given.
package spec
