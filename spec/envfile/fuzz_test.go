package envfile

import "testing"

// The parsers read files from outside: they must never panic, and what
// they accept must be consistent.

func FuzzParseExplicit(f *testing.F) {
	f.Add("# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-h7f98852_4.tar.bz2#a1fd65c7ccbf10880423d82bca54eb54\n")
	f.Add("@EXPLICIT\nfile:///c/noarch/a-b-1-0.conda#sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n")
	f.Add("@EXPLICIT\nhttps://h/c/linux-64/x-1.conda#zz\n")
	f.Fuzz(func(t *testing.T, s string) {
		ex, err := ParseExplicit("f.txt", []byte(s))
		if err != nil {
			return
		}
		for _, p := range ex.Packages {
			if p.Name == "" || p.Version == "" || p.Build == "" || p.Subdir == "" || p.Channel == "" {
				t.Errorf("incomplete package %+v from %q", p, s)
			}
		}
	})
}

func FuzzParseEnvironment(f *testing.F) {
	f.Add("name: x\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip:\n      - numpy\nvariables:\n  A: 1\n")
	f.Add("dependencies:\n  - sel(linux): a\n")
	f.Add("name: [\n")
	f.Fuzz(func(t *testing.T, s string) {
		ParseEnvironment("e.yml", []byte(s))
	})
}

func FuzzParsePipLine(f *testing.F) {
	for _, s := range []string{"numpy", "jax[cuda]>=1", "-r r.txt", "-e git+https://h/r.git#egg=r", "https://h/p-1.0-py3-none-any.whl", "x @ file:///a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParsePipLine(s)
		if err == nil && l.Option == "" && l.Name == "" && l.Rest != "" {
			t.Errorf("requirement without a name from %q: %+v", s, l)
		}
	})
}
