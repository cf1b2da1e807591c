package repodata

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/envlock/envlock/internal/testdata"
)

func byFn(recs []*Record) []*Record {
	out := append([]*Record(nil), recs...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Fn != out[j].Fn {
			return out[i].Fn < out[j].Fn
		}
		return out[i].Name < out[j].Name
	})
	return out
}

var recordCmp = cmpopts.IgnoreUnexported(Record{})

func TestSkimSmall(t *testing.T) {
	l, err := Skim([]byte(small), nil)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := Parse([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	if l.Info != rd.Info || l.Version != rd.Version || strings.Join(l.Removed, ",") != strings.Join(rd.Removed, ",") {
		t.Errorf("lazy header %+v %d %v, Parse says %+v %d %v", l.Info, l.Version, l.Removed, rd.Info, rd.Version, rd.Removed)
	}
	if got := strings.Join(l.Names(), ","); got != "old,zlib" {
		t.Errorf("names = %s", got)
	}
	z, err := l.Records("zlib")
	if err != nil {
		t.Fatal(err)
	}
	if len(z) != 1 || z[0].Fn != "zlib-1.2.13-h0_5.conda" {
		t.Fatalf("zlib records = %+v, want only the .conda (its .tar.bz2 twin dropped)", z)
	}
	if none, err := l.Records("absent"); err != nil || none != nil {
		t.Errorf("absent name: %v, %v", none, err)
	}
	all, err := l.Repodata()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(byFn(rd.Records), byFn(all.Records), recordCmp); d != "" {
		t.Errorf("lazy records differ from Parse (-Parse +Lazy):\n%s", d)
	}
}

// TestDuplicateKeys: a file name repeated in one section keeps its last
// record, in Parse and in Skim, as conda's json.loads does.
func TestDuplicateKeys(t *testing.T) {
	doc := `{"packages": {
	  "a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "depends": ["first"]},
	  "b-1-0.tar.bz2": {"name": "b", "version": "1", "build": "0"},
	  "a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "depends": ["second"]},
	  "a-\u0031-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "depends": ["third"]}
	}}`
	rd, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Skim([]byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	lazy, err := l.Records("a")
	if err != nil {
		t.Fatal(err)
	}
	var eager []*Record
	for _, r := range rd.Records {
		if r.Name == "a" {
			eager = append(eager, r)
		}
	}
	for what, recs := range map[string][]*Record{"Parse": eager, "Lazy": lazy} {
		if len(recs) != 1 || recs[0].Depends[0] != "third" {
			t.Errorf("%s kept %d records for a-1-0.tar.bz2 (%v), want only the last", what, len(recs), recs)
		}
	}
}

func TestSkimErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{``, "unexpected end of input"},
		{`{"packages": {"a": [1]}}`, `record for "a" is not an object`},

		{`{"packages": {"a": {"name": "a", "depends": ["x"}`, `unterminated record "a"`},
		{`{} x`, "unexpected data after the top-level object"},
	} {
		_, err := Skim([]byte(tc.in), nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Skim(%q) = %v, want %q", tc.in, err, tc.msg)
		}
	}
	// A damaged record skims and fails when its name is asked for.
	l, err := Skim([]byte(`{"packages": {"a": {"name": "a", "version": 1}, "b-1-0.tar.bz2": {"name": "b", "version": "1", "build": "0"}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Records("a"); err == nil || !strings.Contains(err.Error(), `record "a": line 1, column`) {
		t.Errorf("Records(a) = %v, want a positioned error", err)
	}
	if b, err := l.Records("b"); err != nil || len(b) != 1 {
		t.Errorf("Records(b) = %v, %v", b, err)
	}
}

func TestSkimShared(t *testing.T) {
	for _, sub := range []string{"linux-64", "noarch", "osx-arm64"} {
		path := testdata.SharedPath(t, "repodata/conda-forge-py39-subset/"+sub+"/repodata.json")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		var released int
		l, err := Skim(data, func(off int) { released = off })
		if err != nil {
			t.Fatal(err)
		}
		all, err := l.Repodata()
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(byFn(rd.Records), byFn(all.Records), recordCmp); d != "" {
			t.Errorf("%s: lazy records differ from Parse (-Parse +Lazy):\n%s", sub, d)
		}
		if len(data) > 2*chunkRelease && released == 0 {
			t.Errorf("%s: release never called on %d bytes", sub, len(data))
		}
	}
}

func BenchmarkSkim(b *testing.B) {
	path := testdata.SharedPath(b, "repodata/conda-forge-py39-subset/linux-64/repodata.json")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Skim(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzSkim(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte(`{"packages": {"a-1-0.tar.bz2": {"name": "a\u00e9", "version": "1", "build": "0", "depends": ["b \"x\""]}, "a-1-0.tar.bz2": {"name": "a", "version": "2"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Skim(data, nil)
		rd, perr := Parse(data)
		if err != nil {
			if perr == nil {
				t.Fatalf("Parse accepts what Skim refuses: %v", err)
			}
			return
		}
		all, lerr := l.Repodata()
		if perr != nil || lerr != nil {
			return // Skim checks less; Records reports the damage
		}
		if d := cmp.Diff(byFn(rd.Records), byFn(all.Records), recordCmp); d != "" {
			t.Fatalf("lazy records differ from Parse:\n%s", d)
		}
	})
}

func TestLazyIndexRoundTrip(t *testing.T) {
	path := testdata.SharedPath(t, "repodata/conda-forge-py39-subset/linux-64/repodata.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Skim(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx := l.MarshalIndex()
	back, err := UnmarshalIndex(data, idx)
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Repodata()
	if err != nil {
		t.Fatal(err)
	}
	b, err := back.Repodata()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, b, recordCmp); d != "" {
		t.Errorf("records through a saved index differ (-skim +saved):\n%s", d)
	}
	t.Logf("index: %d bytes for %d bytes of JSON", len(idx), len(data))
	if _, err := UnmarshalIndex(data[:len(data)-1], idx); err == nil {
		t.Error("an index for a document of another size was accepted")
	}
	for _, cut := range []int{0, 10, len(idx) / 2, len(idx) - 1} {
		if _, err := UnmarshalIndex(data, idx[:cut]); err == nil {
			t.Errorf("an index cut to %d bytes was accepted", cut)
		}
	}
}

func FuzzUnmarshalIndex(f *testing.F) {
	l, _ := Skim([]byte(small), nil)
	f.Add(l.MarshalIndex())
	f.Fuzz(func(t *testing.T, idx []byte) {
		back, err := UnmarshalIndex([]byte(small), idx)
		if err != nil {
			return
		}
		back.Repodata() // may fail; must not panic
	})
}

func BenchmarkUnmarshalIndex(b *testing.B) {
	path := testdata.SharedPath(b, "repodata/conda-forge-py39-subset/linux-64/repodata.json")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	l, err := Skim(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	idx := l.MarshalIndex()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := UnmarshalIndex(data, idx); err != nil {
			b.Fatal(err)
		}
	}
}
