package ident

import (
	"errors"
	"strings"
	"testing"
)

func TestChecks(t *testing.T) {
	long := strings.Repeat("a", 201)
	tests := []struct {
		check func(string) error
		kind  string
		good  []string
		bad   []string
	}{
		{Name, "package name",
			[]string{"numpy", "_libgcc_mutex", "python-dateutil", "ca-certificates", "r-base", "zope.interface", "Mako", "7za"},
			[]string{"", ".", "..", "../x", "a/b", "-x", ".hidden", "a b", "a\x00b", `a\b`, "a+b", "é", long}},
		{Version, "version",
			[]string{"1.26.4", "2024.2.2", "1!2.0", "1.0+local", "3.9.0rc1", "1.0_dev", "0.1.0.post1"},
			[]string{"", "1.0-1", "1/2", "..", "1 0", "1*", ">=1", long}},
		{Build, "build string",
			[]string{"0", "py39h6a678d5_0", "h7f98852_4", "cuda112py39hfc9bbc4_0", "py_0", "0_cpu+mkl"},
			[]string{"", "0/../../x", "a-b", "../x", "/abs", "a b", "a\nb", long}},
		{Subdir, "subdir",
			[]string{"noarch", "linux-64", "linux-aarch64", "osx-arm64", "win-64", "zos-z", "emscripten-wasm32", "linux-ppc64le"},
			[]string{"", "linux", "Linux-64", "linux-", "-64", "linux-64/..", "../noarch", "linux-64-x", "noarch/"}},
		{Channel, "channel",
			[]string{"conda-forge", "conda-forge/label/dev", "https://conda.anaconda.org/conda-forge", "file:///srv/ch", "./local-channel"},
			[]string{"", "a b", "a\nb", "a\tb", `c:\x`, "a\x00", "a\u2028b"}},
		{SHA256, "sha256",
			[]string{strings.Repeat("0a", 32)},
			[]string{"", "abc", strings.Repeat("0A", 32), strings.Repeat("g", 64), strings.Repeat("a", 65)}},
		{MD5, "md5",
			[]string{strings.Repeat("f", 32)},
			[]string{"", strings.Repeat("f", 31), strings.Repeat("F", 32), strings.Repeat("z", 32)}},
		{SitePackagesPath, "python_site_packages_path",
			[]string{"lib/python3.13t/site-packages", "Lib/site-packages", "site"},
			[]string{"", "/usr/lib", "../x", "lib/../../x", "lib/./x", "lib//x", "lib/", `lib\x`, "c:/x", "lib/\x00", "lib/python3.13/.."}},
		{WheelName, "wheel name",
			[]string{"requests", "torch_geometric", "zope.interface", "A", "Flask-SQLAlchemy"},
			[]string{"", "-x", "x-", "../x", "a/b", "a b", ".x", long}},
		{WheelVersion, "wheel version",
			[]string{"1.0", "2.5.3", "1!2.0.post1.dev3", "2.0.0+cu118", "1.0rc1"},
			[]string{"", "x", "1.0/../../x", "1.0 2", "../1"}},
	}
	for _, tt := range tests {
		for _, s := range tt.good {
			if err := tt.check(s); err != nil {
				t.Errorf("%s %q: %v, want ok", tt.kind, s, err)
			}
		}
		for _, s := range tt.bad {
			err := tt.check(s)
			var ie *Error
			if !errors.As(err, &ie) || ie.Kind != tt.kind || ie.Value != s {
				t.Errorf("%s %q: error %v, want an *Error of that kind", tt.kind, s, err)
			}
		}
	}
}

func TestErrorMessage(t *testing.T) {
	got := Build("0/../../x").Error()
	want := `"0/../../x" is not a valid build string (letters, digits, "_", ".", "+" and "!", not starting with ".")`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestFileName(t *testing.T) {
	tests := []struct {
		name, version, build, fn string
		ext                      string // "" when an error is expected
	}{
		{"numpy", "1.26.4", "py39h_0", "numpy-1.26.4-py39h_0.conda", ExtConda},
		{"numpy", "1.26.4", "py39h_0", "numpy-1.26.4-py39h_0.tar.bz2", ExtTarBz2},
		{"python-dateutil", "2.9.0", "pyhd8ed1ab_0", "python-dateutil-2.9.0-pyhd8ed1ab_0.conda", ExtConda},
		{"numpy", "1.26.4", "py39h_0", "numpy-1.26.4-py39h_0.zip", ""},
		{"numpy", "1.26.4", "py39h_0", "numpy-1.26.4-py39h_1.conda", ""},
		{"numpy", "1.26.4", "py39h_0", "numpy-1.26.5-py39h_0.conda", ""},
		{"numpy", "1.26.4", "py39h_0", "scipy-1.26.4-py39h_0.conda", ""},
		{"numpy", "1.26.4", "py39h_0", "../numpy-1.26.4-py39h_0.conda", ""},
		{"numpy", "1.26.4", "py39h_0", "numpy-1.26.4-py39h_0.conda/x.conda", ""},
		{"numpy", "1.26.4", "py39h_0", ".conda", ""},
		{"a", "1", "0", "a-1-0.conda", ExtConda},
		{"a", "1", "0", "a-1-0x.conda", ""},
		{"a", "1", "0", "a-1_0.conda", ""},
		{"a", "1", "0", "a_1-0.conda", ""},
		{"a", "1", strings.Repeat("b", 250), "a-1-" + strings.Repeat("b", 250) + ".conda", ""},
	}
	for _, tt := range tests {
		ext, err := FileName(tt.name, tt.version, tt.build, tt.fn)
		if tt.ext == "" {
			var ie *Error
			if !errors.As(err, &ie) || ie.Kind != "file name" {
				t.Errorf("FileName(%s, %s, %s, %s) = %q, %v; want a file name error", tt.name, tt.version, tt.build, tt.fn, ext, err)
			}
			continue
		}
		if err != nil || ext != tt.ext {
			t.Errorf("FileName(%s, %s, %s, %s) = %q, %v; want %q", tt.name, tt.version, tt.build, tt.fn, ext, err, tt.ext)
		}
	}
}

func TestWheelFileName(t *testing.T) {
	tests := []struct {
		name, version, fn string
		ok                bool
	}{
		{"requests", "2.31.0", "requests-2.31.0-py3-none-any.whl", true},
		{"torch-geometric", "2.5.3", "torch_geometric-2.5.3-py3-none-any.whl", true},
		{"Flask", "3.0.0", "flask-3.0.0-py3-none-any.whl", true},
		{"torch", "2.0.0+cu118", "torch-2.0.0+cu118-cp311-cp311-linux_x86_64.whl", true},
		{"foo", "1.0", "foo-1.0.0-1-py3-none-any.whl", true}, // 1.0 == 1.0.0 (PEP 440)
		{"requests", "2.31.0", "requests-2.31.0.tar.gz", false},
		{"requests", "2.31.0", "urllib3-2.31.0-py3-none-any.whl", false},
		{"requests", "2.31.0", "requests-2.32.0-py3-none-any.whl", false},
		{"requests", "2.31.0", "../requests-2.31.0-py3-none-any.whl", false},
		{"requests", "2.31.0", "requests-2.31.0-py3-none-any/x.whl", false},
	}
	for _, tt := range tests {
		err := WheelFileName(tt.name, tt.version, tt.fn)
		if (err == nil) != tt.ok {
			t.Errorf("WheelFileName(%s, %s, %s) = %v, want ok=%v", tt.name, tt.version, tt.fn, err, tt.ok)
		}
	}
}

// FuzzIdentities checks that whatever a check accepts is safe to use as
// one path element (or, for site-packages paths, a path inside a
// directory), and that no input panics.
func FuzzIdentities(f *testing.F) {
	for _, s := range []string{"numpy", "1.26.4", "py39_0", "0/../../x", "lib/python3.13t/site-packages", "..", "a-1-0.conda", "linux-64", "x\x00y"} {
		f.Add(s, s, s, s)
	}
	f.Fuzz(func(t *testing.T, name, version, build, fn string) {
		for _, s := range []string{name, version, build} {
			for _, check := range []func(string) error{Name, Version, Build, Subdir, WheelName} {
				if check(s) == nil && !safeElem(s) {
					t.Fatalf("accepted %q, which is not a safe path element", s)
				}
			}
			_ = Channel(s)
			_ = SHA256(s)
			_ = MD5(s)
			_ = WheelVersion(s)
			if SitePackagesPath(s) == nil {
				for e := range strings.SplitSeq(s, "/") {
					if !safeElem(e) {
						t.Fatalf("site-packages path %q has element %q", s, e)
					}
				}
			}
		}
		if ext, err := FileName(name, version, build, fn); err == nil {
			if !safeElem(fn) || fn != name+"-"+version+"-"+build+ext {
				t.Fatalf("FileName accepted %q for %s %s %s", fn, name, version, build)
			}
		}
		if WheelFileName(name, version, fn) == nil && !safeElem(fn) {
			t.Fatalf("WheelFileName accepted %q", fn)
		}
	})
}

func safeElem(s string) bool {
	return s != "" && s != "." && s != ".." && len(s) <= MaxFileName && !strings.ContainsAny(s, "/\\\x00")
}
