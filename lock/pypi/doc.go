// Package pypi resolves a platform's PyPI requirements to exact wheels,
// after the conda solve of that platform: the locked python fixes the
// interpreter version for markers and tags, the manifest's system floors
// fix the platform tags (manylinux_2_X with X at most the glibc floor),
// and the conda packages already in the set satisfy the requirements
// they provide, which are then not installed a second time.
//
// The resolver backtracks: it tries each project's versions newest
// first (the previous lock's version first, so a re-lock moves nothing
// it need not), follows Requires-Dist with markers evaluated for the
// target and the extras asked for, and undoes choices that lead to a
// conflict. Errors name the project, every constraint on it and who
// made it, and what the index has instead: versions that are only
// sdists (refused: installs must not build), and wheels for other
// glibc floors or Pythons.
//
// Which conda packages provide which PyPI projects: a conda package
// that depends on python (or is noarch: python) provides the PyPI project
// of the same normalized name (PEP 503), and the table in Provides names
// the packages conda-forge spells differently (pytorch is torch,
// matplotlib-base is matplotlib, …).
//
// The index is an interface (Index); fetch/pypi implements it over HTTP.
package pypi
