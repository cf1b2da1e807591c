package solve

import (
	"slices"
	"strings"
	"testing"
)

// TestLegacyFeatures pins conda's legacy "features" preference with the
// answers conda's own solver tests expect (conda/testing/solver_helpers.py)
// on the same old defaults index: with a package installed that tracks
// feature mkl, the builds that have feature mkl are preferred; without
// one, the featureless builds are.
func TestLegacyFeatures(t *testing.T) {
	idx := defaultsIndex(t, "index.json")
	for _, tc := range []struct {
		name  string
		specs []string
		want  []string // name-version-build that must be in the answer
		not   []string // nor these
		n     int      // records, when conda's test pins the count
	}{
		// test_iopro_mkl: nothing tracks mkl, so numpy is featureless.
		{"iopro_mkl", []string{"iopro 1.4*", "python 2.7*", "numpy 1.7*"}, []string{
			"iopro-1.4.3-np17py27_p0", "numpy-1.7.1-py27_0", "openssl-1.0.1c-0", "python-2.7.5-0", "readline-6.2-0",
			"sqlite-3.7.13-0", "system-5.8-1", "tk-8.5.13-0", "unixodbc-2.3.1-0", "zlib-1.2.7-0",
		}, nil, 0},
		// The case: accelerate tracks mkl, so numpy 1.6 is a _p build.
		{"accelerate", []string{"numpy 1.6*", "python 2.7.3*", "accelerate"}, []string{"numpy-1.6.2-py27_p"}, nil, 0},
		// test_anaconda_nomkl.
		{"anaconda_nomkl", []string{"anaconda 1.5.0", "python 2.7*", "numpy 1.7*"}, []string{"scipy-0.12.0-np17py27_0"}, nil, 107},
		// mkl 11 tracks mkl: numpy and scipy take their mkl builds.
		{"mkl", []string{"mkl 11*", "python 2.7*", "numpy 1.7*", "scipy"}, []string{"numpy-1.7.1-py27_p", "scipy-0.12.0-np17py27_p"}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sol := solve(t, &Problem{Index: idx, Specs: specs(t, tc.specs...), Channels: []string{"defaults"}, Virtual: linuxVirtual("2.17")})
			var got []string
			for _, r := range sol.Records {
				got = append(got, r.Name+"-"+r.Version+"-"+r.Build)
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
					t.Errorf("%v: no %s* in %s", tc.specs, w, strings.Join(got, " "))
				}
			}
			if tc.n != 0 && len(got) != tc.n {
				t.Errorf("%v: %d records, conda's answer has %d", tc.specs, len(got), tc.n)
			}
			t.Logf("%v: %s", tc.specs, strings.Join(got, " "))
		})
	}
}
