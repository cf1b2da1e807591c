-- -*- lua -*-
-- Lmod modulefile demo/1.0 for the conda environment at /blue/lab/envs/demo, written by envlock.
-- Rewrite it with: envlock module -p /blue/lab/envs/demo --name demo --version 1.0 --format lua

whatis("Name: demo")
whatis("Version: 1.0")
whatis("Description: conda environment demo at /blue/lab/envs/demo")
whatis("Lock: /blue/lab/projects/demo/env.lock (sha256 abababababababababababababababababababababababababababababababab)")
help([[
The conda environment "demo" at /blue/lab/envs/demo,
installed by envlock from the lock /blue/lab/projects/demo/env.lock
(sha256 abababababababababababababababababababababababababababababababab).

Loading this module puts /blue/lab/envs/demo/bin first on PATH
and sets CONDA_DEFAULT_ENV, CONDA_PREFIX, GREETING, OMP_NUM_THREADS.
Only one environment of the family "python_env" can be loaded at a time.
Without modules: envlock run -p /blue/lab/envs/demo -- COMMAND
]])

family("python_env")

prepend_path("PATH", "/blue/lab/envs/demo/bin")
setenv("CONDA_DEFAULT_ENV", "/blue/lab/envs/demo")
setenv("CONDA_PREFIX", "/blue/lab/envs/demo")
setenv("GREETING", "hi there")
setenv("OMP_NUM_THREADS", "1")
