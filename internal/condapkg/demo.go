package condapkg

import "strings"

// Demo returns a small, complete set of packages that exercises an
// installer: a fake "python" that runs the system's python3 with the
// prefix's site-packages, a library with a binary and a text prefix
// placeholder, a symlink and a tar hard link, a shell tool that reads a
// file through its placeholder, and a noarch python package with an
// entry point.
func Demo() []*Package {
	bin := append([]byte("\x7fDEMO binary\x00data dir: "), []byte(BinaryPlaceholder+"/share/greet\x00")...)
	bin = append(bin, []byte("more\x00"+BinaryPlaceholder+"\x00end\x00")...)
	return []*Package{
		{
			Name: "python", Version: "3.11.2", Build: "h0_0_cpython", Timestamp: 1700000000000,
			// Laid out as the real python is: bin/python3.11 and links
			// to it; conda writes entry points for bin/python3.11.
			Files: []File{
				{
					Path: "bin/python3.11", Exec: true, Placeholder: "text",
					Data: []byte("#!/bin/sh\n# A stand-in for python: the system's python3 with this prefix's site-packages.\nPYTHONPATH=\"" + TextPlaceholder + "/lib/python3.11/site-packages${PYTHONPATH:+:$PYTHONPATH}\" exec python3 \"$@\"\n"),
				},
				{Path: "bin/python", Symlink: "python3.11"},
				{Path: "bin/python3", Symlink: "python3.11"},
			},
		},
		{
			Name: "libgreet", Version: "1.0.0", Build: "h1234567_0", Depends: []string{"__glibc >=2.17"}, Timestamp: 1700000000000,
			Files: []File{
				{Path: "lib/libgreet.so.1.0.0", Data: bin, Placeholder: "binary"},
				{Path: "lib/libgreet.so.1", Symlink: "libgreet.so.1.0.0"},
				{Path: "lib/libgreet.so", Symlink: "libgreet.so.1"},
				{Path: "share/greet/motd.txt", Data: []byte("hello from " + TextPlaceholder + "\n"), Placeholder: "text"},
				{Path: "share/greet/LICENSE", Data: []byte("BSD-3-Clause\n")},
				{Path: "share/doc/greet/LICENSE", HardlinkTo: "share/greet/LICENSE"},
			},
		},
		{
			Name: "greet", Version: "1.0.0", Build: "h2345678_0", Depends: []string{"libgreet >=1.0,<2"}, Timestamp: 1700000000000,
			Files: []File{{
				Path: "bin/greet", Exec: true, Placeholder: "text",
				Data: []byte("#!/bin/sh\ncat \"" + TextPlaceholder + "/share/greet/motd.txt\"\n"),
			}},
		},
		{
			Name: "greet-py", Version: "2.0.0", Build: "pyh4567890_0", Noarch: "python", Timestamp: 1700000000000,
			Depends:     []string{"python >=3.8", "greet >=1.0"},
			EntryPoints: []string{"greet-py = greetpy.cli:main"},
			Files: []File{
				{Path: "site-packages/greetpy/__init__.py", Data: []byte("__version__ = \"2.0.0\"\n")},
				{Path: "site-packages/greetpy/cli.py", Data: []byte("import os, sys\n\n\ndef main():\n    print(\"greetings from greetpy in\", sys.prefix if False else os.path.dirname(os.path.dirname(sys.argv[0])))\n    return 0\n")},
				{Path: "python-scripts/greet-py-info", Exec: true, Data: []byte("#!/bin/sh\necho greet-py 2.0.0\n")},
			},
		},
	}
}

// WriteDemoChannel writes Demo's packages as a channel for linux-64 and
// osx-arm64 (noarch once), with ext as the archive format.
func WriteDemoChannel(dir, ext string) error {
	var pkgs []*Package
	for _, sub := range []string{"linux-64", "osx-arm64"} {
		for _, p := range Demo() {
			if p.Noarch != "" {
				if sub == "linux-64" {
					pkgs = append(pkgs, p)
				}
				continue
			}
			q := *p
			q.Subdir = sub
			if sub != "linux-64" {
				// Builds for another platform have another hash in their
				// build string, as conda-build makes them.
				q.Build = strings.Replace(q.Build, "h", "m", 1)
				var deps []string
				for _, d := range q.Depends {
					if !strings.HasPrefix(d, "__glibc") {
						deps = append(deps, d)
					}
				}
				q.Depends = deps
			}
			pkgs = append(pkgs, &q)
		}
	}
	return WriteChannel(dir, pkgs, func(*Package) string { return ext })
}
