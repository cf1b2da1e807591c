#%Module1.0
## Modulefile demo/1.0 for the conda environment at /blue/lab/envs/demo, written by envlock.
## Rewrite it with: envlock module -p /blue/lab/envs/demo --name demo --version 1.0 --format tcl

proc ModulesHelp {} {
	puts stderr "The conda environment \"demo\" at /blue/lab/envs/demo,
installed by envlock from the lock /blue/lab/projects/demo/env.lock
(sha256 abababababababababababababababababababababababababababababababab).

Loading this module puts /blue/lab/envs/demo/bin first on PATH
and sets CONDA_DEFAULT_ENV, CONDA_PREFIX, GREETING, OMP_NUM_THREADS.
Only one environment of the family \"python_env\" can be loaded at a time.
Without modules: envlock run -p /blue/lab/envs/demo -- COMMAND"
}

module-whatis "Name: demo"
module-whatis "Version: 1.0"
module-whatis "Description: conda environment demo at /blue/lab/envs/demo"
module-whatis "Lock: /blue/lab/projects/demo/env.lock (sha256 abababababababababababababababababababababababababababababababab)"

if {[info commands family] ne {}} {
	family python_env
} elseif {[module-info mode load] && [info exists ::env(CONDA_PREFIX)] && $::env(CONDA_PREFIX) ne "/blue/lab/envs/demo"} {
	error "another conda environment is active (CONDA_PREFIX=$::env(CONDA_PREFIX)); unload its module or run 'conda deactivate' first"
}

prepend-path PATH /blue/lab/envs/demo/bin
setenv CONDA_DEFAULT_ENV /blue/lab/envs/demo
setenv CONDA_PREFIX /blue/lab/envs/demo
setenv GREETING "hi there"
setenv OMP_NUM_THREADS 1
