//go:build !linux

package install

// syncfsOf is Linux's syncfs(2); elsewhere the benchmark's rattler+syncfs
// figure is rattler's own.
func syncfsOf(dir string) error { return nil }
