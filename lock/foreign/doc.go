// Package foreign reads other tools' lock files — conda-lock's
// conda-lock.yml and pixi's pixi.lock — and turns one environment of
// them into an env.cue draft and an env.lock that pins exactly the
// packages the source pinned, with no solve, so a team can move to
// envlock without moving any package.
//
// Formats read (the versions are the files' own "version" field, as
// rattler_lock numbers them):
//
//   - 1–3: conda-lock's format (metadata + package list; conda-lock
//     itself writes version 1). Version 2 writes dependencies as a list
//     instead of a map, version 3 says "pypi" for "pip".
//   - 4–6: pixi.lock (environments → channels and per-platform package
//     references; a packages list holding the records). Versions 4 and 5
//     tag records with "kind: conda|pypi" and a "url"; version 6 keys them
//     by "conda:" or "pypi:" location and lets name, version, build,
//     subdir and channel be derived from the archive's URL.
//   - 7: pixi.lock as current rattler writes it: a top-level "platforms"
//     list (name, subdir, virtual packages) whose names key each
//     environment's packages; archives of a local channel are written as
//     absolute paths, read as file:// URLs.
//
// Anything else is an error naming the version. Fields a format leaves out
// are derived from the archive's URL as rattler_lock derives them, the
// build number from the build string's last all-digit "_" part, and
// noarch from a noarch subdir and a "py" build string; envlock installs
// from the archives' own metadata, so such derived fields only reach
// conda-meta. Source packages (pixi build locations
// that are not archives) cannot be pinned and are an error.
//
// The manifest made for an import asks for the packages nothing else in
// the lock depends on (the roots of the dependency graph, whole cycles
// included), pinned to their locked versions; the lock pins everything.
package foreign
