package main

import (
	"os"
	"os/exec"
	"sync"
)

// Paths of the Debian tools the kernel and module scenarios use. The
// kernel runs on Debian's Python, which python3-ipykernel serves, not on
// whatever python3 comes first on PATH.
const (
	debianPython  = "/usr/bin/python3"
	debianJupyter = "/usr/bin/jupyter"
	lmodInit      = "/usr/share/lmod/lmod/init/bash"
)

// modulecmdTcl finds Environment Modules' modulecmd.tcl ("" when absent):
// $ENVLOCK_MODULECMD_TCL, else Debian's and a source install's places.
// Debian's lmod and environment-modules conflict; .ci/run installs lmod
// and unpacks environment-modules beside it.
func modulecmdTcl() string {
	for _, c := range []string{os.Getenv("ENVLOCK_MODULECMD_TCL"), "/usr/share/modules/libexec/modulecmd.tcl", "/usr/lib/x86_64-linux-gnu/modulecmd.tcl", "/usr/lib/aarch64-linux-gnu/modulecmd.tcl", "/usr/lib/modulecmd.tcl"} {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err == nil {
			if _, err := exec.LookPath("tclsh"); err == nil {
				return c
			}
		}
	}
	return ""
}

var hasJupyter = sync.OnceValue(func() bool {
	if _, err := os.Stat(debianJupyter); err != nil {
		return false
	}
	return exec.Command(debianPython, "-c", "import ipykernel, jupyter_client").Run() == nil
})

// toolCondition answers the scripts' conditions for outside tools:
// [jupyter] Debian's jupyter with python3-ipykernel, [lmod] Lmod's bash
// setup, [modulecmd] Environment Modules' modulecmd.tcl and tclsh.
func toolCondition(cond string) (bool, error) {
	switch cond {
	case "jupyter":
		return hasJupyter(), nil
	case "lmod":
		_, err := os.Stat(lmodInit)
		return err == nil, nil
	case "registry", "oras", "cosign", "conda-oci-mirror":
		return ociCondition(cond)
	case "modulecmd":
		return modulecmdTcl() != "", nil
	}
	return realpythonCondition(cond)
}
