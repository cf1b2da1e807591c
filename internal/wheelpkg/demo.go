package wheelpkg

// Demo returns wheels for end-to-end tests: tinyfmt (pure Python, two
// versions, a console script), fastcore 1.0 built for manylinux_2_17
// and for manylinux_2_28 (the module says which), and greet-py, which
// the demo conda channel (internal/condapkg) provides too.
func Demo() []*Wheel {
	fast := func(tag, flavor string) *Wheel {
		return &Wheel{Name: "fastcore", Version: "1.0", Tag: tag, RequiresPython: ">=3.8",
			Files: []File{{Path: "fastcore/__init__.py", Data: []byte("VERSION = '1.0'\nFLAVOR = '" + flavor + "'\n")}}}
	}
	tiny := func(v string) *Wheel {
		return &Wheel{Name: "tinyfmt", Version: v, Requires: []string{"fastcore>=1.0; sys_platform == 'linux'"},
			ConsoleScripts: []string{"tinyfmt = tinyfmt.cli:main"},
			Files: []File{
				{Path: "tinyfmt/__init__.py", Data: []byte("VERSION = '" + v + "'\n")},
				{Path: "tinyfmt/cli.py", Data: []byte("import sys\nimport fastcore\n\n\ndef main():\n    print('tinyfmt', sys.argv[1:], fastcore.FLAVOR)\n    return 0\n")},
			}}
	}
	return []*Wheel{
		tiny("1.0"), tiny("1.2"),
		fast("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", "manylinux_2_17"),
		fast("cp311-cp311-manylinux_2_28_x86_64", "manylinux_2_28"),
		{Name: "greet-py", Version: "2.0.0", Files: []File{{Path: "greetpy/__init__.py", Data: []byte("__version__ = 'from a wheel'\n")}}},
	}
}
