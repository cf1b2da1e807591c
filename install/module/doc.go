// Package module writes environment modulefiles for environments envlock
// installed, so that "module load NAME" puts one in effect: Lua for Lmod,
// Tcl for Environment Modules (which Lmod reads too).
//
// Loading a modulefile does what activation does (see install/activate):
// the environment's bin/ first on PATH, CONDA_PREFIX and CONDA_DEFAULT_ENV,
// the manifest's variables recorded in conda-meta/envlock.json. Unloading
// undoes it; both tools reverse prepend_path and setenv themselves. The
// environment's etc/conda/activate.d scripts are not run: modulefiles
// cannot source shell scripts portably, and For says so in its notes.
//
// Every modulefile declares the family "python_env", so that Lmod and
// Environment Modules 5.1+ never have two environments loaded together
// (Lmod swaps them, Environment Modules refuses the second). A family name
// must be an identifier: Lmod exports LMOD_FAMILY_<NAME> and Environment
// Modules rejects "python-env". On Environment Modules before 5.1, which
// has no families, the Tcl file refuses to load while another conda
// environment is active. whatis and help name the environment's lock and
// the lock's sha256.
//
// The tests load the files with the real Lmod and the real Environment
// Modules (TestLmod, TestEnvironmentModules).
package module
