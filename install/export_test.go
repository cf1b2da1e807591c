package install

// SetSwapRenames makes swaps use two renames and the journal even where
// the file system can exchange two directories atomically, so the kill
// tests reach both recovery branches.
func SetSwapRenames(on bool) { swapRenames = on }
