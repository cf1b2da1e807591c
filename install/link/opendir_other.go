//go:build !unix

package link

import (
	"errors"
	"os"
)

// openDirAt is not done outside Unix: the caller opens through the root.
func openDirAt(_ *os.File, _, _ string) (*os.File, error) {
	return nil, errors.New("not on Unix")
}
