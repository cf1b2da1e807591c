// Package pep508 holds Python dependency specifications as PEP 508
// defines them: a project name, extras, version specifiers or a direct
// URL, and an environment marker ("requests[socks]>=2.8; python_version
// >= '3.8'"), and the evaluation of markers against a target.
//
// Markers are evaluated per target, never against the machine running
// envlock: Environment builds the marker variables for a conda platform
// and the Python version locked for it. Comparisons of version-valued
// variables use PEP 440 (spec/pep440); others compare strings; "extra"
// compares normalized names (PEP 685). Versions and specifiers live in
// spec/pep440; wheel file names in spec/wheeltag.
package pep508
