// Package ident checks the identities envlock reads from outside —
// package names, versions, build strings, subdirs, channels, file names,
// hashes, CEP-17 site-packages paths and wheel names — against the
// grammar conda (and PEP 503/440 for wheels) gives them.
//
// Every reader of outside input (repodata, env.lock, bundles) checks the
// identities it reads here, before anything joins them into a path or
// writes them into a prefix: a build string "0/../../x" is refused where
// it is read, so no later stage has to wonder. The checks are byte loops
// with no allocation on success, cheap enough for a 100k-record repodata.
//
// The grammars are conda's as its tools write them: names
// [A-Za-z0-9_.-] not starting with "." or "-" (rattler's PackageName),
// versions [A-Za-z0-9_.+!] (conda's version_check_re, which has no "-"),
// build strings [A-Za-z0-9_.+!] (conda-build refuses "-"), and a file
// name that is exactly name-version-build.conda or .tar.bz2 and fits in
// one directory entry (255 bytes). They admit every record of the real
// channels under ../shared/data (TestRealRepodata).
package ident

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/envlock/envlock/spec/pep440"
	"github.com/envlock/envlock/spec/pep508"
)

// MaxFileName is the longest file name a package may have: one directory
// entry on every file system envlock installs onto.
const MaxFileName = 255

// MaxInt is the largest count, size or time an identity record holds
// (2^53-1): JSON readers that parse numbers as doubles (JavaScript, jq)
// read larger ones wrong, and no real package comes near it.
const MaxInt = 1<<53 - 1

// maxIdent bounds a name, version or build string on its own.
const maxIdent = 200

// Conda package file extensions.
const (
	ExtConda  = ".conda"
	ExtTarBz2 = ".tar.bz2"
)

// An Error says which identity is not valid and why. Readers prefix it
// with where the value was (a record, a lock field).
type Error struct {
	// Kind names what the value should have been: "package name",
	// "version", "build string", "subdir", "channel", "file name",
	// "sha256", "md5", "python_site_packages_path", "wheel name",
	// "wheel version", "wheel file name".
	Kind string
	// Value is the offending value.
	Value string
	// Why says what rule it breaks, "" when the kind says enough.
	Why string
}

func (e *Error) Error() string {
	v := e.Value
	if len(v) > 120 {
		v = v[:120] + "…"
	}
	s := fmt.Sprintf("%q is not a valid %s", v, e.Kind)
	if e.Why != "" {
		s += " (" + e.Why + ")"
	}
	return s
}

func fail(kind, v, why string) error { return &Error{Kind: kind, Value: v, Why: why} }

// Name checks a conda package name: 1–200 bytes of [A-Za-z0-9_.-], not
// starting with "." or "-".
func Name(s string) error {
	if s == "" || len(s) > maxIdent {
		return fail("package name", s, "1 to 200 characters")
	}
	if s[0] == '.' || s[0] == '-' {
		return fail("package name", s, `it must not start with "." or "-"`)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return fail("package name", s, "letters, digits, \"_\", \".\" and \"-\" only")
		}
	}
	return nil
}

// Version checks a conda version string: 1–200 bytes of
// [A-Za-z0-9_.+!], not starting with ".".
func Version(s string) error {
	if !word(s) {
		return fail("version", s, "letters, digits, \"_\", \".\", \"+\" and \"!\", not starting with \".\"")
	}
	return nil
}

// Build checks a conda build string: 1–200 bytes of [A-Za-z0-9_.+!],
// not starting with ".".
func Build(s string) error {
	if !word(s) {
		return fail("build string", s, "letters, digits, \"_\", \".\", \"+\" and \"!\", not starting with \".\"")
	}
	return nil
}

// word reports whether s is 1–200 bytes of [A-Za-z0-9_.+!] not starting
// with ".", so never "." or "..".
func word(s string) bool {
	if s == "" || len(s) > maxIdent || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '.' && c != '+' && c != '!' {
			return false
		}
	}
	return true
}

// Subdir checks a channel subdir: "noarch" or OS-ARCH in lower case
// ("linux-64", "osx-arm64", "emscripten-wasm32").
func Subdir(s string) error {
	if s == "noarch" {
		return nil
	}
	os, arch, ok := strings.Cut(s, "-")
	if ok && os != "" && arch != "" && len(s) <= 64 {
		ok = true
		for i := 0; i < len(os) && ok; i++ {
			ok = isLowerAlnum(os[i])
		}
		for i := 0; i < len(arch) && ok; i++ {
			ok = isLowerAlnum(arch[i]) || arch[i] == '_'
		}
		if ok {
			return nil
		}
	}
	return fail("subdir", s, `"noarch" or OS-ARCH in lower case, like "linux-64"`)
}

// Channel checks a channel as a record or lock names it (a name such as
// "conda-forge", "conda-forge/label/dev", or a URL): 1–4096 bytes of
// printable UTF-8 with no white space or backslash. Channels end up in
// conda-meta records and history lines, never in paths.
func Channel(s string) error {
	if s == "" || len(s) > 4096 || !utf8.ValidString(s) {
		return fail("channel", s, "1 to 4096 bytes of UTF-8")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '\\' || (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			return fail("channel", s, "no white space, control characters or backslashes")
		}
	}
	return nil
}

// FileName checks a conda package's file name against its identity: it
// must be exactly name-version-build.conda or name-version-build.tar.bz2,
// at most 255 bytes. It returns the extension.
func FileName(name, version, build, fn string) (string, error) {
	ext := Ext(fn)
	if ext == "" {
		return "", fail("file name", fn, "a conda package ends in .conda or .tar.bz2")
	}
	stem := fn[:len(fn)-len(ext)]
	if len(fn) > MaxFileName || len(stem) != len(name)+len(version)+len(build)+2 ||
		!strings.HasPrefix(stem, name) || stem[len(name)] != '-' ||
		stem[len(name)+1:len(name)+1+len(version)] != version || stem[len(name)+1+len(version)] != '-' ||
		stem[len(name)+2+len(version):] != build {
		if len(fn) > MaxFileName {
			return "", fail("file name", fn, "longer than 255 bytes")
		}
		return "", fail("file name", fn, fmt.Sprintf("want %s-%s-%s%s, from the record's name, version and build", name, version, build, ext))
	}
	return ext, nil
}

// Ext returns a conda package file name's extension (ExtConda or
// ExtTarBz2), or "" when it has neither.
func Ext(fn string) string {
	switch {
	case strings.HasSuffix(fn, ExtConda):
		return ExtConda
	case strings.HasSuffix(fn, ExtTarBz2):
		return ExtTarBz2
	}
	return ""
}

// SHA256 checks a sha256 as conda writes it: 64 lower-case hex digits.
func SHA256(s string) error {
	if !hex(s, 64) {
		return fail("sha256", s, "64 lower-case hex digits")
	}
	return nil
}

// MD5 checks an md5 as conda writes it: 32 lower-case hex digits.
func MD5(s string) error {
	if !hex(s, 32) {
		return fail("md5", s, "32 lower-case hex digits")
	}
	return nil
}

func hex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex[s[i]] {
			return false
		}
	}
	return true
}

// isHex holds the lower-case hex digits: one load a byte, no branches on
// ranges (repodata has two digests a record).
var isHex = func() (t [256]bool) {
	for _, c := range "0123456789abcdef" {
		t[c] = true
	}
	return t
}()

// SitePackagesPath checks CEP-17's python_site_packages_path: a relative
// slash-separated path that stays inside the prefix ("lib/python3.13t/
// site-packages"): no "..", ".", empty elements, backslashes, colons or
// control characters, elements of at most 255 bytes, at most 1024 bytes.
func SitePackagesPath(s string) error {
	const kind = "python_site_packages_path"
	if s == "" || len(s) > 1024 || !utf8.ValidString(s) {
		return fail(kind, s, "a relative path inside the prefix, 1 to 1024 bytes")
	}
	if s[0] == '/' {
		return fail(kind, s, "a relative path inside the prefix, not an absolute one")
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == '\\' || r == ':' {
			return fail(kind, s, "no backslashes, colons or control characters")
		}
	}
	for elem := range strings.SplitSeq(s, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return fail(kind, s, `a clean path with no "", "." or ".." elements`)
		}
		if len(elem) > MaxFileName {
			return fail(kind, s, "an element longer than 255 bytes")
		}
	}
	return nil
}

// WheelName checks a PyPI project name (PEP 508's name: letters and
// digits, with ".", "_" and "-" inside), at most 200 bytes.
func WheelName(s string) error {
	if s == "" || len(s) > maxIdent || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return fail("wheel name", s, "PEP 508: letters and digits, with \".\", \"_\" or \"-\" inside")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fail("wheel name", s, "PEP 508: letters and digits, with \".\", \"_\" or \"-\" inside")
		}
	}
	return nil
}

// WheelVersion checks a PyPI version against PEP 440.
func WheelVersion(s string) error {
	if len(s) > maxIdent {
		return fail("wheel version", s, "longer than 200 bytes")
	}
	if _, err := pep440.Parse(s); err != nil {
		return fail("wheel version", s, "PEP 440")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '/' || c == '\\' || c <= ' ' {
			return fail("wheel version", s, "PEP 440")
		}
	}
	return nil
}

// WheelFileName checks a wheel's file name (PEP 427) and that it is the
// wheel of project name at version: names compare after PEP 503
// normalization, versions after PEP 440's.
func WheelFileName(name, version, fn string) error {
	const kind = "wheel file name"
	if len(fn) > MaxFileName {
		return fail(kind, fn, "longer than 255 bytes")
	}
	// PEP 427's shape; spec/wheeltag parses the tags (it cannot be
	// imported here: it sits above spec/repodata, which imports this).
	stem, ok := strings.CutSuffix(fn, ".whl")
	parts := strings.Split(stem, "-")
	if !ok || len(parts) != 5 && len(parts) != 6 || slices.Contains(parts, "") || len(parts) == 6 && (parts[2][0] < '0' || parts[2][0] > '9') {
		return fail(kind, fn, "PEP 427: NAME-VERSION[-BUILD]-PYTHON-ABI-PLATFORM.whl")
	}
	fname, fversion := parts[0], parts[1]
	for i := 0; i < len(fn); i++ {
		if c := fn[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' && c != '+' && c != '!' {
			return fail(kind, fn, "PEP 427: letters, digits, \".\", \"_\", \"-\", \"+\" and \"!\" only")
		}
	}
	if pep508.Normalize(fname) != pep508.Normalize(name) {
		return fail(kind, fn, fmt.Sprintf("it is a wheel of %s, not of %s", fname, name))
	}
	fv, err1 := pep440.Parse(fversion)
	v, err2 := pep440.Parse(version)
	if err1 != nil || err2 != nil || fv.Compare(v) != 0 {
		return fail(kind, fn, fmt.Sprintf("it is version %s, not %s", fversion, version))
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
