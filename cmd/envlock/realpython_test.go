package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envlock/envlock/internal/cpython"
	"github.com/envlock/envlock/internal/elftest"
	"github.com/envlock/envlock/internal/realwheels"
	"github.com/envlock/envlock/internal/wheelpkg"
)

// issue16Installer says whether the installer part of issue 16 (archive
// mtimes kept, wheels byte-compiled) has landed, and issue16WheelCache
// whether wheels are unpacked once into the cache and hard-linked: the
// lines of realpython.txtar that need them run under [envlock-fixed-16]
// and [envlock-fixed-16-cache]. Flip each when its lines pass.
const (
	issue16Installer  = true
	issue16WheelCache = true
)

// withRealpython adds the commands of the real-Python scenarios to cmds.
func withRealpython(cmds map[string]func(ts *testscript.TestScript, neg bool, args []string)) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds["mkcpython"] = mkcpythonCmd
	cmds["mkrealwheels"] = mkrealwheelsCmd
	cmds["diskshare"] = diskshareCmd
	cmds["mkfloorwheel"] = mkfloorwheelCmd
	return cmds
}

// realpythonCondition answers [envlock-fixed-16] (mtimes, bytecode) and
// [envlock-fixed-16-cache] (wheels in the cache): whether that installer
// work of issue 16 has landed.
// The real Python's presence is the peer "realpython" (tools_test.go).
func realpythonCondition(cond string) (bool, error) {
	switch cond {
	case "envlock-fixed-16":
		return issue16Installer, nil
	case "envlock-fixed-16-cache":
		return issue16WheelCache, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// haveRealPython says whether a CPython to package and the real wheel
// fixture are both there.
func haveRealPython() bool {
	_, perr := cpython.Find()
	_, werr := realwheels.Find()
	return perr == nil && werr == nil
}

// mkcpythonCmd implements "mkcpython DIR": it packages the machine's
// CPython (internal/cpython) as a conda channel in DIR and sets $PYVER
// (3.11.7), $PYSHORT (3.11) and $PYGLIBC (the glibc its ELF files need).
func mkcpythonCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkcpython DIR")
	}
	s, err := cpython.Find()
	ts.Check(err)
	p, err := s.Build(ts.MkAbs(args[0]), cpython.CacheDir())
	ts.Check(err)
	ts.Setenv("PYVER", s.Version)
	ts.Setenv("PYSHORT", s.Short)
	ts.Setenv("PYGLIBC", p.GlibcNeed)
	ts.Logf("%s: %d files, needs glibc %s", p.Filename, p.Files, p.GlibcNeed)
}

// mkrealwheelsCmd implements "mkrealwheels DIR": the real wheel fixture
// as an index in DIR (DIR/simple/NAME/, DIR/files/) for "serve DIR".
func mkrealwheelsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkrealwheels DIR")
	}
	d, err := realwheels.Find()
	ts.Check(err)
	ws, err := filepath.Glob(filepath.Join(d, "*.whl"))
	ts.Check(err)
	ts.Check(wheelpkg.WriteFileIndex(ts.MkAbs(args[0]), ws))
}

// diskshareCmd implements "diskshare A B PCT": B must add less than PCT
// percent of A's bytes on disk when both are counted together, a file
// hard-linked between them counted once (what "du -s A B" reports).
func diskshareCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: diskshare A B PCT")
	}
	pct, err := strconv.ParseFloat(args[2], 64)
	ts.Check(err)
	seen := map[[2]uint64]bool{}
	usage := func(dir string) int64 {
		var n int64
		ts.Check(filepath.WalkDir(ts.MkAbs(dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			st := fi.Sys().(*syscall.Stat_t)
			key := [2]uint64{uint64(st.Dev), st.Ino}
			if !seen[key] {
				seen[key] = true
				n += st.Blocks * 512
			}
			return nil
		}))
		return n
	}
	a := usage(args[0])
	b := usage(args[1])
	share := 100 * float64(b) / float64(a)
	ts.Logf("%s: %d bytes on disk; %s adds %d (%.1f%%)", args[0], a, args[1], b, share)
	if (share < pct) == neg {
		ts.Fatalf("%s adds %.1f%% of %s's %d bytes on disk; want %s %g%%", args[1], share, args[0], a, map[bool]string{false: "<", true: ">="}[neg], pct)
	}
}

// mkfloorwheelCmd implements "mkfloorwheel DIR": an index in DIR holding
// one wheel, floorwheel 1.0 (py3-none-any, as debugpy's is), whose
// floorwheel/_native.so needs GLIBC_2.30 (internal/elftest).
func mkfloorwheelCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkfloorwheel DIR")
	}
	so := filepath.Join(ts.MkAbs(args[0]), "_native.so")
	ts.Check(elftest.NeedingGlibc(so, "2.30"))
	lib, err := os.ReadFile(so)
	ts.Check(err)
	ts.Check(os.Remove(so))
	w := &wheelpkg.Wheel{Name: "floorwheel", Version: "1.0", Files: []wheelpkg.File{
		{Path: "floorwheel/__init__.py", Data: []byte("VERSION = '1.0'\n")},
		{Path: "floorwheel/_native.so", Data: lib},
	}}
	ts.Check(wheelpkg.WriteIndex(ts.MkAbs(args[0]), []*wheelpkg.Wheel{w}, wheelpkg.IndexOptions{}))
}
