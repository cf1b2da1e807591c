package lockfile

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/envlock/envlock/schemas"
	"github.com/envlock/envlock/spec/ident"
)

// sampleWithWheel is sample(0) with a wheel, encoded.
func sampleWithWheel(t testing.TB) []byte {
	l := sample(0)
	l.Platform("linux-64").PyPI = []*Wheel{{
		Name: "torch-geometric", Version: "2.5.3", SHA256: strings.Repeat("c", 64),
		URL: "https://files.pythonhosted.org/packages/torch_geometric-2.5.3-py3-none-any.whl",
	}}
	l.Platform("linux-64").Package("python").PythonSitePackagesPath = "lib/python3.11/site-packages"
	data, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// set returns data with the JSON value at path (dot-separated, numbers
// index lists) replaced by v (a JSON text).
func set(t testing.TB, data []byte, path, v string) []byte {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var val any
	if err := json.Unmarshal([]byte(v), &val); err != nil {
		t.Fatalf("%s: %v", v, err)
	}
	keys := strings.Split(path, ".")
	cur := doc
	for i, k := range keys {
		last := i == len(keys)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[k] = val
			} else {
				cur = c[k]
			}
		case []any:
			n, _ := strconv.Atoi(k)
			if last {
				c[n] = val
			} else {
				cur = c[n]
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The sample's platforms are sorted: 0 is linux-64, 1 osx-arm64.
// linux-64's packages: 0 libzlib, 1 numpy, 2 python.
var checkCases = []struct {
	path, value string
	msg         string
	cue         bool // schemas/lock.cue refuses it too
}{
	{"platforms.0", `null`, `platforms[0]: null`, true},
	{"platforms.0.packages.1", `null`, `platforms[0].packages[1]: null`, true},
	{"platforms.0.pypi.0", `null`, `platforms[0].pypi[0]: null`, true},
	{"platforms.0.packages.1.build", `"0/../../x"`, `platforms[0].packages[1].build: "0/../../x" is not a valid build string`, true},
	{"platforms.0.packages.1.name", `"../numpy"`, `platforms[0].packages[1].name: "../numpy" is not a valid package name`, true},
	{"platforms.0.packages.1.version", `"1/2"`, `platforms[0].packages[1].version: "1/2" is not a valid version`, true},
	{"platforms.0.packages.1.version", `".."`, `platforms[0].packages[1].version: ".." is not a valid version`, true},
	{"platforms.0.packages.1.subdir", `"../linux-64"`, `platforms[0].packages[1].subdir: "../linux-64" is not a valid subdir`, true},
	{"platforms.0.packages.1.subdir", `"osx-64"`, `platforms[0].packages[1].subdir: osx-64 is neither the platform (linux-64) nor noarch`, false},
	{"platforms.0.packages.1.channel", `"a\nb"`, `platforms[0].packages[1].channel: "a\nb" is not a valid channel`, true},
	{"platforms.0.packages.1.url", `"https://x/linux-64/numpy-1.26.4-py311h.zip"`, `platforms[0].packages[1].url: "numpy-1.26.4-py311h.zip" is not a valid file name (a conda package ends in .conda or .tar.bz2)`, true},
	{"platforms.0.packages.1.url", `"https://x/linux-64/evil-1.0-0.conda"`, `platforms[0].packages[1].url: "evil-1.0-0.conda" is not a valid file name (want numpy-1.26.4-py311h.conda`, false},
	{"platforms.0.packages.1.url", `""`, `platforms[0].packages[1].url: "" is not a URL`, true},
	{"platforms.0.packages.1.sha256", `"zz"`, `platforms[0].packages[1].sha256: "zz" is not a valid sha256`, true},
	{"platforms.0.packages.1.sha256", `"` + strings.Repeat("a", 63) + `"`, `is not a valid sha256 (64 lower-case hex digits)`, true},
	{"platforms.0.packages.1.md5", `"` + strings.Repeat("g", 32) + `"`, `platforms[0].packages[1].md5:`, true},
	{"platforms.0.packages.1.build_number", `-1`, `platforms[0].packages[1].build_number: -1 is negative`, true},
	{"platforms.0.packages.1.size", `-5`, `platforms[0].packages[1].size: -5 is negative`, true},
	{"platforms.0.packages.1.size", `9007199254740992`, `platforms[0].packages[1].size: 9007199254740992 is larger than 9007199254740991`, true},
	{"platforms.0.packages.1.timestamp", `-1`, `platforms[0].packages[1].timestamp: -1 is negative`, true},
	{"platforms.0.packages.1.noarch", `"weird"`, `platforms[0].packages[1].noarch: "weird" is neither "generic" nor "python"`, true},
	{"platforms.0.packages.2.python_site_packages_path", `"../../x"`, `platforms[0].packages[2].python_site_packages_path: "../../x" is not a valid python_site_packages_path`, true},
	{"platforms.0.packages.2.python_site_packages_path", `"/usr/lib/python3/site-packages"`, `is not a valid python_site_packages_path (a relative path inside the prefix, not an absolute one)`, true},
	{"platforms.0.packages.2.python_site_packages_path", `"lib/../.."`, `is not a valid python_site_packages_path`, true},
	{"platforms.0.packages.1.depends.0", `null`, `platforms[0].packages[1].depends[0]: "" is not a MatchSpec`, true},
	{"platforms.0.packages.1.name", `"libzlib"`, `platforms[0].packages[1].url: "numpy-1.26.4-py311h.conda" is not a valid file name`, false},
	{"platforms.0.pypi.0.name", `"../torch"`, `platforms[0].pypi[0].name: "../torch" is not a valid wheel name`, true},
	{"platforms.0.pypi.0.version", `"2.5.3/../../x"`, `platforms[0].pypi[0].version: "2.5.3/../../x" is not a valid wheel version`, true},
	{"platforms.0.pypi.0.url", `"https://x/evil-2.5.3-py3-none-any.whl"`, `platforms[0].pypi[0].url: "evil-2.5.3-py3-none-any.whl" is not a valid wheel file name (it is a wheel of evil, not of torch-geometric)`, false},
	{"platforms.0.pypi.0.url", `"https://x/torch_geometric-2.5.3.tar.gz"`, `platforms[0].pypi[0].url: "torch_geometric-2.5.3.tar.gz" is not a valid wheel file name`, true},
	{"platforms.0.pypi.0.url", `"https://x/torch_geometric-2.5.3-py3-none-any%2F..%2F..%2Fx.whl"`, `platforms[0].pypi[0].url: "torch_geometric-2.5.3-py3-none-any/../../x.whl" is not a valid wheel file name`, false},
	{"platforms.0.packages.1.url", `"https://x/linux-64/numpy-1.26.4-py311h%2F..%2Fx.conda"`, `platforms[0].packages[1].url: "numpy-1.26.4-py311h/../x.conda" is not a valid file name`, false},
	{"platforms.0.pypi.0.sha256", `""`, `platforms[0].pypi[0].sha256: "" is not a valid sha256`, true},
	{"platforms.0.platform", `"../linux-64"`, `platforms[0].platform: "../linux-64" is not a valid subdir`, true},
	{"platforms.1.platform", `"linux-64"`, `platforms[1].platform: linux-64 appears twice`, false},
	{"platforms.0.virtual_packages.0", `null`, `platforms[0].virtual_packages[0].name: "" is not a virtual package name`, true},
	{"channels.0", `null`, `channels[0].url: "" is not a valid channel`, true},
	{"channels.0.priority", `-1`, `channels[0].priority: -1 is negative`, true},
	{"manifest.sha256", `"abc"`, `manifest.sha256: "abc" is not a valid sha256`, true},
	{"name", `"x\n@EXPLICIT"`, `name: "x\n@EXPLICIT" is not a valid environment name`, true},
	{"kernel", `{"name": "..", "display_name": "x"}`, `kernel.name: ".." is not a valid kernel name`, true},
	{"channel_priority", `"sometimes"`, `channel_priority: "sometimes" is neither "strict" nor "flexible"`, true},
	{"env", `{"A B": "x"}`, `env: "A B" is not a variable name`, true},
}

// TestCheckRefuses changes one field of a good lock at a time: Parse
// refuses each with a message naming the field, never a panic, and the
// schema in schemas/lock.cue refuses what it can express.
func TestCheckRefuses(t *testing.T) {
	good := sampleWithWheel(t)
	if _, err := Parse(good); err != nil {
		t.Fatalf("the good lock: %v", err)
	}
	ctx := cuecontext.New()
	def := ctx.CompileString(schemas.Lock, cue.Filename("schemas/lock.cue")).LookupPath(cue.ParsePath("#Lock"))
	if err := def.Unify(ctx.CompileBytes(good)).Validate(cue.Concrete(true)); err != nil {
		t.Fatalf("the good lock fails the schema: %v", err)
	}
	for _, tc := range checkCases {
		bad := set(t, good, tc.path, tc.value)
		_, err := Parse(bad)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s = %s: Parse error\n%v\nwant it to contain\n%s", tc.path, tc.value, err, tc.msg)
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s = %s: %T is not a *FieldError", tc.path, tc.value, err)
		}
		if tc.cue {
			if err := def.Unify(ctx.CompileBytes(bad)).Validate(cue.Concrete(true)); err == nil {
				t.Errorf("%s = %s: schemas/lock.cue accepts it; keep the schema and Check in step", tc.path, tc.value)
			}
		}
	}
}

// TestWriteRefuses checks that the writer refuses what the reader would.
func TestWriteRefuses(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Lock)
		msg  string
	}{
		{func(l *Lock) { l.Platform("linux-64").Packages[0].BuildNumber = -3 }, "build_number: -3 is negative"},
		{func(l *Lock) { l.Platform("linux-64").Packages[0].Size = -1 }, "size: -1 is negative"},
		{func(l *Lock) { l.Platform("linux-64").Packages[0].Size = 1 << 62 }, "size: 4611686018427387904 is larger than 9007199254740991"},
		{func(l *Lock) { l.Platform("linux-64").Packages[0].SHA256 = "not-hex" }, `sha256: "not-hex" is not a valid sha256`},
		{func(l *Lock) { l.Platform("linux-64").Packages[0].Build = "0/../../x" }, `build: "0/../../x" is not a valid build string`},
		{func(l *Lock) { l.Platforms = append(l.Platforms, nil) }, `platforms[2]: null`},
		{func(l *Lock) { l.Channels[0].Priority = -1 }, "channels[0].priority: -1 is negative"},
	} {
		l := sample(0)
		tc.edit(l)
		_, err := l.Encode()
		if err == nil || !strings.Contains(err.Error(), "refusing to write a lock outside its schema: ") || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Encode: %v, want %q", err, tc.msg)
		}
		if err := Write(t.TempDir()+"/env.lock", l); err == nil {
			t.Errorf("Write accepted a lock with %s", tc.msg)
		}
	}
	// A percent-encoded "+" in a URL is the file name's "+".
	l0 := sample(0)
	l0.Platform("linux-64").PyPI = []*Wheel{{Name: "torch", Version: "2.0.0+cu118", SHA256: strings.Repeat("c", 64),
		URL: "https://download.pytorch.org/whl/cu118/torch-2.0.0%2Bcu118-cp311-cp311-linux_x86_64.whl"}}
	if _, err := l0.Encode(); err != nil {
		t.Errorf("an escaped wheel URL: %v", err)
	}
	// Upper-case hex is the same digest: written in lower case.
	l := sample(0)
	l.Platform("linux-64").Packages[0].SHA256 = strings.Repeat("AB", 32)
	data, err := l.Encode()
	if err != nil || !strings.Contains(string(data), strings.Repeat("ab", 32)) {
		t.Errorf("upper-case sha256: %v", err)
	}
}

func TestIdentErrorsUnwrap(t *testing.T) {
	_, err := Parse(set(t, sampleWithWheel(t), "platforms.0.packages.1.build", `"0/../../x"`))
	var ie *ident.Error
	if !errors.As(err, &ie) || ie.Kind != "build string" {
		t.Errorf("%v does not unwrap to an ident.Error", err)
	}
}

// FuzzParse feeds mutated locks to Parse: it never panics, and what it
// accepts it can write back and read again.
func FuzzParse(f *testing.F) {
	good := sampleWithWheel(f)
	f.Add(good)
	for _, tc := range checkCases {
		f.Add(set(f, good, tc.path, tc.value))
	}
	f.Add([]byte(`{"version":1,"platforms":[null]}`))
	f.Add([]byte(`{"version":1,"platforms":[{"packages":[null]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err != nil {
			return
		}
		out, err := l.Encode()
		if err != nil {
			t.Fatalf("Parse accepted a lock that Encode refuses: %v", err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("Encode wrote a lock that Parse refuses: %v", err)
		}
	})
}
