//go:build !unix

package cache

import "os"

// Without flock, entries still appear atomically by rename; concurrent
// writers may duplicate work but never corrupt an entry.
func flock(f *os.File) error { return nil }
func funlock(f *os.File)     {}

// tryFlock cannot tell a live writer here: never sweep.
func tryFlock(f *os.File) bool { return false }

const syscallNoFollow = 0
