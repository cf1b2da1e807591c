package matchspec

import (
	"strings"
	"testing"
)

// conda's tests/models/test_match_spec.py, canonical string forms:
// str(MatchSpec(in)) == want.
var condaCanonical = []struct{ in, want string }{
	{"numpy", "numpy"},
	{"numpy=1.7", "numpy=1.7"},
	{"numpy 1.7*", "numpy=1.7"},
	{"numpy 1.7.*", "numpy=1.7"},
	{"numpy[version='1.7*']", "numpy=1.7"},
	{"numpy[version='1.7.*']", "numpy=1.7"},
	{"numpy[version=1.7.*]", "numpy=1.7"},
	{"numpy==1.7", "numpy==1.7"},
	{"numpy[version='1.7']", "numpy==1.7"},
	{"numpy[version=1.7]", "numpy==1.7"},
	{"numpy 1.7", "numpy==1.7"},
	{"numpy[version='1.7|1.8']", "numpy[version='1.7|1.8']"},
	{`numpy[version="1.7,1.8"]`, "numpy[version='1.7,1.8']"},
	{"numpy >1.7", "numpy[version='>1.7']"},
	{"numpy>=1.7", "numpy[version='>=1.7']"},
	{"numpy=1.7=py3*_2", "numpy==1.7[build=py3*_2]"},
	{"numpy=1.7.*=py3*_2", "numpy=1.7[build=py3*_2]"},
	{"https://repo.anaconda.com/pkgs/free::numpy", "pkgs/free::numpy"},
	{"numpy[channel=https://repo.anaconda.com/pkgs/free]", "pkgs/free::numpy"},
	{"defaults::numpy", "defaults::numpy"},
	{"numpy[channel=defaults]", "defaults::numpy"},
	{"conda-forge::numpy", "conda-forge::numpy"},
	{"numpy[channel=conda-forge]", "conda-forge::numpy"},
	{"numpy[channel=defaults,subdir=osx-64]", "defaults/osx-64::numpy"},
	{"numpy[channel=https://repo.anaconda.com/pkgs/free/osx-64, subdir=linux-64]", "pkgs/free/linux-64::numpy"},
	{"https://repo.anaconda.com/pkgs/free/win-32::numpy", "pkgs/free/win-32::numpy"},
	{"numpy[channel=https://repo.anaconda.com/pkgs/free/osx-64]", "pkgs/free/osx-64::numpy"},
	{"defaults/win-32::numpy", "defaults/win-32::numpy"},
	{"conda-forge/linux-64::numpy", "conda-forge/linux-64::numpy"},
	{"numpy[channel=conda-forge,subdir=noarch]", "conda-forge/noarch::numpy"},
	{"numpy[subdir=win-32]", "numpy[subdir=win-32]"},
	{"*/win-32::numpy", "numpy[subdir=win-32]"},
	{`*/win-32::numpy[subdir="osx-64"]`, "numpy[subdir=osx-64]"},
	{"https://repo.anaconda.com/pkgs/free/linux-32::numpy", "pkgs/free/linux-32::numpy"},
	{"numpy[channel=https://repo.anaconda.com/pkgs/free/linux-32]", "pkgs/free/linux-32::numpy"},
	{"numpy=1.10=py38_0", "numpy==1.10=py38_0"},
	{"numpy==1.10=py38_0", "numpy==1.10=py38_0"},
	{"numpy[version=1.10 build=py38_0]", "numpy==1.10=py38_0"},
	{"numpy!=1.10", "numpy!=1.10"},
	{"numpy !=1.10", "numpy!=1.10"},
	{"numpy!=1.10 py38_0", "numpy[version='!=1.10',build=py38_0]"},
	{"numpy !=1.10 py38_0", "numpy[version='!=1.10',build=py38_0]"},
	{"numpy!=1.10=py38_0", "numpy[version='!=1.10',build=py38_0]"},
	{"numpy !=1.10=py38_0", "numpy[version='!=1.10',build=py38_0]"},
	{"numpy >1.7,!=1.10 py38_0", "numpy[version='>1.7,!=1.10',build=py38_0]"},
	{"numpy!=1.10.*", "numpy!=1.10.*"},
	{"numpy!=1.10,!=1.11", "numpy[version='!=1.10,!=1.11']"},
	{"numpy=1.10.*,!=1.10.2", "numpy[version='=1.10.*,!=1.10.2']"},
	{"numpy ~=1.10.1", "numpy~=1.10.1"},
	{"numpy~=1.10.1", "numpy~=1.10.1"},
	{"numpy ~=1.10.1 py38_0", "numpy[version='~=1.10.1',build=py38_0]"},
	{"openssl=1.1.1_", "openssl=1.1.1_"},
	{"openssl>=1.1.1_,!=1.1.1c", "openssl[version='>=1.1.1_,!=1.1.1c']"},
	// test_version_wildcard_serialization
	{"name[version=*,build=*py27*]", "name[build=*py27*]"},
	{"name[version=*]", "name"},
	{"conda-forge::name[version=*]", "conda-forge::name"},
	{"name[version=1.2.*,build=*py27*]", "name=1.2[build=*py27*]"},
	{"name[version=1.*]", "name=1"},
	{"name[version=*,build_number=3]", "name[build_number=3]"},
	// test_legacy_features_canonical_string_forms
	{"mkl@", "*[track_features=mkl]"},
	// test_tarball_match_specs
	{"https://conda.anaconda.org/conda-canary/linux-64/conda-4.3.21.post699+1dab973-py36h4a561cd_0.tar.bz2", "conda-canary/linux-64::conda==4.3.21.post699+1dab973=py36h4a561cd_0"},
	{"conda-canary/linux-64::conda==4.3.21.post699+1dab973=py36h4a561cd_0", "conda-canary/linux-64::conda==4.3.21.post699+1dab973=py36h4a561cd_0"},
	{"https://conda.anaconda.org/conda-canary/conda-4.3.21.post699+1dab973-py36h4a561cd_0.tar.bz2", "*[url=https://conda.anaconda.org/conda-canary/conda-4.3.21.post699+1dab973-py36h4a561cd_0.tar.bz2]"},
	{"/some/file/on/disk/package-1.2.3-2.tar.bz2", "*[url=file:///some/file/on/disk/package-1.2.3-2.tar.bz2]"},
	// test_channel_matching
	{"pkgs/main::*", "pkgs/main::*"},
	{"defaults::*", "defaults::*"},
	// test_simple / test_pip_style
	{"python", "python"},
	{"python=2.6", "python=2.6"},
	{"python=2.6*", "python=2.6"},
	{"ipython=0.13.2", "ipython=0.13.2"},
	{"ipython=0.13.0", "ipython=0.13.0"},
	{"ipython==0.13.0", "ipython==0.13.0"},
	{"foo=1.3.0=3", "foo==1.3.0=3"},
	{"foo>=1.3", "foo[version='>=1.3']"},
	{"zope.int>=1.3,<3.0", "zope.int[version='>=1.3,<3.0']"},
	{"numpy >=1.9", "numpy[version='>=1.9']"},
	// test_comment and others
	{"foo # comment", "foo"},
	{"foo ## comment", "foo"},
	{"FOO-Bar >=1.0", "foo-bar[version='>=1.0']"},
	{"foo >=1.0 , < 2.0", "foo[version='>=1.0,<2.0']"},
	{"numpy=", "numpy"},
	{"conda-forge::foo[build=3](target=blarg,optional)", "conda-forge::foo[build=3]"},
	{"* 2.7.4", "*==2.7.4"},
	{"* >=1.3 2", "*[version='>=1.3',build=2]"},
	{"* * openblas_0", "*[build=openblas_0]"},
	{"* *", "*"},
	// rattler's snapshots (lenient mode, which follows conda)
	{"blas *.* mkl", "blas[version='*.*',build=mkl]"},
	{"python 3.8.* *_cpython", "python=3.8[build=*_cpython]"},
	{"pytorch=*=cuda*", "pytorch[build=cuda*]"},
	{"x264 >=1!164.3095,<1!165", "x264[version='>=1!164.3095,<1!165']"},
	{"conda-forge::foo[version=1.0.*, build_number=\">6\"]", "conda-forge::foo=1.0[build_number=>6]"},
	{"rust ~=1.2.3", "rust~=1.2.3"},
	{"python=3.9", "python=3.9"},
	{"conda-forge/linux-32::python ==3.9[subdir=linux-64, build_number=\"0\"]", "conda-forge/linux-64::python==3.9[build_number=0]"},
	{"python ==3.9[channel=conda-forge/linux-64]", "conda-forge/linux-64::python==3.9"},
	{"channel/win-64::foobar[channel=conda-forge, subdir=linux-64]", "conda-forge/linux-64::foobar"},
	{"https://c.com/p/conda/linux-64::python[version=3.9]", "https://c.com/p/conda/linux-64::python==3.9"},
	{"bird_tool_utils_python =0.*,>=0.4.1", "bird_tool_utils_python[version='=0.*,>=0.4.1']"},
	{"foo=1.0=py27_0", "foo==1.0=py27_0"},
	{"foo==1.0=py27_0", "foo==1.0=py27_0"},
	{"python (>=3.8,<3.10)|(>=3.11,<3.13)", "python[version='>=3.8,<3.10|>=3.11,<3.13']"},
	{"numpy >=1.8,(<2|>=1.7.1)", "numpy[version='>=1.8,(<2|>=1.7.1)']"},
	{"numpy[version<2]", "numpy[version='<2']"},
	{"numpy 1.*.1", "numpy[version='1.*.1']"},
}

func TestCanonical(t *testing.T) {
	for _, tc := range condaCanonical {
		ms, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		got := ms.String()
		if got != tc.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.want)
			continue
		}
		again, err := Parse(got)
		if err != nil {
			t.Errorf("canonical %q does not parse: %v", got, err)
			continue
		}
		if again.String() != got {
			t.Errorf("canonical %q re-parses to %q", got, again.String())
		}
	}
}

// conda's test_parse_spec_str_* tables: the components of a parse.
func TestComponents(t *testing.T) {
	for _, tc := range []struct {
		in                                    string
		channel, subdir, name, version, build string
	}{
		{"numpy", "", "", "numpy", "", ""},
		{"defaults::numpy", "defaults", "", "numpy", "", ""},
		{"https://repo.anaconda.com/pkgs/free::numpy", "pkgs/free", "", "numpy", "", ""},
		{"defaults::numpy=1.8", "defaults", "", "numpy", "1.8.*", ""},
		{"defaults::numpy =1.8", "defaults", "", "numpy", "1.8.*", ""},
		{"defaults::numpy=1.8=py27_0", "defaults", "", "numpy", "1.8", "py27_0"},
		{"defaults::numpy 1.8 py27_0", "defaults", "", "numpy", "1.8", "py27_0"},
		{"defaults::numpy[channel=anaconda]", "anaconda", "", "numpy", "", ""},
		{"defaults::numpy 1.8 py27_0[channel=anaconda]", "anaconda", "", "numpy", "1.8", "py27_0"},
		{"defaults::numpy=1.8=py27_0 [channel=anaconda,version=1.9, build=3]", "anaconda", "", "numpy", "1.9", "3"},
		{`defaults::numpy=1.8=py27_0 [channel='anaconda',version=">=1.8,<2|1.9", build='3']`, "anaconda", "", "numpy", ">=1.8,<2|1.9", "3"},
		{"tensorflow[name=* version=* md5=253b922ecdb5a30884875948b8904983]", "", "", "tensorflow", "", ""},
		{"tensorflow[name=pytorch]", "", "", "tensorflow", "", ""},
		{`defaults::numpy=1.8=py27_0 [name="pytorch" channel='anaconda',version=">=1.8,<2|1.9", build='3']`, "anaconda", "", "numpy", ">=1.8,<2|1.9", "3"},
		{"* 2.7.4", "", "", "*", "2.7.4", ""},
		{"* >=1.3 2", "", "", "*", ">=1.3", "2"},
		{"numpy==1.7", "", "", "numpy", "1.7", ""},
		{"numpy ==1.7", "", "", "numpy", "1.7", ""},
		{"numpy=1.7", "", "", "numpy", "1.7.*", ""},
		{"numpy !=1.7", "", "", "numpy", "!=1.7", ""},
		{"numpy~=1.7.1", "", "", "numpy", "~=1.7.1", ""},
		{"numpy>1.8,<2|==1.7", "", "", "numpy", ">1.8,<2|==1.7", ""},
		{"numpy >1.8,<2|==1.7,!=1.9,~=1.7.1 py34_0", "", "", "numpy", ">1.8,<2|==1.7,!=1.9,~=1.7.1", "py34_0"},
		{"*>1.8,<2|==1.7", "", "", "*", ">1.8,<2|==1.7", ""},
		{"* 1 *", "", "", "*", "1", ""},
		{"conda-forge::foo>=1.0", "conda-forge", "", "foo", ">=1.0", ""},
		{"conda-forge/linux-32::foo>=1.0", "conda-forge", "linux-32", "foo", ">=1.0", ""},
		{"*/linux-32::foo>=1.0", "", "linux-32", "foo", ">=1.0", ""},
		{"https://repo.anaconda.com/pkgs/main/linux-64/_license-1.1-py27_1.tar.bz2", "pkgs/main", "linux-64", "_license", "1.1", "py27_1"},
		{"https://conda.anaconda.org/conda-canary/linux-64/conda-4.3.21.post699+1dab973-py36h4a561cd_0.conda", "conda-canary", "linux-64", "conda", "4.3.21.post699+1dab973", "py36h4a561cd_0"},
	} {
		ms, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		v, b := "", ""
		if ms.Version != nil {
			v = ms.Version.String()
		}
		if ms.Build != nil {
			b = ms.Build.String()
		}
		if ms.Channel != tc.channel || ms.Subdir != tc.subdir || ms.Name != tc.name || v != tc.version || b != tc.build {
			t.Errorf("Parse(%q) = channel %q subdir %q name %q version %q build %q\n  want channel %q subdir %q name %q version %q build %q",
				tc.in, ms.Channel, ms.Subdir, ms.Name, v, b, tc.channel, tc.subdir, tc.name, tc.version, tc.build)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"!xyz 1.3", "no package name found (at column 1)"},
		{"blas [optional", `unbalanced "["`},
		{"blas [test=]", `key-value mismatch in brackets: "test" has no value`},
		{`blas[invalid="1"]`, `unknown key "invalid" in brackets`},
		{"numpy ==", `operator "==" needs a version after it`},
		{"numpy >=1.0,", `missing version after ","`},
		{"numpy 1.2|", "missing version after"},
		{"numpy >=1.0[build=py*][md5=x]", "multiple bracket sections"},
		{"numpy >=a..b", "empty version component"},
		{"num$py", `invalid character '$' in package name`},
		{"numpy[build_number=x]", "invalid build number constraint"},
		{"", "empty spec"},
		{"numpy[version='1.0]", "unterminated quote"},
		{"::numpy", "empty channel"},
	} {
		_, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error %q", tc.in, tc.msg)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", tc.in, err, tc.msg)
		}
	}
}

func TestErrorColumn(t *testing.T) {
	_, err := Parse("numpy >=1.0,<2..0")
	pe, ok := err.(*ParseError)
	if !ok {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	if pe.Offset != 12 {
		t.Errorf("offset = %d, want 12 (the '<2..0' term): %v", pe.Offset, err)
	}
}
