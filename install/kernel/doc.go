// Package kernel writes, lists and removes Jupyter kernelspecs for
// environments envlock installed, so that JupyterLab, JupyterHub and Open
// OnDemand offer an environment as a kernel without activating it.
//
// A kernelspec is a directory named after the kernel holding kernel.json
// (jupyter_client's format: argv, display_name, language, env, metadata)
// and optional logo-* files. The argv runs the environment's own
// interpreter: bin/python -m ipykernel_launcher for ipykernel, bin/R with
// IRkernel::main() for r-irkernel. The env block carries what activation
// would set (the manifest's variables, the kernel's own, CONDA_PREFIX, and
// PATH with the environment's bin/ first; "${PATH}" there is expanded by
// jupyter_client 7 and later). metadata.envlock names the environment and
// its lock, which is how List tells envlock's kernels from others and
// finds the ones whose environment is gone.
//
// Kernels go where "jupyter kernelspec install" puts them: the user's
// Jupyter data directory ($JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter,
// else ~/.local/share/jupyter; see DataDir) or PREFIX/share/jupyter.
// The package does not run Jupyter; its tests check the result with the
// real jupyter_client (TestJupyter*).
package kernel
