//go:build !linux

package verify

import (
	"errors"
	"io/fs"
	"strings"
)

func (t *tree) initFast() {}

// The fast paths are Linux's; t.fast is never set here.
func (t *tree) lstatFast(rel string) (fs.FileInfo, error) { return t.root.Lstat(rel) }
func (t *tree) statFast(rel string) (fs.FileInfo, error)  { return t.root.Stat(rel) }
func (t *tree) lstatOpenFast(rel string) (fs.FileInfo, content, error) {
	return nil, nil, errors.New("no fast path on this system")
}
func (t *tree) hashFast(rel string, d *digester) (int64, error) {
	return 0, errors.New("no fast path on this system")
}

// isEscape reports os.Root's refusal to leave the prefix.
func isEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

// dirCache is Linux's cache of directory descriptors; elsewhere names are
// resolved by os.Root.
type dirCache struct{}

func (c *dirCache) close() {}
