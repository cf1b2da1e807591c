// Package verify checks a host and a prefix against a lock: the host probe
// (glibc, cuda, kernel, arch), the ELF scan, the exact package set, file
// hashes and the report.
package verify
