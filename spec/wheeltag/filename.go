package wheeltag

import (
	"fmt"
	"strings"
)

// A Tag is one compatibility tag: "cp311-cp311-manylinux_2_17_x86_64".
type Tag struct {
	Python, ABI, Platform string
}

func (t Tag) String() string { return t.Python + "-" + t.ABI + "-" + t.Platform }

// A Filename is a parsed wheel file name.
type Filename struct {
	// Name is the distribution name as written (underscores for "-").
	Name string
	// Version is the version as written; spec/pep440 parses it.
	Version string
	// Build is the optional build tag ("1", "2abc"), "" for none.
	Build string
	// Tags are the expanded tags: "py2.py3-none-any" gives two.
	Tags []Tag
}

// A FilenameError says why a file name is not a wheel's.
type FilenameError struct {
	Name string
	Msg  string
}

func (e *FilenameError) Error() string {
	return fmt.Sprintf("invalid wheel file name %q: %s", e.Name, e.Msg)
}

// maxTags bounds the expansion of compressed tag sets (real wheels have a
// handful) so that a hostile name cannot make a huge list.
const maxTags = 256

// ParseFilename parses a wheel's file name (without directories).
func ParseFilename(fn string) (*Filename, error) {
	fail := func(msg string) (*Filename, error) { return nil, &FilenameError{Name: fn, Msg: msg} }
	stem, ok := strings.CutSuffix(fn, ".whl")
	if !ok {
		return fail("a wheel's name ends in .whl")
	}
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return fail("want NAME-VERSION[-BUILD]-PYTHON-ABI-PLATFORM.whl (5 or 6 parts separated by \"-\")")
	}
	for _, p := range parts {
		if p == "" {
			return fail("an empty part between \"-\"")
		}
	}
	f := &Filename{Name: parts[0], Version: parts[1]}
	if len(parts) == 6 {
		f.Build = parts[2]
		if f.Build[0] < '0' || f.Build[0] > '9' {
			return fail("the build tag must start with a digit")
		}
	}
	py, abi, plat := parts[len(parts)-3], parts[len(parts)-2], parts[len(parts)-1]
	if n := (strings.Count(py, ".") + 1) * (strings.Count(abi, ".") + 1) * (strings.Count(plat, ".") + 1); n > maxTags {
		return fail(fmt.Sprintf("%d tags in the compressed tag sets; at most %d make sense", n, maxTags))
	}
	for _, p := range strings.Split(py, ".") {
		for _, a := range strings.Split(abi, ".") {
			for _, pl := range strings.Split(plat, ".") {
				if p == "" || a == "" || pl == "" {
					return fail("an empty tag in a compressed tag set")
				}
				f.Tags = append(f.Tags, Tag{p, a, pl})
			}
		}
	}
	return f, nil
}

// Glibc returns the glibc version a manylinux platform tag needs ("2.17"
// for manylinux_2_17_x86_64 and manylinux2014_x86_64), and whether the
// tag is a manylinux one.
func Glibc(platformTag string) (string, bool) {
	major, minor, _, ok := manylinux(platformTag)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%d.%d", major, minor), true
}

var legacy = map[string][2]int{"manylinux1": {2, 5}, "manylinux2010": {2, 12}, "manylinux2014": {2, 17}}

// manylinux splits a manylinux platform tag into its glibc version and
// architecture.
func manylinux(tag string) (major, minor int, arch string, ok bool) {
	for name, v := range legacy {
		if a, found := strings.CutPrefix(tag, name+"_"); found {
			return v[0], v[1], a, true
		}
	}
	rest, found := strings.CutPrefix(tag, "manylinux_")
	if !found {
		return 0, 0, "", false
	}
	if _, err := fmt.Sscanf(rest, "%d_%d_", &major, &minor); err != nil {
		return 0, 0, "", false
	}
	prefix := fmt.Sprintf("%d_%d_", major, minor)
	if !strings.HasPrefix(rest, prefix) || len(rest) == len(prefix) {
		return 0, 0, "", false
	}
	return major, minor, rest[len(prefix):], true
}
