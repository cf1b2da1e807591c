package shards

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/envlock/envlock/spec/repodata"
)

func sample() []*repodata.Record {
	recs := []*repodata.Record{
		{Name: "rich", Version: "13.7.1", Build: "pyhd8ed1ab_0", Depends: []string{"python >=3.7.0", "pygments >=2.13.0,<3.0.0"},
			Noarch: "python", Subdir: "noarch", License: "MIT", MD5: "ba445bf767ae6f0d959ff2b40c20912b",
			SHA256: "2b26d58aa59e46f933c3126367348651b0dab6e0bf88014e857415bb184a4667", Size: 184347, Timestamp: 1709150578093,
			Fn: "rich-13.7.1-pyhd8ed1ab_0.conda"},
		{Name: "rich", Version: "13.7.1", Build: "pyhd8ed1ab_0", Depends: []string{}, Subdir: "noarch", Fn: "rich-13.7.1-pyhd8ed1ab_0.tar.bz2",
			MD5: "2456071b5d040cba000f72ced5c72032"},
		{Name: "rich", Version: "10.15.2", Build: "pyhd8ed1ab_1", Depends: []string{"colorama >=0.4.0,<0.5.0"}, Constrains: []string{"x <0"},
			TrackFeatures: []string{"a", "b"}, Subdir: "noarch", Fn: "rich-10.15.2-pyhd8ed1ab_1.tar.bz2", Timestamp: 1638891318904},
	}
	for _, r := range recs {
		r.Prepare()
	}
	return recs
}

func TestRoundTrip(t *testing.T) {
	data, h, err := EncodeShard(sample())
	if err != nil {
		t.Fatal(err)
	}
	sh, err := ParseShard(data, h, "rich", "noarch")
	if err != nil {
		t.Fatal(err)
	}
	want := repodata.MergeTwins([]*repodata.Record{sample()[0]}, sample()[1:])
	if d := cmp.Diff(want, sh.Records, cmpopts.IgnoreUnexported(repodata.Record{})); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	idx := &Index{Subdir: "noarch", BaseURL: "https://pkgs.example/noarch/", ShardsBaseURL: "./shards/", Shards: map[string]Hash{"rich": h}}
	raw, err := EncodeIndex(idx)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseIndex(raw)
	if err != nil {
		t.Fatal(err)
	}
	idx.Version = 1
	if d := cmp.Diff(idx, back); d != "" {
		t.Errorf("index round trip (-want +got):\n%s", d)
	}
}

func TestURLs(t *testing.T) {
	h := Hash(sha256.Sum256([]byte("x")))
	for _, tc := range []struct {
		index, shardsBase, base, wantShard, wantBase string
	}{
		{"https://c.example/ch/linux-64/repodata_shards.msgpack.zst", "", "",
			"https://c.example/ch/linux-64/" + h.String() + ".msgpack.zst", "https://c.example/ch/linux-64/"},
		{"https://c.example/ch/linux-64/repodata_shards.msgpack.zst", "./shards/", "https://pkgs.example/linux-64",
			"https://c.example/ch/linux-64/shards/" + h.String() + ".msgpack.zst", "https://pkgs.example/linux-64/"},
		{"https://c.example/ch/linux-64/repodata_shards.msgpack.zst", "https://cdn.example/s", "../pkgs/linux-64/",
			"https://cdn.example/s/" + h.String() + ".msgpack.zst", "https://c.example/ch/pkgs/linux-64/"},
		{"file:///srv/ch/noarch/repodata_shards.msgpack.zst", "", "",
			"file:///srv/ch/noarch/" + h.String() + ".msgpack.zst", "file:///srv/ch/noarch/"},
	} {
		idx := &Index{ShardsBaseURL: tc.shardsBase, BaseURL: tc.base}
		if got, err := ShardURL(tc.index, idx, h); err != nil || got != tc.wantShard {
			t.Errorf("ShardURL(%s, %q) = %s, %v; want %s", tc.index, tc.shardsBase, got, err, tc.wantShard)
		}
		if got, err := PackageBase(tc.index, idx); err != nil || got != tc.wantBase {
			t.Errorf("PackageBase(%s, %q) = %s, %v; want %s", tc.index, tc.base, got, err, tc.wantBase)
		}
	}
}

func zst(b []byte) []byte {
	enc, _ := zstd.NewWriter(nil)
	return enc.EncodeAll(b, nil)
}

func pack(v any) []byte {
	b, err := msgpack.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseErrors(t *testing.T) {
	shard := func(v any) ([]byte, Hash) {
		data := zst(pack(v))
		return data, Hash(sha256.Sum256(data))
	}
	for _, tc := range []struct {
		name string
		data func() ([]byte, Hash)
		msg  string
	}{
		{"hash", func() ([]byte, Hash) { d, _ := shard(map[string]any{}); return d, Hash{} }, "shard for rich: sha256 is "},
		{"zstd", func() ([]byte, Hash) { d := []byte("nope"); return d, Hash(sha256.Sum256(d)) }, "shard for rich: not valid zstd"},
		{"msgpack", func() ([]byte, Hash) { d := zst([]byte{0xc1}); return d, Hash(sha256.Sum256(d)) }, "shard for rich: not valid msgpack"},
		{"not a map", func() ([]byte, Hash) { return shard([]int{1}) }, "expected a map"},
		{"trailing", func() ([]byte, Hash) {
			d := zst(append(pack(map[string]any{}), 1))
			return d, Hash(sha256.Sum256(d))
		}, "unexpected data after the top-level map"},
		{"other name", func() ([]byte, Hash) {
			return shard(map[string]any{"packages": map[string]any{"x-1-0.tar.bz2": map[string]any{"name": "x", "version": "1"}}})
		}, `record "x-1-0.tar.bz2" is named "x", not "rich"`},
		{"no version", func() ([]byte, Hash) {
			return shard(map[string]any{"packages": map[string]any{"rich-1-0.tar.bz2": map[string]any{"name": "rich"}}})
		}, `missing name or version`},
		{"bad sha256", func() ([]byte, Hash) {
			return shard(map[string]any{"packages": map[string]any{"rich-1-0.tar.bz2": map[string]any{"name": "rich", "version": "1", "sha256": []byte{1, 2}}}})
		}, `sha256: 2 bytes, want 32`},
		{"path in file name", func() ([]byte, Hash) {
			return shard(map[string]any{"packages": map[string]any{"../rich-1-0.tar.bz2": map[string]any{"name": "rich", "version": "1"}}})
		}, `is not a plain file name`},
		{"depends not strings", func() ([]byte, Hash) {
			return shard(map[string]any{"packages": map[string]any{"rich-1-0.tar.bz2": map[string]any{"name": "rich", "version": "1", "depends": []int{1}}}})
		}, `depends: expected a string`},
	} {
		data, h := tc.data()
		_, err := ParseShard(data, h, "rich", "noarch")
		var fe *FormatError
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !errors.As(err, &fe) {
			t.Errorf("%s: ParseShard = %v, want a *FormatError with %q", tc.name, err, tc.msg)
		}
	}
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"zstd", []byte("x"), "shard index: not valid zstd"},
		{"no shards", zst(pack(map[string]any{"info": map[string]any{}})), `no "shards" map`},
		{"short hash", zst(pack(map[string]any{"shards": map[string]any{"a": []byte{1}}})), `hash of "a" is 1 bytes, want 32`},
	} {
		_, err := ParseIndex(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: ParseIndex = %v, want %q", tc.name, err, tc.msg)
		}
	}
}

// TestLegacyValues: values as old repodata writes them (noarch true,
// track_features a string, float timestamps in seconds, hex digests as
// strings, run_exports maps) decode as repodata.Parse decodes them.
func TestLegacyValues(t *testing.T) {
	raw := pack(map[string]any{
		"packages": map[string]any{"rich-1-0.tar.bz2": map[string]any{
			"name": "rich", "version": "1", "build": "0", "noarch": true, "track_features": "mkl,debug",
			"timestamp": 1600000000.5, "md5": "aa0123456789abcdef0123456789abcd", "run_exports": map[string]any{"weak": []string{"rich >=1"}},
			"features": nil, "license": nil,
		}},
		"unknown": []any{1, "x"},
	})
	sh, err := DecodeShard(raw, "rich", "noarch")
	if err != nil {
		t.Fatal(err)
	}
	r := sh.Records[0]
	if r.Noarch != "generic" || strings.Join(r.TrackFeatures, " ") != "mkl debug" || r.Timestamp != 1600000000000 || r.MD5 != "aa0123456789abcdef0123456789abcd" || r.Subdir != "noarch" {
		t.Errorf("record = %+v", r)
	}
}

func FuzzParseShard(f *testing.F) {
	data, _, _ := EncodeShard(sample())
	raw, _ := decoder().DecodeAll(data, nil)
	f.Add(raw)
	f.Add(pack(map[string]any{"packages": nil, "removed": []string{"a"}}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		sh, err := DecodeShard(raw, "rich", "noarch")
		if err != nil {
			return
		}
		for _, r := range sh.Records {
			if r.Name != "rich" || r.Version == "" || r.Fn == "" {
				t.Fatalf("accepted record %+v", r)
			}
		}
	})
}

func FuzzParseIndex(f *testing.F) {
	h := Hash(sha256.Sum256(nil))
	data, _ := EncodeIndex(&Index{Subdir: "linux-64", Shards: map[string]Hash{"a": h}})
	raw, _ := decoder().DecodeAll(data, nil)
	f.Add(raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		idx, err := ParseIndex(zst(raw))
		if err != nil {
			return
		}
		if idx.Shards == nil {
			t.Fatal("accepted an index without shards")
		}
		if _, err := EncodeIndex(idx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestHostileRecordsDropped: a shard record whose identities break
// conda's grammar (a build with a path in it, a file name that is not
// name-version-build.ext) is dropped, as repodata.Parse drops it.
func TestHostileRecordsDropped(t *testing.T) {
	raw := pack(map[string]any{
		"packages.conda": map[string]any{
			"evil-1-0.conda":          map[string]any{"name": "evil", "version": "1", "build": "0"},
			"evil-1-0%2F..%2Fx.conda": map[string]any{"name": "evil", "version": "1", "build": "0/../x"},
			"evil.conda":              map[string]any{"name": "evil", "version": "2", "build": "0"},
		},
	})
	sh, err := DecodeShard(raw, "evil", "linux-64")
	if err != nil {
		t.Fatal(err)
	}
	var fns []string
	for _, r := range sh.Records {
		fns = append(fns, r.Fn)
	}
	if strings.Join(fns, " ") != "evil-1-0.conda" {
		t.Errorf("records kept: %q, want only evil-1-0.conda", fns)
	}
}
