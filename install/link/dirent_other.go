//go:build !linux

package link

import (
	"io/fs"
	"os"
)

// listDir returns the type of each entry of the open directory d.
func listDir(d *os.File) (map[string]fs.FileMode, error) {
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	m := make(map[string]fs.FileMode, len(ents))
	for _, e := range ents {
		m[e.Name()] = e.Type()
	}
	return m, nil
}
