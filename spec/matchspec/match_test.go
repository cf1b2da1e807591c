package matchspec

import (
	"strconv"
	"strings"
	"testing"

	"github.com/envlock/envlock/spec/repodata"
)

// dpkg builds a record the way conda's tests do from "name-version-build".
func dpkg(dist string) *repodata.Record {
	dist = strings.TrimSuffix(dist, ".tar.bz2")
	parts := rsplit(dist, "-", 2)
	bn, _ := strconv.ParseInt(parts[2][strings.LastIndexByte(parts[2], '_')+1:], 10, 64)
	return &repodata.Record{Name: parts[0], Version: parts[1], Build: parts[2], BuildNumber: bn,
		Channel: "https://repo.anaconda.com/pkgs/main", Subdir: "linux-64", Fn: dist + ".tar.bz2", MD5: "012345789"}
}

// conda's test_match_1, against numpy-1.7.1-py27_0.
func TestCondaMatch1(t *testing.T) {
	rec := dpkg("numpy-1.7.1-py27_0.tar.bz2")
	for _, tc := range []struct {
		spec string
		want bool
	}{
		{"numpy 1.7*", true},
		{"numpy 1.7.1", true},
		{"numpy 1.7", false},
		{"numpy 1.5*", false},
		{"numpy >=1.5", true},
		{"numpy >=1.5,<2", true},
		{"numpy >=1.8,<1.9", false},
		{"numpy >1.5,<2,!=1.7.1", false},
		{"numpy >1.8,<2|==1.7", false},
		{"numpy >1.8,<2|>=1.7.1", true},
		{"numpy >=1.8|1.7*", true},
		{"numpy ==1.7", false},
		{"numpy >=1.5,>1.6", true},
		{"numpy ==1.7.1", true},
		{"numpy ==1.7.1.0", true},
		{"numpy==1.7.1.0.0", true},
		{"numpy >=1,*.7.*", true},
		{"numpy *.7.*,>=1", true},
		{"numpy >=1,*.8.*", false},
		{"numpy >=2,*.7.*", false},
		{"numpy 1.6*|1.7*", true},
		{"numpy 1.6*|1.8*", false},
		{"numpy 1.6.2|1.7*", true},
		{"numpy 1.6.2|1.7.1", true},
		{"numpy 1.6.2|1.7.0", false},
		{"numpy 1.7.1 py27_0", true},
		{"numpy 1.7.1 py26_0", false},
		{"numpy >1.7.1a", true},
		{"python", false},
		{"defaults::numpy", true},
		{"pkgs/main::numpy", true},
		{"conda-forge::numpy", false},
		{"numpy[subdir=linux-64]", true},
		{"numpy[subdir=osx-64]", false},
		{"numpy[md5=012345789]", true},
		{"numpy[md5=0123]", false},
		{"numpy[build_number=0]", true},
		{"numpy[build_number='>0']", false},
		{"num*", true},
		{"*py", true},
		{"n*y 1.7.*", true},
		{"numpy[fn=numpy-1.7.1-py27_0.tar.bz2]", true},
	} {
		ms, err := Parse(tc.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if got := ms.Match(rec); got != tc.want {
			t.Errorf("%q matches numpy-1.7.1-py27_0 = %v, want %v", tc.spec, got, tc.want)
		}
	}
}

func TestCondaMatchMore(t *testing.T) {
	for _, tc := range []struct {
		spec, dist string
		want       bool
	}{
		// both version numbers conforming to PEP 440
		{"numpy >=1.0.1", "numpy-1.0.1a-0", false},
		// both non-conforming
		{"numpy >=1.0.1.vc11", "numpy-1.0.1a.vc11-0", false},
		{"numpy >=1.0.1*.vc11", "numpy-1.0.1a.vc11-0", true},
		// one conforming, other not
		{"numpy <1.0.1", "numpy-1.0.1.vc11-0", true},
		{"numpy <1.0.1", "numpy-1.0.1a.vc11-0", true},
		{"numpy >=1.0.1.vc11", "numpy-1.0.1a-0", false},
		{"numpy >=1.0.1a", "numpy-1.0.1z-0", true},
		{"numpy >=1.0.1a py27*", "numpy-1.0.1z-py27_1", true},
		{"blas * openblas_0", "blas-1.0-openblas_0", true},
		// test_openssl_match
		{"openssl>=1.0.1_", "openssl-1.0.1_-4", true},
		{"openssl>=1.0.1", "openssl-1.0.1_-4", false},
		// test_bracket_matches, numpy 1.11.0 py34_7
		{"numpy<2", "numpy-1.11.0-py34_7", true},
		{"numpy[version=<2]", "numpy-1.11.0-py34_7", true},
		{"numpy[version<2]", "numpy-1.11.0-py34_7", true},
		{"numpy>2", "numpy-1.11.0-py34_7", false},
		{"numpy[version='>2']", "numpy-1.11.0-py34_7", false},
		{"numpy[build_number='7']", "numpy-1.11.0-py34_7", true},
		{"numpy[build_number='<8']", "numpy-1.11.0-py34_7", true},
		{"numpy[build_number='>7']", "numpy-1.11.0-py34_7", false},
		{"numpy[build_number='>=7']", "numpy-1.11.0-py34_7", true},
		{"numpy ~=1.10", "numpy-1.11.0-py34_7", true},
		{"numpy~=1.10", "numpy-1.11.0-py34_7", true},
		// test_build_glob_merge's single specs
		{"my_pkg=1.17.*", "my_pkg-1.17.3-red_habc123_3", true},
		{"my_pkg=1.17.*=red_*", "my_pkg-1.17.3-red_habc123_3", true},
		{"my_pkg=1.17.*=red_*", "my_pkg-1.17.3-blue_hdef1234_3", false},
		{"my_pkg=1.17.*=blue_hdef1234_*", "my_pkg-1.17.3-blue_hdef1234_3", true},
		{"my_pkg=1.17.*=*red*", "my_pkg-1.17.3-red_habc123_3", true},
		{"my_pkg=1.17.*=*_3", "my_pkg-1.17.3-blue_hdef1234_3", true},
		{"my_pkg=1.17.*=*_habc123_3", "my_pkg-1.17.3-blue_hdef1234_3", false},
		{"my_pkg=1.17.*=red_habc123_3", "my_pkg-1.17.3-red_habc123_3", true},
	} {
		ms, err := Parse(tc.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if got := ms.Match(dpkg(tc.dist)); got != tc.want {
			t.Errorf("%q matches %s = %v, want %v", tc.spec, tc.dist, got, tc.want)
		}
	}
}

func TestFeaturesAndLicense(t *testing.T) {
	rec := dpkg("foo-1.2.3-4")
	tf := func(s string) *repodata.Record {
		r := *rec
		r.TrackFeatures = strings.Fields(s)
		return &r
	}
	a := MustParse("*[track_features=test]")
	for _, tc := range []struct {
		features string
		want     bool
	}{{"", false}, {"test", true}, {"test2", false}, {"test me", false}, {"you test", false}} {
		if got := a.Match(tf(tc.features)); got != tc.want {
			t.Errorf("track_features=test vs %q = %v, want %v", tc.features, got, tc.want)
		}
	}
	if MustParse("*[features=test]").Match(rec) {
		t.Error("features=test matched a record without features")
	}
	lic := *rec
	lic.License, lic.LicenseFamily = "LGPLv3+", "LGPL"
	for _, s := range []string{"*[license_family='LGPL']", "*[license_family='lgpl']", "*[license_family='*GP*']", "*[license_family='*gp*']", "*[license='*gpl*']", "*[license='*v3+']"} {
		if !MustParse(s).Match(&lic) {
			t.Errorf("%s does not match license LGPLv3+/LGPL", s)
		}
	}
}
