//go:build !unix

package link

import (
	"errors"
	"io/fs"
	"os"
)

func linkAt(od *os.File, oldname string, nd *os.File, newname string) error {
	return errors.New("hard links between directories are made on Unix only")
}

// lstat is Lstat of name in the source (stage false) or the stage.
func (l *linker) lstat(stage bool, name string) (fs.FileInfo, error) {
	if stage {
		return l.opts.Stage.Lstat(name)
	}
	return l.src.Lstat(name)
}

// open opens name of the source (stage false) or the stage.
func (l *linker) open(stage bool, name string, flag int, perm os.FileMode) (*os.File, error) {
	if stage {
		return l.opts.Stage.OpenFile(name, flag, perm)
	}
	return l.src.OpenFile(name, flag, perm)
}

// mkdirAt makes the directory dir of root (name in parent) unless it is
// there, and opens it.
func mkdirAt(root *os.Root, _ *os.File, dir, _ string) (*os.File, error) {
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return root.Open(dir)
}

func isExist(err error) bool { return errors.Is(err, fs.ErrExist) }

func isCrossDevice(err error) bool { return false }
