//go:build !linux

package verify

// withSize is c: other systems read to the end whatever the size.
func withSize(c content, size int64) content { return c }
