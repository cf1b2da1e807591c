package repodata

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Repodata is a parsed repodata.json: one subdir of one channel.
type Repodata struct {
	Info Info
	// Records holds every package, "packages.conda" first; a .tar.bz2
	// whose .conda twin (same name-version-build) is present is dropped,
	// as conda does when both exist.
	Records []*Record
	// Removed lists file names the channel has withdrawn.
	Removed []string
	// Invalid lists the records dropped because an identity breaks
	// conda's grammar (*RecordError, see Record.Check), in file order.
	Invalid []error
	// Version is repodata_version (1 or 2; 0 when absent).
	Version int
}

// Info is the "info" object of repodata.json.
type Info struct {
	Subdir string
	// BaseURL is CEP-15's info.base_url (repodata v2): where the package
	// files live when that is not beside repodata.json. "" when absent.
	BaseURL string
}

// TimestampMillisThreshold is the largest timestamp read as seconds;
// larger ones are milliseconds already (year 9999 in seconds, the rule
// rattler and conda use to tell the two apart).
const TimestampMillisThreshold = 253402300799

// Parse reads a repodata.json from memory. Records are decoded in
// parallel; their versions are parsed (see Record.Prepare).
func Parse(data []byte) (*Repodata, error) {
	rd := &Repodata{}
	data = bytes.TrimPrefix(data, bom) // some mirrors write one
	s := &scanner{data: data}
	var spans, condaSpans []span
	s.object(func(key []byte) {
		switch string(key) {
		case "info":
			s.info(&rd.Info)
		case "packages":
			spans = s.spans()
		case "packages.conda":
			condaSpans = s.spans()
		case "removed":
			rd.Removed = s.strings(map[string]string{})
		case "repodata_version":
			rd.Version = int(s.int())
		default:
			s.skip()
		}
	})
	if s.err == nil && s.peek() != 0 {
		s.fail("unexpected data after the top-level object")
	}
	if s.err != nil {
		return nil, s.err
	}
	spans, condaSpans = lastKeyWins(spans), lastKeyWins(condaSpans)
	conda, invalid, err := decodeSpans(data, condaSpans, rd.Info.Subdir)
	if err != nil {
		return nil, err
	}
	bz2, invalid2, err := decodeSpans(data, spans, rd.Info.Subdir)
	if err != nil {
		return nil, err
	}
	rd.Invalid = append(invalid, invalid2...)
	rd.Records = MergeTwins(conda, bz2)
	return rd, nil
}

// ParseReader reads all of r and parses it.
func ParseReader(r io.Reader) (*Repodata, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// ParseIndex reads a flat index, a JSON object mapping file names to
// records (the form of conda's older test indexes). Records that fail
// Record.Check are dropped.
func ParseIndex(data []byte) ([]*Record, error) {
	s := &scanner{data: data}
	sp := s.spans()
	if s.err == nil && s.peek() != 0 {
		s.fail("unexpected data after the top-level object")
	}
	if s.err != nil {
		return nil, s.err
	}
	recs, _, err := decodeSpans(data, sp, "")
	return recs, err
}

func (s *scanner) strOrNull() string {
	if s.peek() == 'n' {
		s.literal("null")
		return ""
	}
	return s.str()
}

// A span locates one "file name": {record} pair in the data.
type span struct {
	fn         string
	start, end int // the record object
}

// spans reads an object of file name → record, recording where each
// record is without decoding it.
func (s *scanner) spans() []span {
	var out []span
	if s.peek() == 'n' {
		s.literal("null")
		return nil
	}
	s.object(func(key []byte) {
		if s.peek() != '{' {
			s.fail("record for %q is not an object", key)
			return
		}
		start := s.pos
		s.skipContainer()
		out = append(out, span{fn: string(key), start: start, end: s.pos})
	})
	return out
}

// decodeSpans decodes records in parallel, one chunk per CPU. Records
// that fail Record.Check are returned apart, as errors.
func decodeSpans(data []byte, spans []span, subdir string) ([]*Record, []error, error) {
	if len(spans) == 0 {
		return nil, nil, nil
	}
	recs := make([]Record, len(spans)) // one allocation for all records
	out := make([]*Record, len(spans))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(spans)/2000))
	chunk := (len(spans) + workers - 1) / workers
	errs := make([]error, workers)
	bad := make([][]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(spans))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			intern := make(map[string]string, 1024)
			for i := lo; i < hi; i++ {
				sp := spans[i]
				r := &recs[i]
				if err := decodeRecord(data, sp, r, intern); err != nil {
					errs[w] = err
					return
				}
				r.Fn = sp.fn
				if r.Subdir == "" {
					r.Subdir = subdir
				}
				if err := r.checkIn(subdir); err != nil {
					bad[w] = append(bad[w], err)
					continue // out[i] stays nil
				}
				r.Prepare()
				out[i] = r
			}
		}(w, lo, hi)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	var invalid []error
	for _, b := range bad {
		invalid = append(invalid, b...)
	}
	if len(invalid) > 0 {
		out = slices.DeleteFunc(out, func(r *Record) bool { return r == nil })
	}
	return out, invalid, nil
}

func decodeRecord(data []byte, sp span, r *Record, intern map[string]string) error {
	s := &scanner{data: data[:sp.end], pos: sp.start}
	s.object(func(key []byte) {
		switch string(key) {
		case "name":
			r.Name = internStr(s, intern)
		case "version":
			r.Version = internStr(s, intern)
		case "build":
			r.Build = s.str()
		case "build_number":
			r.BuildNumber = s.int()
		case "depends":
			r.Depends = s.strings(intern)
		case "constrains":
			r.Constrains = s.strings(intern)
		case "track_features":
			r.TrackFeatures = s.features()
		case "features":
			if s.peek() == '"' {
				r.Features = s.str()
			} else {
				s.skip()
			}
		case "noarch":
			r.Noarch = s.noarch()
		case "subdir":
			r.Subdir = internStr(s, intern)
		case "license":
			r.License = internStrOrNull(s, intern)
		case "license_family":
			r.LicenseFamily = internStrOrNull(s, intern)
		case "md5":
			r.MD5 = s.strOrNull()
		case "sha256":
			r.SHA256 = s.strOrNull()
		case "size":
			r.Size = s.intOrNull()
		case "timestamp":
			ts := s.intOrNull()
			if ts > 0 && ts <= TimestampMillisThreshold {
				ts *= 1000
			}
			r.Timestamp = ts
		case "python_site_packages_path":
			r.PythonSitePackagesPath = s.strOrNull()
		case "legacy_bz2_md5":
			r.LegacyBz2MD5 = s.strOrNull()
		case "legacy_bz2_size":
			r.LegacyBz2Size = s.intOrNull()
		default:
			s.skip()
		}
	})
	if s.err != nil {
		return fmt.Errorf("record %q: %w", sp.fn, s.err)
	}
	if r.Name == "" || r.Version == "" {
		return fmt.Errorf("record %q: missing name or version", sp.fn)
	}
	return nil
}

func internStr(s *scanner, intern map[string]string) string {
	b, esc := s.rawString()
	if esc {
		return s.unescape(b)
	}
	if v, ok := intern[string(b)]; ok {
		return v
	}
	v := string(b)
	intern[v] = v
	return v
}

func internStrOrNull(s *scanner, intern map[string]string) string {
	if s.peek() == 'n' {
		s.literal("null")
		return ""
	}
	return internStr(s, intern)
}

func (s *scanner) intOrNull() int64 {
	if s.peek() == 'n' {
		s.literal("null")
		return 0
	}
	return s.int()
}

// features reads track_features, which repodata writes as one string
// ("mkl debug" or "mkl,debug") and a few tools as a list.
func (s *scanner) features() []string {
	switch s.peek() {
	case '"':
		v := s.str()
		f := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
		if len(f) == 0 {
			return nil
		}
		return f
	case '[':
		return s.strings(map[string]string{})
	}
	s.skip()
	return nil
}

// noarch reads "noarch": "python" and "generic" as they are; old
// repodata writes true for generic and false or null for none.
func (s *scanner) noarch() string {
	switch s.peek() {
	case '"':
		return s.str()
	case 't':
		s.literal("true")
		return "generic"
	}
	s.skip()
	return ""
}

var bom = []byte("\xef\xbb\xbf")

// MergeTwins returns the .conda records followed by the .tar.bz2 records
// that have no .conda twin (the same name, and the same file name but
// for the extension): conda prefers the .conda of a package published in
// both formats.
func MergeTwins(conda, tarbz2 []*Record) []*Record {
	if len(conda) == 0 {
		return tarbz2
	}
	out := conda
	type key struct{ name, stem string }
	have := make(map[key]bool, len(conda))
	for _, r := range conda {
		have[key{r.Name, strings.TrimSuffix(r.Fn, ".conda")}] = true
	}
	for _, r := range tarbz2 {
		if !have[key{r.Name, strings.TrimSuffix(r.Fn, ".tar.bz2")}] {
			out = append(out, r)
		}
	}
	return out
}

// lastKeyWins drops all but the last of spans with the same file name.
// A JSON object with a repeated key is what conda reads with Python's
// json module, where the last value wins; rattler refuses such a file.
// envlock reads it as conda does, so the lock equals conda's view.
func lastKeyWins(spans []span) []span {
	if len(spans) < 2 {
		return spans
	}
	last := make(map[string]int, len(spans))
	for i, sp := range spans {
		last[sp.fn] = i
	}
	if len(last) == len(spans) {
		return spans
	}
	out := spans[:0:0]
	for i, sp := range spans {
		if last[sp.fn] == i {
			out = append(out, sp)
		}
	}
	return out
}

// info reads repodata's "info" object: the subdir and CEP-15 base_url;
// other keys are skipped.
func (s *scanner) info(i *Info) {
	s.object(func(k []byte) {
		switch string(k) {
		case "subdir":
			i.Subdir = s.strOrNull()
		case "base_url":
			i.BaseURL = s.strOrNull()
		default:
			s.skip()
		}
	})
}
