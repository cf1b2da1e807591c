package fetch

import (
	"os"
	"path/filepath"
)

// CacheDir returns envlock's cache directory: $ENVLOCK_CACHE_DIR, else
// $XDG_CACHE_HOME/envlock, else ~/.cache/envlock. Clusters point it at
// group or scratch storage to spare the home quota.
func CacheDir(getenv func(string) string) string {
	if d := getenv("ENVLOCK_CACHE_DIR"); d != "" {
		return d
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "envlock")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".cache", "envlock")
}
