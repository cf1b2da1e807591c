package kernel

import (
	"errors"
	"path/filepath"
	"runtime"
)

// DataDir returns the user's Jupyter data directory as jupyter_core's
// jupyter_data_dir computes it: $JUPYTER_DATA_DIR, else on Linux and other
// unixes $XDG_DATA_HOME/jupyter or ~/.local/share/jupyter, on macOS
// ~/Library/Jupyter. Kernelspecs live in its kernels/ subdirectory.
func DataDir(getenv func(string) string) (string, error) {
	if d := getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Abs(d)
	}
	home := getenv("HOME")
	if runtime.GOOS == "darwin" && home != "" {
		return filepath.Join(home, "Library", "Jupyter"), nil
	}
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "jupyter"), nil
	}
	if home == "" {
		return "", errors.New("cannot find the Jupyter data directory: neither $JUPYTER_DATA_DIR nor $HOME is set")
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// PrefixDir returns the Jupyter data directory of an installation prefix
// (as "jupyter kernelspec install --prefix DIR" uses it): DIR/share/jupyter.
func PrefixDir(prefix string) string {
	return filepath.Join(prefix, "share", "jupyter")
}

// KernelsDir returns the kernelspec directory of a Jupyter data directory.
func KernelsDir(dataDir string) string {
	return filepath.Join(dataDir, "kernels")
}

// SearchPath returns the data directories where Jupyter looks for
// kernelspecs, in its order, as far as envlock can know them: the user's,
// each $JUPYTER_PATH entry, and the system's (/usr/local/share/jupyter,
// /usr/share/jupyter). The Python installation's own share/jupyter is not
// known without running it and is left out.
func SearchPath(getenv func(string) string) []string {
	var dirs []string
	if d, err := DataDir(getenv); err == nil {
		dirs = append(dirs, d)
	}
	for _, d := range filepath.SplitList(getenv("JUPYTER_PATH")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	dirs = append(dirs, "/usr/local/share/jupyter", "/usr/share/jupyter")
	var out []string
	seen := map[string]bool{}
	for _, d := range dirs {
		d = filepath.Clean(d)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
