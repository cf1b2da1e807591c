// Package repodata reads conda package records: a channel subdir's
// repodata.json (both "packages" and "packages.conda", "removed", and
// CEP-15's info.base_url) and flat {file name: record} indexes.
//
// # Speed
//
// conda-forge's linux-64 repodata.json is over 300 MB with more than
// 300,000 records, and envlock reads it on every lock. Parse therefore
// uses its own scanner instead of encoding/json: one pass finds where
// each record's object starts and ends without decoding it, then the
// records are decoded in parallel, one chunk per CPU, into a single
// allocation, with repeated strings (dependency specs, names, versions,
// licenses) interned. See BenchmarkParse for the figures; encoding/json
// with reflection was measured at roughly a quarter of the speed.
//
// A lock reaches a few hundred of conda-forge's tens of thousands of
// names, so Skim goes further: one pass notes where each record is and
// which name it holds, without decoding anything, and Lazy.Records
// decodes the records of one name when asked (see BenchmarkSkim).
//
// # Repeated file names
//
// A file name repeated within "packages" or "packages.conda" keeps only
// its last record: conda reads repodata.json with Python's json module,
// where the last of a repeated key wins (rattler refuses such a file).
// See TestDuplicateKeys.
//
// # Normalization
//
// Old repodata writes noarch as a boolean and track_features as one
// space- or comma-separated string; both are normalized. Timestamps are
// milliseconds (values small enough to be seconds are converted). When a
// package is present as both .conda and .tar.bz2, only the .conda record
// is kept, as conda does.
//
// # Identities
//
// Every record is checked against conda's grammar (Record.Check, with
// spec/ident) where it is read: a record whose name, version, build,
// file name, subdir, digest or site-packages path could be a path, or is
// not what conda writes, is dropped and listed in Repodata.Invalid, so no
// later stage joins it into a path. Any new source of records (shards,
// other indexes) calls Record.Check the same way.
package repodata
