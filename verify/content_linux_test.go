package verify

// withSize is c believing fstat gave size, as if the file changed
// between the fstat and the reads.
func withSize(c content, size int64) content {
	if fc, ok := c.(fdContent); ok {
		fc.size = size
		return fc
	}
	return c
}
