package link

import (
	"encoding/binary"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// listDir returns the type of each entry of the open directory d, from
// getdents64's d_type: a few calls for a directory, where os.File.ReadDir
// on a directory opened through an os.Root stats every entry. An entry of
// unknown type (a file system without d_type) is looked up with
// fstatat, not following it.
func listDir(d *os.File) (map[string]fs.FileMode, error) {
	fd := int(d.Fd())
	m := map[string]fs.FileMode{}
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "getdents", Path: d.Name(), Err: err}
		}
		if n <= 0 {
			return m, nil
		}
		// struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16,
		// d_type u8, d_name NUL-terminated.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				break
			}
			typ, name := b[18], b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			b = b[reclen:]
			s := string(name)
			if s == "." || s == ".." {
				continue
			}
			var mode fs.FileMode
			switch typ {
			case unix.DT_REG:
			case unix.DT_DIR:
				mode = fs.ModeDir
			case unix.DT_LNK:
				mode = fs.ModeSymlink
			case unix.DT_UNKNOWN:
				var st unix.Stat_t
				if err := unix.Fstatat(fd, s, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
					continue
				}
				mode = (&statInfo{st: st}).Mode().Type()
			default:
				mode = fs.ModeIrregular
			}
			m[s] = mode
		}
	}
}
