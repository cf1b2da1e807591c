package wheel

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// A RecordEntry is one line of a RECORD file.
type RecordEntry struct {
	// Path is relative to site-packages, with "/" separators; files
	// outside it start with "../".
	Path string
	// Hash is "sha256=<urlsafe base64, no padding>", "" when not given
	// (RECORD itself, .pyc files).
	Hash string
	// Size in bytes, -1 when not given.
	Size int64
}

// ReadRecord parses a RECORD file (PEP 376, PEP 627: CSV of path, hash,
// size).
func ReadRecord(r io.Reader) ([]RecordEntry, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var out []RecordEntry
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("RECORD: %w", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 3 {
			return nil, fmt.Errorf("RECORD line %d: want path,hash,size, got %d fields", line, len(rec))
		}
		e := RecordEntry{Path: rec[0], Hash: rec[1], Size: -1}
		if e.Path == "" {
			return nil, fmt.Errorf("RECORD line %d: empty path", line)
		}
		if e.Hash != "" && !strings.Contains(e.Hash, "=") {
			return nil, fmt.Errorf("RECORD line %d: hash %q is not ALGORITHM=DIGEST", line, e.Hash)
		}
		if rec[2] != "" {
			n, err := strconv.ParseInt(rec[2], 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("RECORD line %d: size %q is not a number", line, rec[2])
			}
			e.Size = n
		}
		out = append(out, e)
	}
}

// ReadRecordFile reads the RECORD of an installed .dist-info directory.
func ReadRecordFile(distInfo string) ([]RecordEntry, error) {
	f, err := os.Open(filepath.Join(distInfo, "RECORD"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	es, err := ReadRecord(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", distInfo, err)
	}
	return es, nil
}

// Hash returns data's RECORD hash: "sha256=" and the urlsafe base64
// digest without padding.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// CheckHash returns an error when data does not match a RECORD hash.
// Only sha256 is known: it is what wheel builders write.
func CheckHash(want string, data []byte) error {
	algo, _, _ := strings.Cut(want, "=")
	if algo != "sha256" {
		return fmt.Errorf("hash algorithm %q is not supported (sha256 is)", algo)
	}
	return checkHashString(want, Hash(data))
}

// checkHashString compares a RECORD hash with the content's, got.
func checkHashString(want, got string) error {
	algo, _, _ := strings.Cut(want, "=")
	if algo != "sha256" {
		return fmt.Errorf("hash algorithm %q is not supported (sha256 is)", algo)
	}
	if got != want {
		return fmt.Errorf("content has %s, RECORD says %s", got, want)
	}
	return nil
}

func writeRecord(w io.Writer, es []RecordEntry) error {
	sort.Slice(es, func(i, j int) bool { return es[i].Path < es[j].Path })
	cw := csv.NewWriter(w)
	for _, e := range es {
		size := ""
		if e.Size >= 0 {
			size = strconv.FormatInt(e.Size, 10)
		}
		if err := cw.Write([]string{e.Path, e.Hash, size}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Uninstall removes an installed wheel from a prefix: every file its
// RECORD lists (paths relative to site-packages) and the directories
// left empty, all through an os.Root of the prefix. A RECORD entry that
// points outside the prefix is refused.
func Uninstall(prefix, sitePackages, distInfo string) error {
	root, err := os.OpenRoot(prefix)
	if err != nil {
		return err
	}
	defer root.Close()
	f, err := root.Open(path.Join(filepath.ToSlash(sitePackages), distInfo, "RECORD"))
	if err != nil {
		return err
	}
	es, err := ReadRecord(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", distInfo, err)
	}
	dirs := map[string]bool{}
	for _, e := range es {
		rel := path.Clean(path.Join(filepath.ToSlash(sitePackages), e.Path))
		if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) || rel == "." {
			return fmt.Errorf("RECORD of %s lists %q, outside the prefix; remove it by hand", distInfo, e.Path)
		}
		if err := root.Remove(rel); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	// Deepest first, so parents empty out after their children.
	var ds []string
	for d := range dirs {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return strings.Count(ds[i], "/") > strings.Count(ds[j], "/") })
	for _, d := range ds {
		root.Remove(d) // only if empty
	}
	return nil
}

// AddCompiled adds the byte-code files compiled for an installed wheel
// to its RECORD (as pip does), read and rewritten through the stage
// (distInfo is Result.DistInfo):
// each file's path is relative to the prefix, like Result.Files, and is
// hashed as it is now, so verify checks it like any other file, unless
// known holds its RECORD hash and size already (a .pyc linked from the
// package cache, hashed once there).
func AddCompiled(stage *os.Root, distInfo string, pycs []string, known map[string]RecordEntry) error {
	if len(pycs) == 0 {
		return nil
	}
	sitePackages := path.Dir(distInfo)
	recPath := path.Join(distInfo, "RECORD")
	data, err := stage.ReadFile(recPath)
	if err != nil {
		return fmt.Errorf("reading %s: %w", recPath, err)
	}
	es, err := ReadRecord(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", recPath, err)
	}
	var add []RecordEntry
	replaced := map[string]bool{}
	for _, p := range pycs {
		rel, err := filepathRel(sitePackages, p)
		if err != nil {
			return err
		}
		replaced[rel] = true
		if k, ok := known[p]; ok && k.Hash != "" {
			add = append(add, RecordEntry{Path: rel, Hash: k.Hash, Size: k.Size})
			continue
		}
		b, err := stage.ReadFile(p)
		if err != nil {
			return fmt.Errorf("reading the compiled %s: %w", p, err)
		}
		add = append(add, RecordEntry{Path: rel, Hash: Hash(b), Size: int64(len(b))})
	}
	// A wheel may ship a .pyc (numpy 2.2 does) that was compiled again:
	// its entry is replaced.
	es = append(slices.DeleteFunc(es, func(e RecordEntry) bool { return replaced[e.Path] }), add...)
	var buf bytes.Buffer
	if err := writeRecord(&buf, es); err != nil {
		return err
	}
	if err := stage.Remove(recPath); err != nil {
		return err
	}
	return writeEntryData(stage, recPath, buf.Bytes(), 0o644)
}
