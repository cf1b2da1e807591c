package wheelpkg

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteFileIndex writes wheel files that already exist (real wheels from
// PyPI, say) as an index under dir, laid out as WriteIndex does: each
// wheel hard-linked (or copied) to files/FILENAME, its METADATA beside it
// as the PEP 658 .metadata file, and the project pages, by the Name and
// Requires-Python its METADATA declares.
func WriteFileIndex(dir string, wheels []string) error {
	projects := map[string][]entry{}
	for _, w := range wheels {
		data, err := os.ReadFile(w)
		if err != nil {
			return err
		}
		meta, err := wheelMetadata(data)
		if err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
		name, rp := header(meta, "Name"), header(meta, "Requires-Python")
		if name == "" {
			return fmt.Errorf("%s: METADATA has no Name", w)
		}
		fn := filepath.Base(w)
		dst := filepath.Join(dir, "files", fn)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		os.Remove(dst)
		if err := os.Link(w, dst); err != nil {
			if err := write(dst, data); err != nil {
				return err
			}
		}
		if err := write(dst+".metadata", meta); err != nil {
			return err
		}
		key := Normalize(name)
		projects[key] = append(projects[key], entry{fn: fn, sha: hexsum(data), requiresPython: rp, size: len(data), meta: meta})
	}
	return writePages(dir, projects)
}

// wheelMetadata returns the .dist-info/METADATA of a wheel archive.
func wheelMetadata(data []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	for _, f := range zr.File {
		dir, base, ok := strings.Cut(f.Name, "/")
		if ok && base == "METADATA" && strings.HasSuffix(dir, ".dist-info") {
			r, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer r.Close()
			return io.ReadAll(r)
		}
	}
	return nil, fmt.Errorf("no .dist-info/METADATA")
}

// header returns the first value of an RFC 822 header of METADATA.
func header(meta []byte, name string) string {
	sc := bufio.NewScanner(bytes.NewReader(meta))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
