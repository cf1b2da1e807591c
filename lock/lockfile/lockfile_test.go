package lockfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/schemas"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/virtual"
)

func rec(name, ver, build string, deps ...string) *repodata.Record {
	r := &repodata.Record{Name: name, Version: ver, Build: build, Subdir: "linux-64",
		Channel: "https://conda.anaconda.org/conda-forge", Fn: name + "-" + ver + "-" + build + ".conda",
		SHA256: strings.Repeat("a", 64), Depends: deps}
	r.URL = r.Channel + "/linux-64/" + r.Fn
	r.Prepare()
	return r
}

func sample(order int) *Lock {
	recs := []*repodata.Record{
		rec("python", "3.11.9", "h_cpython", "__glibc >=2.17,<3.0.a0", "libzlib >=1.2.13"),
		rec("libzlib", "1.3.1", "h4ab18f5_1", "__glibc >=2.28"),
		rec("numpy", "1.26.4", "py311h", "python >=3.11,<3.12.0a0"),
	}
	if order == 1 {
		recs[0], recs[2] = recs[2], recs[0]
	}
	virt := virtual.For("linux-64", virtual.System{Glibc: "2.28"})
	req := []*matchspec.MatchSpec{matchspec.MustParse("python 3.11.*"), matchspec.MustParse("numpy >=1.26")}
	l := &Lock{
		Name:            "demo",
		Manifest:        Manifest{SHA256: strings.Repeat("b", 64)},
		Channels:        []Channel{{Name: "conda-forge", URL: "https://conda.anaconda.org/conda-forge"}},
		ChannelPriority: "strict",
	}
	osx := &Platform{Platform: "osx-arm64"}
	linux := NewPlatform("linux-64", virt, req, recs)
	if order == 1 {
		l.Platforms = []*Platform{linux, osx}
	} else {
		l.Platforms = []*Platform{osx, linux}
	}
	return l
}

func TestCanonical(t *testing.T) {
	a, err := sample(0).Encode()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sample(1).Encode()
	if !bytes.Equal(a, b) {
		t.Errorf("encoding depends on input order:\n%s", cmp.Diff(string(a), string(b)))
	}
	s := string(a)
	for _, want := range []string{
		"{\n  \"version\": 1,\n  \"name\": \"demo\",\n  \"manifest\": {\n",
		`"depends": [
            "python >=3.11,<3.12.0a0"
          ],`,
		`"glibc_floor": "2.28",`,
		`"requested": "numpy[version='>=1.26']"`,
		`"pypi": []`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("encoding lacks %q:\n%s", want, s)
		}
	}
	if !strings.HasSuffix(s, "}\n") || strings.Contains(s, `\u003e`) {
		t.Error("want a trailing newline and no HTML escaping")
	}
	if strings.Index(s, `"name": "libzlib"`) > strings.Index(s, `"name": "numpy"`) || strings.Index(s, `"platform": "linux-64"`) > strings.Index(s, `"platform": "osx-arm64"`) {
		t.Error("packages or platforms not sorted")
	}
	l, err := Parse(a)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := l.Encode()
	if !bytes.Equal(a, again) {
		t.Errorf("Parse+Encode changes the bytes:\n%s", cmp.Diff(string(a), string(again)))
	}
	if l.Platform("linux-64").Package("python").Requested != "python=3.11" {
		t.Errorf("requested = %q", l.Platform("linux-64").Package("python").Requested)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{`{"version": 2}`, "format version 2: lock format is newer than this envlock supports (it reads version 1); upgrade envlock"},
		{`{"version": 1, "name": "x", "bogus": 1}`, `unknown field "bogus"`},
		{`{"version": 1,`, "not a valid env.lock"},
		{`{"name": "x"}`, `missing or bad "version"`},
		{"{\n\"version\": 1,\n\"platforms\": 7}", "line 3, column"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) = %v, want %q", tc.in, err, tc.msg)
		}
	}
	_, err := Parse([]byte(`{"version": 9}`))
	if !errors.Is(err, ErrNewerFormat) {
		t.Errorf("newer format: %v", err)
	}
}

func TestGlibcFloor(t *testing.T) {
	for _, tc := range []struct {
		deps []string
		want string
	}{
		{nil, ""},
		{[]string{"__glibc >=2.17,<3.0.a0"}, "2.17"},
		{[]string{"__glibc >=2.17", "__glibc >=2.28,<3"}, "2.28"},
		{[]string{"__glibc 2.12.*"}, "2.12"},
		{[]string{"__glibc <3"}, ""},
		{[]string{"__glibc >=2.17|>=2.12"}, "2.12"},
	} {
		var recs []*repodata.Record
		for i, d := range tc.deps {
			recs = append(recs, rec("p"+string(rune('a'+i)), "1", "0", d))
		}
		if got := GlibcFloor(recs); got != tc.want {
			t.Errorf("GlibcFloor(%v) = %q, want %q", tc.deps, got, tc.want)
		}
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := rec("python", "3.11.9", "h_cpython", "libzlib >=1.2.13")
	back := FromRecord(r).Record()
	if back.Fn != r.Fn || back.URL != r.URL || back.ParsedVersion().String() != "3.11.9" || back.Depends[0] != "libzlib >=1.2.13" {
		t.Errorf("round trip: %+v", back)
	}
}

// TestSchema validates an encoded lock against schemas/lock.cue.
func TestSchema(t *testing.T) {
	data, err := sample(0).Encode()
	if err != nil {
		t.Fatal(err)
	}
	ctx := cuecontext.New()
	schema := ctx.CompileString(schemas.Lock, cue.Filename("schemas/lock.cue"))
	if schema.Err() != nil {
		t.Fatal(schema.Err())
	}
	def := schema.LookupPath(cue.ParsePath("#Lock"))
	val := ctx.CompileBytes(data, cue.Filename("env.lock"))
	if err := def.Unify(val).Validate(cue.Concrete(true)); err != nil {
		t.Fatalf("env.lock does not satisfy #Lock: %v", err)
	}
	// And the schema is strict: a bad field fails.
	bad := strings.Replace(string(data), `"channel_priority": "strict"`, `"channel_priority": "sometimes"`, 1)
	if err := def.Unify(ctx.CompileString(bad)).Validate(cue.Concrete(true)); err == nil {
		t.Error("a bad channel_priority passed the schema")
	}
	extra := strings.Replace(string(data), `"version": 1,`, `"version": 1, "extra": true,`, 1)
	if err := def.Unify(ctx.CompileString(extra)).Validate(cue.Concrete(true)); err == nil {
		t.Error("an unknown field passed the schema")
	}
}

func TestSignatureName(t *testing.T) {
	for _, tt := range []struct {
		sig, want string
	}{
		{"MEUCIQDxyz==\n", "env.lock.sig"},
		{`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}`, "env.lock.sigstore.json"},
		{"\n  \t{\n}", "env.lock.sigstore.json"},
		{"", "env.lock.sig"},
		{"x{", "env.lock.sig"},
	} {
		if got := SignatureName([]byte(tt.sig)); got != tt.want {
			t.Errorf("SignatureName(%q) = %q, want %q", tt.sig, got, tt.want)
		}
	}
}
