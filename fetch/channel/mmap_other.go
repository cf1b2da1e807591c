//go:build !unix

package channel

import "os"

// mapFile reads path into memory where memory maps are not available.
func mapFile(path string) (data []byte, release func(int), unmap func(), err error) {
	data, err = os.ReadFile(path)
	return data, func(int) {}, func() {}, err
}
