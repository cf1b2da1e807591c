// Package install turns cached artifacts into a working prefix: extraction
// of .conda, .tar.bz2 and wheels, linking, prefix replacement, noarch
// python, entry points, conda-meta, transactions, kernels and modulefiles.
package install
