package pypi

import (
	"slices"
	"strings"

	"github.com/envlock/envlock/spec/pep508"
	"github.com/envlock/envlock/spec/repodata"
)

// Renames maps conda package names to the PyPI projects they provide
// where the two differ after PEP 503 normalization (conda-forge's names).
var Renames = map[string]string{
	"pytorch":           "torch",
	"pytorch-cpu":       "torch",
	"pytorch-gpu":       "torch",
	"matplotlib-base":   "matplotlib",
	"py-opencv":         "opencv-python",
	"msgpack-python":    "msgpack",
	"pytables":          "tables",
	"py-xgboost":        "xgboost",
	"tensorflow-base":   "tensorflow",
	"jax-jumpy":         "jumpy",
	"python-kaleido":    "kaleido",
	"python-graphviz":   "graphviz",
	"pyqt":              "pyqt5",
	"typing_extensions": "typing-extensions",
}

// A Provided is a conda package standing in for a PyPI project.
type Provided struct {
	Conda   string // the conda package's name
	Version string // its version
}

// Provides maps the PyPI projects (normalized names) that a conda
// solution provides to the conda packages providing them.
func Provides(recs []*repodata.Record) map[string]Provided {
	out := map[string]Provided{}
	for _, r := range recs {
		if r.Name == "python" || !isPython(r) {
			continue
		}
		name := pep508.Normalize(r.Name)
		if n, ok := Renames[r.Name]; ok {
			name = n
		}
		out[name] = Provided{Conda: r.Name, Version: r.Version}
	}
	return out
}

func isPython(r *repodata.Record) bool {
	if r.Noarch == "python" {
		return true
	}
	return slices.ContainsFunc(r.Depends, func(d string) bool {
		f := strings.Fields(d)
		return len(f) > 0 && (f[0] == "python" || f[0] == "python_abi")
	})
}
