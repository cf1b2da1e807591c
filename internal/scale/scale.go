// Package scale generates a conda-forge-sized channel from the real
// conda-forge subset in ../shared/data, for benchmarks of loading and
// solving at the scale users meet (conda-forge's linux-64 repodata holds
// hundreds of thousands of records in hundreds of MB of JSON).
//
// The generator keeps the subset's shape: the same names, version
// strings, dependency lists and record fields. It multiplies the subset
// in two directions: U independent "universes" (every name, and every
// dependency on it, suffixed "-uN"), so the index has U times as many
// names, and V variants of each record per universe (version "X" becomes
// "X.k", which still satisfies the same pins), so each name has V times
// as many candidates.
package scale

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/envlock/envlock/fetch/shards"
	"github.com/envlock/envlock/spec/repodata"
)

// Options say how much to multiply the base channel.
type Options struct {
	Universes int // independent copies of every name
	Variants  int // extra versions of every record per copy
	// Extra are more linux-64 records to add to the base before scaling:
	// flat {file name: record} indexes or repodata.json files (for
	// example the old defaults index, which has numpy, scipy, pandas and
	// matplotlib that the conda-forge subset lacks). They are written in
	// the first universe only (with its variants), so they add to the
	// channel's depth, not much to its size.
	Extra []string
}

// Stats describe a generated channel.
type Stats struct {
	Records int
	Bytes   int64
}

var leadingName = regexp.MustCompile(`^[^ =<>!~\[]+`)

// Generate writes <out>/linux-64/repodata.json and <out>/noarch/
// repodata.json scaled up from the channel at base (which must hold
// linux-64 and noarch). It returns what it wrote.
func Generate(base, out string, opt Options) (Stats, error) {
	var st Stats
	names := map[string]bool{}
	subs := map[string]map[string]map[string]any{}
	for _, sub := range []string{"linux-64", "noarch"} {
		data, err := os.ReadFile(filepath.Join(base, sub, "repodata.json"))
		if err != nil {
			return st, err
		}
		var rd struct {
			Packages      map[string]map[string]any `json:"packages"`
			PackagesConda map[string]map[string]any `json:"packages.conda"`
		}
		if err := json.Unmarshal(data, &rd); err != nil {
			return st, fmt.Errorf("%s/%s: %v", base, sub, err)
		}
		all := map[string]map[string]any{}
		for fn, r := range rd.Packages {
			all[fn] = r
		}
		for fn, r := range rd.PackagesConda {
			all[fn] = r
		}
		if sub == "linux-64" {
			for _, path := range opt.Extra {
				if err := addExtra(path, all); err != nil {
					return st, err
				}
			}
		}
		for _, r := range all {
			names[r["name"].(string)] = true
		}
		subs[sub] = all
	}
	for _, sub := range []string{"linux-64", "noarch"} {
		n, size, err := writeSubdir(filepath.Join(out, sub), sub, subs[sub], names, opt)
		if err != nil {
			return st, err
		}
		st.Records += n
		st.Bytes += size
	}
	return st, nil
}

// addExtra adds the records of a flat index or repodata.json to all, as
// linux-64 records; a file name already present keeps its base record.
// extraKey marks a record from Options.Extra while generating.
const extraKey = "\x00extra"

func addExtra(path string, all map[string]map[string]any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	sections := []json.RawMessage{data}
	if _, ok := doc["packages"]; ok {
		sections = []json.RawMessage{doc["packages"], doc["packages.conda"]}
	}
	for _, sec := range sections {
		if len(sec) == 0 || string(sec) == "null" {
			continue
		}
		var recs map[string]map[string]any
		if err := json.Unmarshal(sec, &recs); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		for fn, r := range recs {
			if _, ok := r["name"].(string); !ok {
				continue
			}
			if _, dup := all[fn]; !dup {
				r["subdir"] = "linux-64"
				r[extraKey] = true
				all[fn] = r
			}
		}
	}
	return nil
}

func writeSubdir(dir, sub string, recs map[string]map[string]any, names map[string]bool, opt Options) (int, int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, err
	}
	f, err := os.Create(filepath.Join(dir, "repodata.json"))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fns := make([]string, 0, len(recs))
	for fn := range recs {
		fns = append(fns, fn)
	}
	sort.Strings(fns)
	fmt.Fprintf(w, "{\"info\": {\"subdir\": %q},\n\"packages\": {", sub)
	n := 0
	// A variant's version "X.k" can be a version the base already has
	// (certifi 2022.5.18 variant 1 is the real certifi 2022.5.18.1, same
	// build string): the file name would repeat, which real repodata never
	// does. Such a variant gets its own build string instead.
	written := make(map[string]bool, len(recs)*(opt.Variants+1)*max(1, opt.Universes))
	for u := 0; u < max(1, opt.Universes); u++ {
		suffix := ""
		if u > 0 {
			suffix = fmt.Sprintf("-u%d", u)
		}
		for v := 0; v <= opt.Variants; v++ {
			for _, fn := range fns {
				r := clone(recs[fn])
				if r[extraKey] != nil {
					if u > 0 {
						continue
					}
					delete(r, extraKey)
				}
				name := r["name"].(string) + suffix
				r["name"] = name
				if v > 0 {
					r["version"] = fmt.Sprintf("%s.%d", r["version"], v)
				}
				for _, key := range []string{"depends", "constrains"} {
					if list, ok := r[key].([]any); ok {
						out := make([]any, len(list))
						for i, d := range list {
							s := d.(string)
							if m := leadingName.FindString(s); m != "" && names[m] {
								s = m + suffix + s[len(m):]
							}
							out[i] = s
						}
						r[key] = out
					}
				}
				ext := ".tar.bz2"
				if strings.HasSuffix(fn, ".conda") {
					ext = ".conda"
				}
				newFn := fmt.Sprintf("%s-%v-%s%s", name, r["version"], r["build"], ext)
				for k := 1; written[newFn]; k++ {
					r["build"] = fmt.Sprintf("%v_v%d", recs[fn]["build"], k)
					newFn = fmt.Sprintf("%s-%v-%s%s", name, r["version"], r["build"], ext)
				}
				written[newFn] = true
				r["fn"] = newFn
				b, err := json.Marshal(r)
				if err != nil {
					return 0, 0, err
				}
				if n > 0 {
					w.WriteString(",\n")
				}
				kb, _ := json.Marshal(newFn)
				w.Write(kb)
				w.WriteString(": ")
				w.Write(b)
				n++
			}
		}
	}
	w.WriteString("},\n\"packages.conda\": {}, \"repodata_version\": 1}\n")
	if err := w.Flush(); err != nil {
		return 0, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	return n, fi.Size(), nil
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Shard writes CEP-16 shards beside each subdir's repodata.json under
// dir (the layout conda-index --write-shards makes: the shard index and
// "<sha256>.msgpack.zst" files in the subdir), so benchmarks can serve
// the same channel both ways. It returns the total bytes of the shards
// and indexes written.
func Shard(dir string) (int64, error) {
	var total int64
	for _, sub := range []string{"linux-64", "noarch"} {
		data, err := os.ReadFile(filepath.Join(dir, sub, "repodata.json"))
		if err != nil {
			return 0, err
		}
		rd, err := repodata.Parse(data)
		if err != nil {
			return 0, fmt.Errorf("%s/%s: %v", dir, sub, err)
		}
		data = nil
		byName := map[string][]*repodata.Record{}
		for _, r := range rd.Records {
			byName[r.Name] = append(byName[r.Name], r)
		}
		idx := &shards.Index{Version: 1, Subdir: sub, Shards: make(map[string]shards.Hash, len(byName))}
		for name, recs := range byName {
			b, h, err := shards.EncodeShard(recs)
			if err != nil {
				return 0, err
			}
			if err := os.WriteFile(filepath.Join(dir, sub, h.String()+".msgpack.zst"), b, 0o644); err != nil {
				return 0, err
			}
			idx.Shards[name] = h
			total += int64(len(b))
		}
		b, err := shards.EncodeIndex(idx)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(dir, sub, shards.IndexFile), b, 0o644); err != nil {
			return 0, err
		}
		total += int64(len(b))
	}
	return total, nil
}
