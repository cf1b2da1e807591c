package extract

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	dsbzip2 "github.com/dsnet/compress/bzip2"
)

func bz2Compress(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := dsbzip2.NewWriter(&buf, &dsbzip2.WriterConfig{Level: level})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sequentialBz2 decodes with dsnet's decoder alone: the reference.
func sequentialBz2(in []byte) ([]byte, error) {
	zr, err := dsbzip2.NewReader(bytes.NewReader(in), nil)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// parallelBz2 decodes with newBz2Reader, reading in odd sizes, and
// reports whether it fell back to the sequential decoder.
func parallelBz2(in []byte) ([]byte, bool, error) {
	z := newBz2Reader(bytes.NewReader(in))
	defer z.Close()
	var out []byte
	buf := make([]byte, 7777)
	for {
		n, err := z.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, z.seq != nil, nil
		}
		if err != nil {
			return out, z.seq != nil, err
		}
	}
}

func textData(r *rand.Rand, n int) []byte {
	words := strings.Fields("static inline int return struct const char void unsigned long def class import self None")
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(" \n"[r.IntN(2)])
	}
	return b.Bytes()
}

// TestBz2Parallel decodes streams of many blocks at several levels,
// concatenated streams (as pbzip2 writes), an empty stream and blocks of
// random bytes in parallel, and checks the output is the sequential
// decoder's, without falling back.
func TestBz2Parallel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	random := make([]byte, 700_000)
	for i := range random {
		random[i] = byte(r.IntN(256))
	}
	text := textData(r, 3_000_000)
	cases := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"empty", bz2Compress(t, nil, 9), nil},
		{"one-byte", bz2Compress(t, []byte("x"), 9), []byte("x")},
		{"text-level1", bz2Compress(t, text, 1), text},
		{"text-level9", bz2Compress(t, text, 9), text},
		{"random-level1", bz2Compress(t, random, 1), random},
		{"concatenated", append(bz2Compress(t, text[:1_000_000], 2), bz2Compress(t, text[1_000_000:], 3)...), text},
		{"concatenated-empty", append(bz2Compress(t, nil, 9), bz2Compress(t, random, 1)...), random},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			misses := bzFastMisses.Load()
			got, fellBack, err := parallelBz2(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if fellBack {
				t.Errorf("fell back to the sequential decoder")
			}
			if m := bzFastMisses.Load() - misses; m != 0 {
				t.Errorf("%d blocks went to dsnet's decoder, want all decoded by bzBlockDecoder", m)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("decoded %d bytes, want %d (differ)", len(got), len(tc.want))
			}
		})
	}
}

// TestBz2Fallback gives the parallel decoder what it hands to the
// sequential one: the output, or the error, must be the sequential
// decoder's.
func TestBz2Fallback(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	text := textData(r, 1_500_000)
	good := bz2Compress(t, text, 1)
	// Runs of one byte expand a block far beyond bzMaxBlockOut.
	zeros := make([]byte, 40<<20)
	bomb := bz2Compress(t, zeros, 9)

	flip := func(in []byte, at int) []byte {
		out := bytes.Clone(in)
		out[at] ^= 0x10
		return out
	}
	cases := []struct {
		name    string
		in      []byte
		wantErr string // "" for the sequential decoder's output
	}{
		{"expanding block", bomb, ""},
		{"trailing garbage", append(bytes.Clone(good), "garbage"...), "invalid stream magic"},
		{"truncated", good[:len(good)-100], "unexpected EOF"},
		{"corrupt block", flip(good, len(good)/2), "bzip2"},
		{"corrupt stream CRC", flip(good, len(good)-2), "checksum"},
		{"not bzip2", []byte("PK\x03\x04 not a bzip2 stream at all"), "invalid stream magic"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := sequentialBz2(tc.in)
			got, fellBack, err := parallelBz2(tc.in)
			if !fellBack {
				t.Errorf("did not fall back to the sequential decoder")
			}
			if tc.wantErr == "" {
				if wantErr != nil || err != nil {
					t.Fatalf("errors: sequential %v, parallel %v", wantErr, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("decoded %d bytes, the sequential decoder %d (differ)", len(got), len(want))
				}
				return
			}
			if wantErr == nil || !strings.Contains(wantErr.Error(), tc.wantErr) {
				t.Fatalf("the sequential decoder says %v, want an error with %q", wantErr, tc.wantErr)
			}
			if err == nil || err.Error() != wantErr.Error() {
				t.Errorf("error %v, want the sequential decoder's: %v", err, wantErr)
			}
			if !bytes.Equal(got, want[:min(len(got), len(want))]) {
				t.Errorf("output before the error differs from the sequential decoder's")
			}
		})
	}
}

// FuzzBz2 checks the parallel decoder against the sequential one on
// any input: the same bytes, and an error exactly when it fails.
func FuzzBz2(f *testing.F) {
	r := rand.New(rand.NewPCG(9, 9))
	f.Add(bz2Compress(f, textData(r, 300_000), 1))
	f.Add(append(bz2Compress(f, []byte("abc"), 1), bz2Compress(f, nil, 1)...))
	f.Add([]byte("BZh91AY&SY"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantErr := sequentialBz2(in)
		got, _, err := parallelBz2(in)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("parallel error %v, sequential %v", err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("parallel output differs from sequential")
		}
	})
}
