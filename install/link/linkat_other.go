//go:build !unix

package link

import (
	"errors"
	"os"
)

const oNoFollow = 0

func linkAt(od *os.File, oldname string, nd *os.File, newname string) error {
	return errors.New("hard links between directories are made on Unix only")
}
