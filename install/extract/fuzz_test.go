package extract

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzParts are the path components the fuzzer builds entry names and
// link targets from: ordinary names, ".", "..", empty parts (from "//")
// and a name that is also a link in most sequences.
var fuzzParts = []string{"a", "b", "d", "e", "x", "p1", "p2", "lib", "info", "conda-meta", "..", ".", "", "keep.txt"}

// fuzzTar turns fuzz bytes into a tar stream of files, directories,
// symlinks and hard links whose names and targets mix the parts above,
// "..", absolute paths and paths to the sandbox's canary (abs).
func fuzzTar(data []byte, abs string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	name := func() string {
		n := int(next()%4) + 1
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fuzzParts[int(next())%len(fuzzParts)]
		}
		p := strings.Join(parts, "/")
		switch next() % 16 {
		case 0:
			p = "/" + p
		case 1:
			p = abs + "/" + p
		case 2:
			p = "./" + p
		}
		return p
	}
	for len(data) > 0 {
		op := next()
		h := &tar.Header{Name: name(), Mode: 0o644, Format: tar.FormatPAX}
		var body []byte
		switch op % 5 {
		case 0, 1:
			h.Typeflag = tar.TypeReg
			body = bytes.Repeat([]byte{op}, int(next()%8))
			h.Size = int64(len(body))
		case 2:
			h.Typeflag = tar.TypeDir
		case 3:
			h.Typeflag = tar.TypeSymlink
			h.Linkname = name()
		case 4:
			h.Typeflag = tar.TypeLink
			h.Linkname = name()
		}
		if tw.WriteHeader(h) != nil {
			continue
		}
		tw.Write(body)
	}
	tw.Close()
	return buf.Bytes()
}

// A fuzzEntry is one entry as fuzzSeed encodes it for fuzzTar: op 0 a
// file, 2 a directory, 3 a symlink, 4 a hard link; abs puts the target
// under the sandbox's canary.
type fuzzEntry struct {
	op           byte
	name, target string
	abs          bool
}

// fuzzSeed encodes entries in fuzzTar's input language.
func fuzzSeed(entries ...fuzzEntry) []byte {
	var out []byte
	enc := func(p string, abs bool) {
		parts := strings.Split(p, "/")
		out = append(out, byte(len(parts)-1))
		for _, part := range parts {
			for i, fp := range fuzzParts {
				if fp == part {
					out = append(out, byte(i))
					break
				}
			}
		}
		if abs {
			out = append(out, 1)
		} else {
			out = append(out, 3)
		}
	}
	for _, e := range entries {
		out = append(out, e.op)
		enc(e.name, false)
		switch e.op {
		case 0:
			out = append(out, 3)
		case 3, 4:
			enc(e.target, e.abs)
		}
	}
	return out
}

// snapshot describes every path under dir except skip's subtree.
func snapshot(t *testing.T, dir, skip string) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		desc := fi.Mode().String()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			s := sha256.Sum256(b)
			desc += " " + hex.EncodeToString(s[:8])
			desc += fmt.Sprintf(" nlink=%d", nlink(fi))
		}
		out[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzExtract feeds random sequences of tar entries through extraction
// into a sandbox and checks that nothing outside the extraction
// directory changed (canary files, their modes and link counts, and the
// sandbox's own listing), that every symlink left inside resolves inside,
// and that nothing panics.
func FuzzExtract(f *testing.F) {
	// The chain from issue 15 (d/e/x -> ../.., p1 -> d/e/x/.., p2 ->
	// p1/.., then writes through them), and its variations.
	f.Add(fuzzSeed(
		fuzzEntry{op: 3, name: "d/e/x", target: "../.."},
		fuzzEntry{op: 3, name: "p1", target: "d/e/x/.."},
		fuzzEntry{op: 3, name: "p2", target: "p1/.."},
		fuzzEntry{op: 0, name: "p2/keep.txt"},
		fuzzEntry{op: 4, name: "a", target: "p2/keep.txt"},
	))
	f.Add(fuzzSeed(
		fuzzEntry{op: 3, name: "d/e/x", target: "../.."},
		fuzzEntry{op: 3, name: "p1", target: "d/e/x/.."},
	))
	f.Add(fuzzSeed(
		fuzzEntry{op: 3, name: "b", target: "."},
		fuzzEntry{op: 3, name: "a", target: "b/.."},
		fuzzEntry{op: 0, name: "lib/keep.txt"},
		fuzzEntry{op: 4, name: "info/x", target: "lib/keep.txt"},
	))
	f.Add(fuzzSeed(fuzzEntry{op: 3, name: "lib", target: "../../canary", abs: true}, fuzzEntry{op: 0, name: "lib/keep.txt"}))
	f.Add(fuzzSeed(fuzzEntry{op: 4, name: "lib/h", target: "keep.txt", abs: true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 512 {
			return
		}
		sandbox := t.TempDir()
		canary := filepath.Join(sandbox, "canary")
		os.MkdirAll(filepath.Join(canary, "sub"), 0o755)
		os.WriteFile(filepath.Join(canary, "keep.txt"), []byte("keep\n"), 0o644)
		os.WriteFile(filepath.Join(canary, "sub", "keep.txt"), []byte("deep\n"), 0o600)
		os.Symlink("keep.txt", filepath.Join(canary, "link"))
		out := filepath.Join(sandbox, "out", "pkg")
		os.MkdirAll(out, 0o755)
		before := snapshot(t, sandbox, out)

		tarball := fuzzTar(data, canary)
		root, err := os.OpenRoot(out)
		if err != nil {
			t.Fatal(err)
		}
		x, err := newExtractor(context.Background(), filepath.Join(sandbox, "fuzz-1-0.tar.bz2"), int64(len(tarball)), root, &Options{Record: []byte("{}\n"), FileMode: 0o664, DirMode: 0o775 | os.ModeSetgid})
		if err != nil {
			t.Fatal(err)
		}
		err = x.untar(bytes.NewReader(tarball))
		if err == nil {
			err = x.finish()
		}
		x.close()
		root.Close()

		after := snapshot(t, sandbox, out)
		for p, d := range before {
			if after[p] != d {
				t.Errorf("%s changed: %q -> %q (extraction error: %v)", p, d, after[p], err)
			}
		}
		for p, d := range after {
			if _, ok := before[p]; !ok {
				t.Errorf("%s appeared outside the extraction: %q (extraction error: %v)", p, d, err)
			}
		}
		if err != nil {
			return
		}
		// A package accepted: every link in it resolves inside it (or
		// nowhere).
		realOut, _ := filepath.EvalSymlinks(out)
		filepath.WalkDir(out, func(p string, d fs.DirEntry, werr error) error {
			if werr != nil || d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			to, err := filepath.EvalSymlinks(p)
			if err != nil {
				return nil
			}
			if to != realOut && !strings.HasPrefix(to, realOut+string(filepath.Separator)) {
				t.Errorf("accepted a symlink %s that resolves to %s, outside the package", p, to)
			}
			return nil
		})
	})
}
