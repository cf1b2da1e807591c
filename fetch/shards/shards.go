package shards

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/envlock/envlock/spec/repodata"
)

// IndexFile is the name of a subdir's shard index.
const IndexFile = "repodata_shards.msgpack.zst"

// Limits on decompressed sizes, so a hostile server cannot exhaust
// memory with a small zstd frame (conda-forge's largest index is a few
// MB, its largest shard tens of MB).
const (
	maxIndexSize = 512 << 20
	maxShardSize = 512 << 20
)

// A Hash is the sha256 of a shard's compressed bytes.
type Hash [32]byte

// String returns the hash in lower-case hex, as shard file names write it.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// An Index is a decoded shard index.
type Index struct {
	// Version is the index's format version (1; 0 when absent).
	Version int
	// Subdir is info.subdir.
	Subdir string
	// BaseURL (CEP 15) is where packages live; ShardsBaseURL where shards
	// live. Both as written: "" or relative means relative to the index.
	BaseURL       string
	ShardsBaseURL string
	// Shards maps a package name to its shard's hash.
	Shards map[string]Hash
}

// A Shard is the decoded records of one package name.
type Shard struct {
	// Records holds the .conda records and the .tar.bz2 records that
	// have no .conda twin, as repodata.Parse keeps them; Subdir is
	// filled from the index when a record lacks it.
	Records []*repodata.Record
	// Removed lists file names the channel removed.
	Removed []string
}

// A FormatError says which file is not what CEP 16 describes.
type FormatError struct {
	What string // "shard index" or "shard for numpy"
	Msg  string
}

func (e *FormatError) Error() string { return e.What + ": " + e.Msg }

var (
	decOnce sync.Once
	dec     *zstd.Decoder
)

func decoder() *zstd.Decoder {
	decOnce.Do(func() {
		dec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxShardSize))
	})
	return dec
}

func unzstd(what string, data []byte, limit int) ([]byte, error) {
	out, err := decoder().DecodeAll(data, nil)
	if err != nil {
		return nil, &FormatError{What: what, Msg: fmt.Sprintf("not valid zstd: %v", err)}
	}
	if len(out) > limit {
		return nil, &FormatError{What: what, Msg: fmt.Sprintf("decompresses to %d bytes, more than the %d allowed", len(out), limit)}
	}
	return out, nil
}

// ParseIndex decodes a shard index as served (zstd-compressed msgpack).
func ParseIndex(compressed []byte) (*Index, error) {
	raw, err := unzstd("shard index", compressed, maxIndexSize)
	if err != nil {
		return nil, err
	}
	idx := &Index{}
	br := bytes.NewReader(raw)
	d := msgpack.NewDecoder(br)
	err = eachKey(d, func(key string) error {
		switch key {
		case "version":
			n, err := decodeInt(d)
			idx.Version = int(n)
			return err
		case "info":
			return eachKey(d, func(k string) error {
				var err error
				switch k {
				case "subdir":
					idx.Subdir, err = decodeString(d)
				case "base_url":
					idx.BaseURL, err = decodeString(d)
				case "shards_base_url":
					idx.ShardsBaseURL, err = decodeString(d)
				default:
					err = d.Skip()
				}
				return err
			})
		case "shards":
			n, err := d.DecodeMapLen()
			if err != nil {
				return err
			}
			idx.Shards = make(map[string]Hash, max(n, 0))
			for i := 0; i < n; i++ {
				name, err := d.DecodeString()
				if err != nil {
					return err
				}
				b, err := d.DecodeBytes()
				if err != nil {
					return fmt.Errorf("hash of %q: %w", name, err)
				}
				if len(b) != len(Hash{}) {
					return fmt.Errorf("hash of %q is %d bytes, want 32 (a sha256)", name, len(b))
				}
				idx.Shards[name] = Hash(b)
			}
			return nil
		}
		return d.Skip()
	})
	if err == nil {
		err = trailing(br)
	}
	if err != nil {
		return nil, asFormatError("shard index", err)
	}
	if idx.Shards == nil {
		return nil, &FormatError{What: "shard index", Msg: `no "shards" map`}
	}
	return idx, nil
}

// ParseShard checks that compressed hashes to want, then decodes the
// records of the package name. Records that are not name's are refused:
// a shard holds one name only.
func ParseShard(compressed []byte, want Hash, name, subdir string) (*Shard, error) {
	what := "shard for " + name
	if got := Hash(sha256.Sum256(compressed)); got != want {
		return nil, &FormatError{What: what, Msg: fmt.Sprintf("sha256 is %s, but the index names it %s (a corrupt download or cache entry)", got, want)}
	}
	raw, err := unzstd(what, compressed, maxShardSize)
	if err != nil {
		return nil, err
	}
	sh, err := DecodeShard(raw, name, subdir)
	if err != nil {
		return nil, asFormatError(what, err)
	}
	return sh, nil
}

// DecodeShard decodes an uncompressed shard's msgpack.
func DecodeShard(raw []byte, name, subdir string) (*Shard, error) {
	br := bytes.NewReader(raw)
	d := msgpack.NewDecoder(br)
	var tarbz2, conda []*repodata.Record
	sh := &Shard{}
	err := eachKey(d, func(key string) error {
		switch key {
		case "packages":
			recs, err := decodeRecords(d, name, subdir)
			tarbz2 = recs
			return err
		case "packages.conda":
			recs, err := decodeRecords(d, name, subdir)
			conda = recs
			return err
		case "removed":
			var err error
			sh.Removed, err = decodeStrings(d)
			return err
		}
		return d.Skip()
	})
	if err == nil {
		err = trailing(br)
	}
	if err != nil {
		return nil, err
	}
	sh.Records = repodata.MergeTwins(conda, tarbz2)
	return sh, nil
}

func decodeRecords(d *msgpack.Decoder, name, subdir string) ([]*repodata.Record, error) {
	n, err := d.DecodeMapLen()
	if err != nil || n <= 0 {
		return nil, err
	}
	recs := make([]repodata.Record, n)
	out := make([]*repodata.Record, 0, n)
	for i := range n {
		fn, err := d.DecodeString()
		if err != nil {
			return nil, err
		}
		r := &recs[i]
		if err := decodeRecord(d, r); err != nil {
			return nil, fmt.Errorf("record %q: %w", fn, err)
		}
		if r.Name == "" || r.Version == "" {
			return nil, fmt.Errorf("record %q: missing name or version", fn)
		}
		if r.Name != name {
			return nil, fmt.Errorf("record %q is named %q, not %q", fn, r.Name, name)
		}
		if strings.ContainsAny(fn, "/\\") || fn == "" {
			return nil, fmt.Errorf("record file name %q is not a plain file name", fn)
		}
		r.Fn = fn
		if r.Subdir == "" {
			r.Subdir = subdir
		}
		// Identities are checked as repodata.Parse checks them: a record
		// that breaks conda's grammar (a build "0/../../x", a file name
		// that is not name-version-build.ext) is dropped.
		if r.Check() != nil || (subdir != "" && r.Subdir != subdir && r.Subdir != "noarch") {
			continue
		}
		r.Prepare()
		out = append(out, r)
	}
	return out, nil
}

func decodeRecord(d *msgpack.Decoder, r *repodata.Record) error {
	return eachKey(d, func(key string) error {
		var err error
		switch key {
		case "name":
			r.Name, err = decodeString(d)
		case "version":
			r.Version, err = decodeString(d)
		case "build":
			r.Build, err = decodeString(d)
		case "build_number":
			r.BuildNumber, err = decodeInt(d)
		case "depends":
			r.Depends, err = decodeStrings(d)
			if err == nil && r.Depends == nil {
				r.Depends = []string{}
			}
		case "constrains":
			r.Constrains, err = decodeStrings(d)
		case "track_features":
			r.TrackFeatures, err = decodeFeatures(d)
		case "features":
			r.Features, err = decodeStringOrSkip(d)
		case "noarch":
			r.Noarch, err = decodeNoarch(d)
		case "subdir":
			r.Subdir, err = decodeString(d)
		case "license":
			r.License, err = decodeString(d)
		case "license_family":
			r.LicenseFamily, err = decodeString(d)
		case "md5":
			r.MD5, err = decodeDigest(d, 16)
		case "sha256":
			r.SHA256, err = decodeDigest(d, 32)
		case "size":
			r.Size, err = decodeInt(d)
		case "timestamp":
			r.Timestamp, err = decodeInt(d)
			if r.Timestamp > 0 && r.Timestamp <= repodata.TimestampMillisThreshold {
				r.Timestamp *= 1000
			}
		case "python_site_packages_path":
			r.PythonSitePackagesPath, err = decodeString(d)
		case "legacy_bz2_md5":
			r.LegacyBz2MD5, err = decodeDigest(d, 16)
		case "legacy_bz2_size":
			r.LegacyBz2Size, err = decodeInt(d)
		default:
			// run_exports, purls, arch, platform, …: not part of a lock.
			err = d.Skip()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	})
}

// eachKey decodes a map (nil is an empty one), calling f with each key
// positioned at its value; f must consume the value.
func eachKey(d *msgpack.Decoder, f func(key string) error) error {
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	if !msgpcode.IsFixedMap(c) && c != msgpcode.Map16 && c != msgpcode.Map32 && c != msgpcode.Nil {
		return fmt.Errorf("expected a map, found msgpack code 0x%02x", c)
	}
	n, err := d.DecodeMapLen()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		key, err := d.DecodeString()
		if err != nil {
			return fmt.Errorf("map key: %w", err)
		}
		if err := f(key); err != nil {
			return err
		}
	}
	return nil
}

func trailing(r *bytes.Reader) error {
	if r.Len() > 0 {
		return errors.New("unexpected data after the top-level map")
	}
	return nil
}

func decodeString(d *msgpack.Decoder) (string, error) {
	c, err := d.PeekCode()
	if err != nil {
		return "", err
	}
	if c == msgpcode.Nil {
		return "", d.DecodeNil()
	}
	if !msgpcode.IsString(c) && !msgpcode.IsBin(c) {
		return "", fmt.Errorf("expected a string, found msgpack code 0x%02x", c)
	}
	return d.DecodeString()
}

func decodeStringOrSkip(d *msgpack.Decoder) (string, error) {
	c, err := d.PeekCode()
	if err != nil {
		return "", err
	}
	if msgpcode.IsString(c) {
		return d.DecodeString()
	}
	return "", d.Skip()
}

func decodeInt(d *msgpack.Decoder) (int64, error) {
	c, err := d.PeekCode()
	if err != nil {
		return 0, err
	}
	if c == msgpcode.Float || c == msgpcode.Double {
		f, err := d.DecodeFloat64()
		return int64(f), err
	}
	return d.DecodeInt64()
}

func decodeStrings(d *msgpack.Decoder) ([]string, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	if c == msgpcode.Nil {
		return nil, d.DecodeNil()
	}
	n, err := d.DecodeArrayLen()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, max(n, 0))
	for i := 0; i < n; i++ {
		s, err := decodeString(d)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// decodeFeatures reads track_features: a space- or comma-separated
// string, or a list.
func decodeFeatures(d *msgpack.Decoder) ([]string, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	if msgpcode.IsString(c) {
		s, err := d.DecodeString()
		f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
		if len(f) == 0 {
			f = nil
		}
		return f, err
	}
	if c == msgpcode.Nil || msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32 {
		return decodeStrings(d)
	}
	return nil, d.Skip()
}

func decodeNoarch(d *msgpack.Decoder) (string, error) {
	c, err := d.PeekCode()
	if err != nil {
		return "", err
	}
	switch {
	case msgpcode.IsString(c):
		return d.DecodeString()
	case c == msgpcode.True:
		d.Skip()
		return "generic", nil
	}
	return "", d.Skip()
}

// decodeDigest reads a hash as CEP 16 stores it (raw bytes) or as
// repodata.json does (hex string), returning hex.
func decodeDigest(d *msgpack.Decoder, size int) (string, error) {
	c, err := d.PeekCode()
	if err != nil {
		return "", err
	}
	switch {
	case c == msgpcode.Nil:
		return "", d.DecodeNil()
	case msgpcode.IsBin(c):
		b, err := d.DecodeBytes()
		if err != nil {
			return "", err
		}
		if len(b) != size {
			return "", fmt.Errorf("%d bytes, want %d", len(b), size)
		}
		return hex.EncodeToString(b), nil
	case msgpcode.IsString(c):
		return d.DecodeString()
	}
	return "", fmt.Errorf("expected bytes, found msgpack code 0x%02x", c)
}

func asFormatError(what string, err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return err
	}
	return &FormatError{What: what, Msg: fmt.Sprintf("not valid msgpack as CEP 16 describes it: %v", err)}
}

// ShardURL returns where the shard with hash h lives: info.shards_base_url
// resolved against indexURL, then "<hex>.msgpack.zst".
func ShardURL(indexURL string, idx *Index, h Hash) (string, error) {
	base, err := resolveDir(indexURL, idx.ShardsBaseURL)
	if err != nil {
		return "", fmt.Errorf("shard index %s: shards_base_url %q: %v", indexURL, idx.ShardsBaseURL, err)
	}
	return base + h.String() + ".msgpack.zst", nil
}

// PackageBase returns the directory URL packages are fetched from:
// info.base_url (CEP 15) resolved against indexURL, or the index's own
// directory when empty. It ends in "/".
func PackageBase(indexURL string, idx *Index) (string, error) {
	base, err := resolveDir(indexURL, idx.BaseURL)
	if err != nil {
		return "", fmt.Errorf("shard index %s: base_url %q: %v", indexURL, idx.BaseURL, err)
	}
	return base, nil
}

// resolveDir resolves ref against the URL of a file and returns a
// directory URL ending in "/"; an empty ref is the file's directory.
func resolveDir(fileURL, ref string) (string, error) {
	b, err := url.Parse(fileURL)
	if err != nil {
		return "", err
	}
	if ref == "" {
		ref = "./"
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	out := b.ResolveReference(r).String()
	if !strings.HasSuffix(out, "/") {
		out += "/"
	}
	return out, nil
}
