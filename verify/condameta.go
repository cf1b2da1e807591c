package verify

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// metaRecord is the part of a conda-meta/<name>-<version>-<build>.json
// record that verify reads. conda, mamba, pixi and envlock all write it.
type metaRecord struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Build     string   `json:"build"`
	Files     []string `json:"files"`
	PathsData *struct {
		Paths []metaPath `json:"paths"`
	} `json:"paths_data"`

	file string // conda-meta file name
}

// metaPath is one entry of paths_data.paths.
type metaPath struct {
	Path           string `json:"_path"`
	Type           string `json:"path_type"`
	SHA256         string `json:"sha256"`
	SHA256InPrefix string `json:"sha256_in_prefix"`
	Size           *int64 `json:"size_in_bytes"`
	Placeholder    string `json:"prefix_placeholder"`
}

// ID is the record's name-version-build.
func (r *metaRecord) ID() string { return r.Name + "-" + r.Version + "-" + r.Build }

// paths returns the record's files with whatever is known of each:
// paths_data when present, else the bare files list (old conda).
func (r *metaRecord) paths() []metaPath {
	if r.PathsData != nil && len(r.PathsData.Paths) > 0 {
		return r.PathsData.Paths
	}
	out := make([]metaPath, len(r.Files))
	for i, f := range r.Files {
		out[i] = metaPath{Path: f, Type: "hardlink"}
	}
	return out
}

// readCondaMeta reads every package record in prefix/conda-meta. Records
// that cannot be read are returned as problems, not errors: a damaged
// record is drift to report, and the rest of the prefix still verifies.
func readCondaMeta(tr *tree, prefix string) (recs []*metaRecord, bad []string, err error) {
	var ents []os.DirEntry
	d, err := tr.Open("conda-meta")
	if err == nil {
		ents, err = d.ReadDir(-1)
		d.Close()
	}
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, fmt.Errorf("%s is not a conda environment (it has no conda-meta directory)", prefix)
		}
		return nil, nil, err
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".json") || e.IsDir() || n == "envlock.json" {
			continue
		}
		b, err := tr.ReadFile("conda-meta/" + n)
		if err != nil {
			bad = append(bad, fmt.Sprintf("conda-meta/%s: %v", n, err))
			continue
		}
		r := &metaRecord{file: n}
		if err := json.Unmarshal(b, r); err != nil || r.Name == "" {
			if err == nil {
				err = fmt.Errorf("no package name")
			}
			bad = append(bad, fmt.Sprintf("conda-meta/%s: not a package record: %v", n, err))
			continue
		}
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Name < recs[j].Name })
	return recs, bad, nil
}
