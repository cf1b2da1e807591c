//go:build !unix

package extract

import "io/fs"

func nlink(fs.FileInfo) uint64 { return 0 }
