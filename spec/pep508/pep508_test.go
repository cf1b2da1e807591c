package pep508

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/spec/platform"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, name, spec, url, marker string
		extras                      []string
	}{
		{in: "requests", name: "requests"},
		{in: "requests[socks]>=2.8,<3", name: "requests", spec: ">=2.8,<3", extras: []string{"socks"}},
		{in: "Foo_Bar [B, a,a] ( >= 1.0 , != 1.3.* )", name: "Foo_Bar", spec: ">=1.0,!=1.3.*", extras: []string{"a", "b"}},
		{in: "tomli; python_version < '3.11'", name: "tomli", marker: `python_version < "3.11"`},
		{in: `pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686`, name: "pip", url: "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686"},
		{in: `name @ file:///tmp/x.whl ; os_name=="posix"`, name: "name", url: "file:///tmp/x.whl", marker: `os_name == "posix"`},
		{in: `a>=1; (sys_platform == "linux" or sys_platform=='darwin') and extra == "Gpu_X"`, name: "a", spec: ">=1",
			marker: `(sys_platform == "linux" or sys_platform == "darwin") and extra == "Gpu_X"`},
		{in: `b; os.name == 'nt' and python_implementation=='CPython'`, name: "b", marker: `os_name == "nt" and platform_python_implementation == "CPython"`},
		{in: "c[]", name: "c"},
		{in: `d; "arm" in platform_machine`, name: "d", marker: `"arm" in platform_machine`},
		{in: `e; platform_machine not in "x86_64 AMD64"`, name: "e", marker: `platform_machine not in "x86_64 AMD64"`},
	}
	for _, tt := range tests {
		r, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		marker := ""
		if r.Marker != nil {
			marker = r.Marker.String()
		}
		got := []string{r.Name, r.Specifier.String(), r.URL, marker, strings.Join(r.Extras, ",")}
		want := []string{tt.name, tt.spec, tt.url, tt.marker, strings.Join(tt.extras, ",")}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, d)
		}
		// The normal form parses back to the same.
		again, err := Parse(r.String())
		if err != nil || again.String() != r.String() {
			t.Errorf("normal form %q of %q: %v, %v", r.String(), tt.in, again, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for in, msg := range map[string]string{
		"":                           "column 1: expected a project name",
		"-foo":                       "expected a project name",
		"foo[bar":                    "expected \",\" or \"]\"",
		"foo (>=1":                   "missing \")\"",
		"foo >=1.0.*":                "allowed only after == and !=",
		"foo; python_version":        "expected a comparison",
		"foo; pyton_version < '3'":   "column 6: expected a marker variable",
		"foo; python_version < '3":   "unterminated string",
		"foo; 'a' == 'b'":            "compares a variable",
		"foo @ notaurl":              "direct reference is a URL",
		"foo; os_name == 'nt' trash": "unexpected",
		"foo bar":                    "starts with an operator",
	} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", in, err, msg)
		}
	}
}

// TestMarkers evaluates markers on conda platforms for a locked Python.
func TestMarkers(t *testing.T) {
	tests := []struct {
		marker string
		plat   platform.Platform
		python string
		extras []string
		want   bool
	}{
		{`python_version >= "3.8"`, "linux-64", "3.11.7", nil, true},
		{`python_version < "3.11"`, "linux-64", "3.11.7", nil, false},
		{`python_version < "3.11"`, "linux-64", "3.10.14", nil, true},
		{`python_version == "3.1"`, "linux-64", "3.11.7", nil, false},
		{`python_version > "3.9"`, "linux-64", "3.10", nil, true},
		{`python_full_version >= "3.11.4"`, "linux-64", "3.11.7", nil, true},
		{`python_full_version >= "3.11.4"`, "linux-64", "3.11", nil, false},
		{`python_version ~= "3.8"`, "linux-64", "3.12.1", nil, true},
		{`python_version in "3.10 3.11"`, "linux-64", "3.11.0", nil, true},
		{`sys_platform == "linux"`, "linux-64", "3.11", nil, true},
		{`sys_platform == "linux"`, "osx-arm64", "3.11", nil, false},
		{`sys_platform == "darwin"`, "osx-64", "3.11", nil, true},
		{`sys_platform == "win32"`, "win-64", "3.11", nil, true},
		{`os_name == "nt"`, "win-64", "3.11", nil, true},
		{`platform_system == "Linux"`, "linux-aarch64", "3.11", nil, true},
		{`platform_machine == "x86_64"`, "linux-64", "3.11", nil, true},
		{`platform_machine == "x86_64"`, "linux-aarch64", "3.11", nil, false},
		{`platform_machine == "aarch64"`, "linux-aarch64", "3.11", nil, true},
		{`platform_machine == "arm64"`, "osx-arm64", "3.11", nil, true},
		{`platform_machine == "AMD64"`, "win-64", "3.11", nil, true},
		{`"arm" in platform_machine`, "osx-arm64", "3.11", nil, true},
		{`platform_machine not in "x86_64 AMD64"`, "linux-64", "3.11", nil, false},
		{`implementation_name == "cpython" and platform_python_implementation == "CPython"`, "linux-64", "3.11", nil, true},
		{`sys_platform == "linux" and platform_machine == "x86_64" or sys_platform == "darwin"`, "osx-arm64", "3.11", nil, true},
		{`sys_platform == "linux" and (platform_machine == "aarch64" or sys_platform == "darwin")`, "linux-64", "3.11", nil, false},
		{`extra == "gpu"`, "linux-64", "3.11", nil, false},
		{`extra == "gpu"`, "linux-64", "3.11", []string{"gpu"}, true},
		{`extra == "GPU_support"`, "linux-64", "3.11", []string{"gpu-support"}, true},
		{`extra == "test" and python_version < "3.8"`, "linux-64", "3.11", []string{"test"}, false},
		{`platform_release >= "5"`, "linux-64", "3.11", nil, false},
	}
	for _, tt := range tests {
		m, err := ParseMarker(tt.marker)
		if err != nil {
			t.Errorf("ParseMarker(%q): %v", tt.marker, err)
			continue
		}
		if got := m.EvalExtras(Environment(tt.plat, tt.python), tt.extras); got != tt.want {
			t.Errorf("%s on %s with python %s, extras %v = %v, want %v", tt.marker, tt.plat, tt.python, tt.extras, got, tt.want)
		}
	}
}

func TestMarkerExtras(t *testing.T) {
	m, err := ParseMarker(`extra == "Test" or (extra == "docs" and python_version > "3")`)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"docs", "test"}, m.Extras()); d != "" {
		t.Error(d)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"requests[socks]>=2.8,<3", "tomli; python_version < '3.11'", "a @ https://x/y.whl ; extra=='b'", `x; (a == "b"`} {
		f.Add(s)
	}
	env := Environment("linux-64", "3.11.7")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		r.Marker.EvalExtras(env, r.Extras)
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("normal form %q of %q does not parse: %v", r.String(), s, err)
		}
		if again.String() != r.String() {
			t.Fatalf("%q -> %q -> %q", s, r.String(), again.String())
		}
	})
}
