package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/lock/lockfile"
)

// ErrLockGone is wrapped when the lock a prefix was installed from can be
// read neither where it was nor from the copy in conda-meta.
var ErrLockGone = errors.New("cannot be read")

// InstalledLock finds the lock the prefix was installed from: the file
// its marker (conda-meta/envlock/envlock.json) names, else the copy install keeps in
// conda-meta (the file moved, changed into something else, or was an
// offline bundle). A prefix envlock did not install gives a nil lock and
// no error.
func InstalledLock(prefix string) (l *lockfile.Lock, data []byte, path string, err error) {
	m, err := install.ReadMarker(prefix)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, "", nil
	}
	if err != nil {
		return nil, nil, "", err
	}
	if m.Lock != "" {
		if l, data, err := lockfile.Read(m.Lock); err == nil {
			return l, data, m.Lock, nil
		}
	}
	// The copy is read through an os.Root of the prefix: a link there
	// to a lock elsewhere is not followed.
	if root, err := os.OpenRoot(prefix); err == nil {
		defer root.Close()
		for _, c := range []string{install.LockCopyFile, install.LegacyLockCopyFile} {
			data, err := root.ReadFile("conda-meta/" + c)
			if err != nil {
				continue
			}
			if l, err := lockfile.Parse(data); err == nil {
				return l, data, filepath.Join(prefix, "conda-meta", c), nil
			}
		}
	}
	if m.Lock != "" {
		return nil, nil, "", fmt.Errorf("the lock this environment was installed from, %s, %w", m.Lock, ErrLockGone)
	}
	return nil, nil, "", nil
}
