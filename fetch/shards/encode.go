package shards

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/envlock/envlock/spec/repodata"
)

// EncodeIndex writes idx as a shard index file (zstd-compressed msgpack),
// in the layout conda-index writes. Tests and benchmarks serve channels
// with it; conda-index is what makes real ones.
func EncodeIndex(idx *Index) ([]byte, error) {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	e.EncodeMapLen(3)
	e.EncodeString("version")
	e.EncodeInt(int64(max(idx.Version, 1)))
	e.EncodeString("info")
	e.EncodeMapLen(3)
	e.EncodeString("base_url")
	e.EncodeString(idx.BaseURL)
	e.EncodeString("shards_base_url")
	e.EncodeString(idx.ShardsBaseURL)
	e.EncodeString("subdir")
	e.EncodeString(idx.Subdir)
	e.EncodeString("shards")
	names := make([]string, 0, len(idx.Shards))
	for n := range idx.Shards {
		names = append(names, n)
	}
	sort.Strings(names)
	e.EncodeMapLen(len(names))
	for _, n := range names {
		h := idx.Shards[n]
		e.EncodeString(n)
		if err := e.EncodeBytes(h[:]); err != nil {
			return nil, err
		}
	}
	return compress(buf.Bytes()), nil
}

// EncodeShard writes the records of one package name as a shard file
// (zstd-compressed msgpack, sha256 and md5 as bytes) and returns it with
// its hash.
func EncodeShard(recs []*repodata.Record) ([]byte, Hash, error) {
	var conda, bz2 []*repodata.Record
	for _, r := range recs {
		if strings.HasSuffix(r.Fn, ".conda") {
			conda = append(conda, r)
		} else {
			bz2 = append(bz2, r)
		}
	}
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	e.EncodeMapLen(3)
	for _, sec := range []struct {
		key  string
		recs []*repodata.Record
	}{{"packages", bz2}, {"packages.conda", conda}} {
		e.EncodeString(sec.key)
		e.EncodeMapLen(len(sec.recs))
		for _, r := range sec.recs {
			e.EncodeString(r.Fn)
			if err := encodeRecord(e, r); err != nil {
				return nil, Hash{}, err
			}
		}
	}
	e.EncodeString("removed")
	e.EncodeArrayLen(0)
	out := compress(buf.Bytes())
	return out, Hash(sha256.Sum256(out)), nil
}

func encodeRecord(e *msgpack.Encoder, r *repodata.Record) error {
	fields := []struct {
		key string
		val any
	}{
		{"name", r.Name}, {"version", r.Version}, {"build", r.Build}, {"build_number", r.BuildNumber},
		{"depends", nonNil(r.Depends)},
	}
	add := func(key string, val any, present bool) {
		if present {
			fields = append(fields, struct {
				key string
				val any
			}{key, val})
		}
	}
	add("constrains", r.Constrains, len(r.Constrains) > 0)
	add("track_features", strings.Join(r.TrackFeatures, " "), len(r.TrackFeatures) > 0)
	add("features", r.Features, r.Features != "")
	add("noarch", r.Noarch, r.Noarch != "")
	add("subdir", r.Subdir, r.Subdir != "")
	add("license", r.License, r.License != "")
	add("license_family", r.LicenseFamily, r.LicenseFamily != "")
	add("md5", hexBytes(r.MD5), r.MD5 != "")
	add("sha256", hexBytes(r.SHA256), r.SHA256 != "")
	add("size", r.Size, r.Size != 0)
	add("timestamp", r.Timestamp, r.Timestamp != 0)
	add("python_site_packages_path", r.PythonSitePackagesPath, r.PythonSitePackagesPath != "")
	if err := e.EncodeMapLen(len(fields)); err != nil {
		return err
	}
	for _, f := range fields {
		e.EncodeString(f.key)
		if err := e.Encode(f.val); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// hexBytes returns a hex digest as bytes, or the string itself when it is
// not hex (so nothing is lost).
func hexBytes(s string) any {
	if b, err := hex.DecodeString(s); err == nil {
		return b
	}
	return s
}

var (
	encMu  sync.Mutex
	encVal *zstd.Encoder
)

// encoder returns the shared encoder; EncodeAll is safe for concurrent
// use.
func encoder() *zstd.Encoder {
	encMu.Lock()
	defer encMu.Unlock()
	if encVal == nil {
		encVal, _ = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	}
	return encVal
}

func compress(b []byte) []byte {
	return encoder().EncodeAll(b, nil)
}
