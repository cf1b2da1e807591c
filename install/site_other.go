//go:build !unix

package install

import (
	"io/fs"
	"os"
)

// tryLock is a no-op where flock is not available.
func tryLock(f *os.File) (bool, error) { return true, nil }

func unlock(f *os.File) {}

// ownedByMe cannot tell owners apart here; every entry counts as the
// user's.
func ownedByMe(fi fs.FileInfo) bool { return true }
