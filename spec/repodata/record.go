package repodata

import (
	"github.com/envlock/envlock/spec/version"
)

// A Record is one conda package as a channel's repodata.json describes
// it (conda's PackageRecord). Timestamp is in milliseconds since the
// epoch whatever the source wrote (see TimestampMillisThreshold).
type Record struct {
	Name          string   `json:"name"`
	Version       string   `json:"version"`
	Build         string   `json:"build"`
	BuildNumber   int64    `json:"build_number"`
	Depends       []string `json:"depends,omitempty"`
	Constrains    []string `json:"constrains,omitempty"`
	TrackFeatures []string `json:"track_features,omitempty"`
	Features      string   `json:"features,omitempty"`
	Noarch        string   `json:"noarch,omitempty"`
	Subdir        string   `json:"subdir,omitempty"`
	License       string   `json:"license,omitempty"`
	LicenseFamily string   `json:"license_family,omitempty"`
	MD5           string   `json:"md5,omitempty"`
	SHA256        string   `json:"sha256,omitempty"`
	Size          int64    `json:"size,omitempty"`
	Timestamp     int64    `json:"timestamp,omitempty"`
	Fn            string   `json:"fn,omitempty"`
	URL           string   `json:"url,omitempty"`
	Channel       string   `json:"channel,omitempty"`
	// PythonSitePackagesPath is CEP-17's site-packages location for
	// python records ("" for the default lib/pythonX.Y/site-packages).
	PythonSitePackagesPath string `json:"python_site_packages_path,omitempty"`
	// LegacyBz2MD5 and LegacyBz2Size describe the .tar.bz2 twin of a
	// .conda record, where repodata keeps them.
	LegacyBz2MD5  string `json:"legacy_bz2_md5,omitempty"`
	LegacyBz2Size int64  `json:"legacy_bz2_size,omitempty"`

	ver    version.Version // parsed Version, set by Prepare
	verSet bool
}

// Prepare parses the record's version once, so that ParsedVersion is
// cheap. Loaders call it before a record is shared between goroutines;
// a record is read-only afterwards.
func (r *Record) Prepare() error {
	v, err := version.Parse(r.Version)
	r.ver, r.verSet = v, true
	return err
}

// ParsedVersion returns the record's version parsed. A version that does
// not parse yields the zero Version, which no version spec matches.
func (r *Record) ParsedVersion() version.Version {
	if r.verSet {
		return r.ver
	}
	v, _ := version.Parse(r.Version)
	return v
}
