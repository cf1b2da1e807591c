// Package wheeltag holds wheel file names and compatibility tags: parsing
// "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl" (PEP 427,
// with compressed tag sets such as "py2.py3-none-any", PEP 425) and
// deciding which wheels a target can install, best first.
//
// A Target is a conda platform, the Python version locked for it and the
// system floors of the manifest, never the machine running envlock: a
// linux target with glibc 2.17 accepts manylinux_2_17 and older
// (manylinux2014, manylinux2010 and manylinux1 are the PEP 600 aliases
// of 2_17, 2_12 and 2_5) and refuses manylinux_2_28; "linux_x86_64"
// wheels are never accepted, since they promise nothing about the system.
// The order of Target.Tags follows packaging.tags: the exact CPython ABI
// before abi3 before pure Python, newer platform tags first.
package wheeltag
