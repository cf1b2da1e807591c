// Package shards reads CEP-16 sharded repodata: a subdir's shard index
// (repodata_shards.msgpack.zst, package name → sha256 of that name's
// shard) and the shards themselves (one zstd-compressed msgpack map per
// package name, holding the same records repodata.json would).
//
// It owns the formats only: decoding, the hash check that makes a shard
// content-addressed, and where a shard lives relative to its index.
// Fetching, caching and choosing between shards and repodata.json are
// fetch/channel's.
//
// Facts a newcomer needs (CEP 16): a shard's name is the lower-case hex
// sha256 of its compressed bytes, so a cached shard never needs
// revalidation; records carry sha256 and md5 as raw bytes, not hex;
// info.base_url (CEP 15) and info.shards_base_url are relative to the
// index's URL when not absolute, and conda-index writes both as "".
package shards
