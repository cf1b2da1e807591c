// Package wheel installs wheels (PEP 427, the binary distribution format)
// into a conda prefix as pip would, and reads what an installed wheel
// recorded.
//
// Install unpacks the archive into the prefix's site-packages (purelib
// and platlib are the same directory in a conda environment), the
// ".data" directory's scripts into bin/ (with "#!python" rewritten to
// the environment's python), headers into include/ and data into the
// prefix; it streams every file from the archive on disk and checks it
// against the wheel's RECORD before writing anything (a wheel declaring
// more than MaxUnpacked is refused unread), refuses a destination outside
// the prefix or in conda-meta, and a .dist-info that is not the locked
// project and version; all writes go through an os.Root of the stage.
// It turns console and GUI entry points into scripts, and writes the
// installed .dist-info as PEP 376 and PEP 627 ask: INSTALLER
// ("envlock"), REQUESTED for what the manifest asked for, direct_url.json
// (PEP 610) for wheels from a local path, and a RECORD of what was
// actually installed, paths relative to site-packages.
//
// ReadRecord parses a RECORD; verify uses it to check an installed
// wheel's files, and Uninstall uses it to remove one.
package wheel
