// Package verify checks a host and a prefix against a lock: the host probe
// (glibc, cuda, kernel, arch), the ELF scan, the exact package set, file
// hashes and the report.
//
// Each recorded file is opened once, through the prefix's confined tree:
// a fixed pool of workers takes the files largest first (sizes from
// conda-meta) and hashes them, and the ELF scan inspects the bytes read
// for hashing instead of opening the file again. BenchmarkVerifyVsLimit
// measures it against the machine's two-core sha256 limit and against
// find | xargs -P2 openssl dgst.
package verify
