package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/internal/wheelpkg"
	"github.com/envlock/envlock/schemas"
)

func TestMain(m *testing.M) {
	if os.Getenv(hostileMainEnv) == "1" {
		os.Exit(main1())
	}
	testscript.Main(m, map[string]func(){
		"envlock": func() { os.Exit(main1()) },
	})
}

// TestScript runs the end-to-end scenarios in testdata/script: each is a
// session a user could type, with its expected output and exit code.
func TestScript(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

// scriptParams are the scenarios' parameters for the scripts in dir:
// their set-up, conditions and commands.
func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			// $SHARED is ../shared/data; scripts that use it start with
			// "need shared", which skips without it or fails under
			// ENVLOCK_TEST_STRICT=1.
			if root, err := testdata.ModuleRoot(); err == nil {
				env.Setenv("SHARED", filepath.Join(filepath.Dir(root), "shared", "data"))
			}
			env.Values[serversKey{}] = new(servers)
			env.Values[scriptTKey{}] = env.T() // for "need" to skip
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			env.Setenv("MODULECMD_TCL", modulecmdTcl())
			env.Setenv("CONDA_OCI_MIRROR_PYTHON", os.Getenv("ENVLOCK_CONDA_OCI_MIRROR_PYTHON"))
			env.Setenv("COSIGN2_DIR", filepath.Dir(cosignV2()))
			env.Setenv("ENVLOCK_CONDA_PEER", os.Getenv("ENVLOCK_CONDA_PEER"))
			return nil
		},
		Condition: toolCondition,
		Cmds: withRealpython(map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"serve":        serveCmd,
			"mkchannel":    mkchannelCmd,
			"mkwheels":     mkwheelsCmd,
			"vetjson":      vetjsonCmd,
			"sigstore":     sigstoreCmd,
			"need":         needCmd,
			"exitcode":     exitcodeCmd,
			"shardchannel": shardchannelCmd,
			"registry":     registryCmd,
			"vetschema":    vetschemaCmd,
		}),
	}
}

// serveCmd implements "serve DIR": it serves DIR over HTTP on loopback
// until the script ends and sets $SERVER to its URL. "serve -stop" stops
// the last server (to check that nothing needs the network any more).
func serveCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: serve DIR | serve -stop")
	}
	if args[0] == "-stop" {
		ss := ts.Value(serversKey{}).(*servers)
		if n := len(ss.started); n > 0 {
			ss.started[n-1].Close()
			ss.started = ss.started[:n-1]
		}
		return
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(ts.MkAbs(args[0]))))
	ss := ts.Value(serversKey{}).(*servers)
	ss.started = append(ss.started, srv)
	ts.Setenv("SERVER", srv.URL)
	ts.Defer(srv.Close)
}

// servers are the HTTP servers one script started, kept in that script's
// own values: scripts run in parallel, and a map shared between them
// was a data race.
type servers struct{ started []*httptest.Server }

type serversKey struct{}

// scriptTKey keys the script's testscript.T in its values: custom
// commands have no other way to skip.
type scriptTKey struct{}

// exitcodeCmd implements "exitcode N PROG ARGS...": it runs PROG like
// exec (stdout and stderr are kept for the next stdout/stderr lines) and
// requires exit status N exactly, where "! exec" accepts any failure.
func exitcodeCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil || want < 0 {
		ts.Fatalf("exitcode: %q is not an exit status", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: running %s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// mkchannelCmd implements "mkchannel DIR [tar.bz2]": it writes the demo
// packages of internal/condapkg as a channel (real .conda archives, or
// .tar.bz2 with the second argument). "mkchannel DIR kernel PYTHON" writes
// condapkg.KernelDemo's instead: a python that runs PYTHON, and ipykernel.
func mkchannelCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 3 && args[1] == "kernel" && !neg {
		ts.Check(condapkg.WriteKernelChannel(ts.MkAbs(args[0]), args[2]))
		return
	}
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: mkchannel DIR [tar.bz2] | mkchannel DIR kernel PYTHON")
	}
	ext := ".conda"
	if len(args) == 2 {
		ext = "." + args[1]
	}
	err := condapkg.WriteDemoChannel(ts.MkAbs(args[0]), ext)
	ts.Check(err)
}

// vetjsonCmd implements "vetjson FILE": FILE (a verify --json report)
// must satisfy #Report in schemas/verify.cue.
func vetjsonCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: vetjson FILE")
	}
	ctx := cuecontext.New()
	schema := ctx.CompileString(schemas.Verify, cue.Filename("schemas/verify.cue"))
	v := ctx.CompileString(ts.ReadFile(args[0]), cue.Filename(args[0]))
	err := schema.LookupPath(cue.ParsePath("#Report")).Unify(v).Validate(cue.Concrete(true))
	if neg {
		if err == nil {
			ts.Fatalf("%s satisfies #Report, and should not", args[0])
		}
		return
	}
	if err != nil {
		ts.Fatalf("%s does not satisfy schemas/verify.cue #Report: %v", args[0], err)
	}
}

// mkwheelsCmd implements "mkwheels [-yanked | -pure NAME==V,…] DIR": it writes the demo
// wheels of internal/wheelpkg as a PEP 503 index (DIR/simple/NAME/index.html, the
// wheels under DIR/files) for "serve DIR". -yanked adds tinyfmt 1.3,
// yanked from the index (PEP 592) with a reason; -pure writes only the
// pure-Python wheels named instead.
func mkwheelsCmd(ts *testscript.TestScript, neg bool, args []string) {
	ws := wheelpkg.Demo()
	if len(args) == 3 && args[0] == "-pure" {
		// -pure NAME==V,NAME==V: only these pure-Python wheels, each a
		// module NAME (dashes as underscores) whose VERSION is V.
		ws = nil
		for _, nv := range strings.Split(args[1], ",") {
			name, v, ok := strings.Cut(nv, "==")
			if !ok {
				ts.Fatalf("mkwheels -pure: %q is not NAME==VERSION", nv)
			}
			mod := strings.ReplaceAll(name, "-", "_")
			ws = append(ws, &wheelpkg.Wheel{Name: name, Version: v, Files: []wheelpkg.File{{Path: mod + "/__init__.py", Data: []byte("VERSION = '" + v + "'\n")}}})
		}
		args = args[2:]
	}
	if len(args) == 2 && args[0] == "-yanked" {
		y := &wheelpkg.Wheel{Name: "tinyfmt", Version: "1.3", Requires: []string{"fastcore>=1.0; sys_platform == 'linux'"},
			Files:  []wheelpkg.File{{Path: "tinyfmt/__init__.py", Data: []byte("VERSION = '1.3'\n")}},
			Yanked: true, YankedReason: "wrong output on Python 3.11"}
		ws, args = append(ws, y), args[1:]
	}
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkwheels [-yanked | -pure NAME==V,…] DIR")
	}
	ts.Check(wheelpkg.WriteIndex(ts.MkAbs(args[0]), ws, wheelpkg.IndexOptions{}))
}
