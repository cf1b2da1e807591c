package scale

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/envlock/envlock/fetch/shards"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/spec/repodata"
)

// TestNoDuplicateFileNames: every record the generator writes has its own
// file name, as in real repodata (Parse keeps the last of a repeated
// key, so a repeat would show as fewer records than written).
func TestNoDuplicateFileNames(t *testing.T) {
	base := testdata.SharedPath(t, "repodata/conda-forge-py39-subset")
	out := t.TempDir()
	st, err := Generate(base, out, Options{Universes: 2, Variants: 9})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sub := range []string{"linux-64", "noarch"} {
		data, err := os.ReadFile(filepath.Join(out, sub, "repodata.json"))
		if err != nil {
			t.Fatal(err)
		}
		rd, err := repodata.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, r := range rd.Records {
			if seen[r.Fn] {
				t.Errorf("%s: %s twice", sub, r.Fn)
			}
			seen[r.Fn] = true
		}
		n += len(rd.Records)
	}
	if n != st.Records {
		t.Errorf("wrote %d records but %d have distinct file names", st.Records, n)
	}
	size, err := Shard(out)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "linux-64", shards.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := shards.ParseIndex(raw)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := idx.Shards["python-u1"]
	if !ok || size <= 0 {
		t.Fatalf("no python-u1 shard (%d names, %d bytes)", len(idx.Shards), size)
	}
	data, err := os.ReadFile(filepath.Join(out, "linux-64", h.String()+".msgpack.zst"))
	if err != nil {
		t.Fatal(err)
	}
	sh, err := shards.ParseShard(data, h, "python-u1", "linux-64")
	if err != nil || len(sh.Records) == 0 {
		t.Fatalf("python-u1 shard: %d records, %v", len(sh.Records), err)
	}
}
