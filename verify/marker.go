package verify

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/envlock/envlock/spec/platform"
)

// Marker is the part of conda-meta/envlock.json (written by envlock
// install) that verify reads: which lock the prefix came from.
type Marker struct {
	Lock      string    `json:"lock"`
	LockHash  string    `json:"lock_sha256"`
	Name      string    `json:"name"`
	Platform  string    `json:"platform"`
	Signature string    `json:"signature"`
	Installed time.Time `json:"installed"`
}

// MarkerFile is the marker's path inside a prefix.
const MarkerFile = "conda-meta/envlock.json"

// ReadMarker reads a prefix's envlock marker; an error wrapping
// os.ErrNotExist means the prefix was not installed by envlock.
func ReadMarker(prefix string) (*Marker, error) {
	return readMarker(prefix)
}

func readMarker(prefix string) (*Marker, error) {
	b, err := os.ReadFile(filepath.Join(prefix, filepath.FromSlash(MarkerFile)))
	if err != nil {
		return nil, err
	}
	m := &Marker{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(prefix, MarkerFile), err)
	}
	return m, nil
}

func hostPlatform() platform.Platform { return platform.Host() }
