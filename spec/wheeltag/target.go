package wheeltag

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/virtual"
)

// A Target is what a wheel must run on: a conda platform, a CPython
// version and the system floors.
type Target struct {
	Platform platform.Platform
	// Python is the CPython version, "3.11" or "3.11.7".
	Python string
	// Glibc is the oldest glibc (linux); virtual.DefaultGlibc when empty.
	Glibc string
	// Musl, when set ("1.2"), makes a linux target musl-based: it accepts
	// musllinux wheels instead of manylinux ones.
	Musl string
	// Osx is the oldest macOS (osx); virtual.DefaultOsx when empty.
	Osx string
}

// Tags returns the tags the target accepts, best first.
func (t Target) Tags() ([]Tag, error) {
	major, minor, err := pyVersion(t.Python)
	if err != nil {
		return nil, err
	}
	plats, err := t.platforms()
	if err != nil {
		return nil, err
	}
	var out []Tag
	cp := fmt.Sprintf("cp%d%d", major, minor)
	abi := cp
	if major == 3 && minor < 8 {
		abi += "m"
	}
	for _, p := range plats {
		out = append(out, Tag{cp, abi, p})
	}
	abi3 := major == 3 && minor >= 2
	if abi3 {
		for _, p := range plats {
			out = append(out, Tag{cp, "abi3", p})
		}
	}
	for _, p := range plats {
		out = append(out, Tag{cp, "none", p})
	}
	if abi3 {
		for m := minor - 1; m >= 2; m-- {
			for _, p := range plats {
				out = append(out, Tag{fmt.Sprintf("cp%d%d", major, m), "abi3", p})
			}
		}
	}
	pys := []string{fmt.Sprintf("py%d%d", major, minor), fmt.Sprintf("py%d", major)}
	for m := minor - 1; m >= 0; m-- {
		pys = append(pys, fmt.Sprintf("py%d%d", major, m))
	}
	for _, py := range pys {
		for _, p := range plats {
			out = append(out, Tag{py, "none", p})
		}
	}
	out = append(out, Tag{cp, "none", "any"})
	for _, py := range pys {
		out = append(out, Tag{py, "none", "any"})
	}
	return out, nil
}

// A Ranker ranks wheels for one target.
type Ranker struct {
	rank map[Tag]int
}

// Ranker returns a Ranker for the target's tags.
func (t Target) Ranker() (*Ranker, error) {
	tags, err := t.Tags()
	if err != nil {
		return nil, err
	}
	r := &Ranker{rank: make(map[Tag]int, len(tags))}
	for i, tag := range tags {
		if _, dup := r.rank[tag]; !dup {
			r.rank[tag] = i
		}
	}
	return r, nil
}

// Rank returns the rank of the wheel's best tag (0 is the best a target
// can have) and whether the target accepts the wheel at all.
func (r *Ranker) Rank(f *Filename) (int, bool) {
	best, ok := 0, false
	for _, tag := range f.Tags {
		if i, found := r.rank[tag]; found && (!ok || i < best) {
			best, ok = i, true
		}
	}
	return best, ok
}

func pyVersion(s string) (int, int, error) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return 0, 0, fmt.Errorf("python version %q: want MAJOR.MINOR", s)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major < 2 || minor < 0 {
		return 0, 0, fmt.Errorf("python version %q: want MAJOR.MINOR", s)
	}
	return major, minor, nil
}

func floor(s, def string) (int, int, error) {
	if s == "" {
		s = def
	}
	parts := strings.SplitN(s, ".", 3)
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0, fmt.Errorf("version %q: want MAJOR.MINOR", s)
	}
	minor := 0
	if len(parts) > 1 {
		if minor, err = strconv.Atoi(parts[1]); err != nil {
			return 0, 0, fmt.Errorf("version %q: want MAJOR.MINOR", s)
		}
	}
	return major, minor, nil
}

// platforms returns the target's platform tags, best first.
func (t Target) platforms() ([]string, error) {
	p := t.Platform
	switch {
	case p.IsLinux():
		arch := linuxArch(p)
		if t.Musl != "" {
			major, minor, err := floor(t.Musl, "")
			if err != nil {
				return nil, fmt.Errorf("musl floor: %w", err)
			}
			var out []string
			for m := minor; m >= 0; m-- {
				out = append(out, fmt.Sprintf("musllinux_%d_%d_%s", major, m, arch))
			}
			return out, nil
		}
		major, minor, err := floor(t.Glibc, virtual.DefaultGlibc)
		if err != nil {
			return nil, fmt.Errorf("glibc floor: %w", err)
		}
		// manylinux1 and manylinux2010 were defined for x86 only; the
		// other architectures start at manylinux2014 (glibc 2.17).
		lowest := 17
		if arch == "x86_64" || arch == "i686" {
			lowest = 5
		}
		var out []string
		if major > 2 {
			return nil, fmt.Errorf("glibc floor %q: only glibc 2.x is known", t.Glibc)
		}
		for m := minor; m >= lowest; m-- {
			out = append(out, fmt.Sprintf("manylinux_2_%d_%s", m, arch))
			for name, v := range legacy {
				if v[1] == m && (name == "manylinux2014" || lowest == 5) {
					out = append(out, name+"_"+arch)
				}
			}
		}
		return out, nil
	case p.IsOSX():
		major, minor, err := floor(t.Osx, virtual.DefaultOsx(p))
		if err != nil {
			return nil, fmt.Errorf("macOS floor: %w", err)
		}
		formats := []string{"x86_64", "intel", "fat64", "fat32", "universal2", "universal"}
		if p == platform.OsxArm64 {
			formats = []string{"arm64", "universal2"}
		}
		var versions [][2]int
		if major >= 11 {
			for v := major; v >= 11; v-- {
				versions = append(versions, [2]int{v, 0})
			}
			minor = 16
		}
		if p != platform.OsxArm64 {
			for m := minor; m >= 0 && major >= 10; m-- {
				versions = append(versions, [2]int{10, m})
			}
		}
		var out []string
		for _, v := range versions {
			for _, f := range formats {
				out = append(out, fmt.Sprintf("macosx_%d_%d_%s", v[0], v[1], f))
			}
		}
		return out, nil
	case p.IsWindows():
		switch p.Arch() {
		case "64":
			return []string{"win_amd64"}, nil
		case "32":
			return []string{"win32"}, nil
		case "arm64":
			return []string{"win_arm64"}, nil
		}
	}
	return nil, fmt.Errorf("platform %s: no wheel platform tags are known for it", p)
}

// linuxArch is the architecture in linux wheel tags.
func linuxArch(p platform.Platform) string {
	switch p.Arch() {
	case "64":
		return "x86_64"
	case "32":
		return "i686"
	}
	return p.Arch()
}
