package lockfile

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/envlock/envlock/spec/ident"
)

// MaxInt is the largest integer a lock holds (ident.MaxInt, 2^53-1).
const MaxInt = ident.MaxInt

// A FieldError says which field of a lock is wrong, by its JSON path
// ("platforms[0].packages[3].build"), and why.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the reason, an *ident.Error where an identity is bad.
func (e *FieldError) Unwrap() error { return e.Err }

// Check validates a lock against its schema (schemas/lock.cue) and every
// identity in it against spec/ident's grammar: what Parse runs before a
// lock is used and Encode runs before one is written. The first problem
// is returned as a *FieldError; no lock that passes can make a later
// stage join a hostile string into a path.
func (l *Lock) Check() error {
	c := &checker{}
	c.lock(l)
	return c.err
}

type checker struct {
	err error
}

func (c *checker) fail(field string, err error) {
	if c.err == nil {
		c.err = &FieldError{Field: field, Err: err}
	}
}

func (c *checker) failf(field, format string, args ...any) {
	c.fail(field, fmt.Errorf(format, args...))
}

func (c *checker) lock(l *Lock) {
	if l.Version != FormatVersion {
		c.failf("version", "%d is not format version %d", l.Version, FormatVersion)
	}
	if l.Name != "" && !envName(l.Name) {
		c.failf("name", "%q is not a valid environment name (letters, digits, \"_\", \".\" and \"-\", starting with a letter, digit or \"_\")", l.Name)
	}
	if err := ident.SHA256(l.Manifest.SHA256); err != nil {
		c.fail("manifest.sha256", err)
	}
	for i, ch := range l.Channels {
		f := fmt.Sprintf("channels[%d]", i)
		if err := ident.Channel(ch.Name); ch.Name != "" && err != nil {
			c.fail(f+".name", err)
		}
		if err := ident.Channel(ch.URL); err != nil {
			c.fail(f+".url", err)
		}
		c.int(f+".priority", int64(ch.Priority))
	}
	if l.ChannelPriority != "strict" && l.ChannelPriority != "flexible" {
		c.failf("channel_priority", "%q is neither \"strict\" nor \"flexible\"", l.ChannelPriority)
	}
	c.env("env", l.Env)
	if k := l.Kernel; k != nil {
		if !kernelName(k.Name) {
			c.failf("kernel.name", "%q is not a valid kernel name (letters, digits, \".\", \"_\" and \"-\", not \".\" or \"..\")", k.Name)
		}
		if !text(k.DisplayName) {
			c.failf("kernel.display_name", "%q has control characters", k.DisplayName)
		}
		c.env("kernel.env", k.Env)
	}
	seen := map[string]bool{}
	for i, p := range l.Platforms {
		f := fmt.Sprintf("platforms[%d]", i)
		if p == nil {
			c.failf(f, "null")
			continue
		}
		if err := ident.Subdir(p.Platform); err != nil {
			c.fail(f+".platform", err)
		} else if seen[p.Platform] {
			c.failf(f+".platform", "%s appears twice", p.Platform)
		}
		seen[p.Platform] = true
		c.platform(f, p)
	}
}

func (c *checker) platform(f string, p *Platform) {
	for i, v := range p.Virtual {
		g := fmt.Sprintf("%s.virtual_packages[%d]", f, i)
		if !strings.HasPrefix(v.Name, "__") || ident.Name(v.Name) != nil {
			c.failf(g+".name", "%q is not a virtual package name (__glibc, __cuda, …)", v.Name)
		}
		if !text(v.Version) || !text(v.Build) {
			c.failf(g, "control characters in %q %q", v.Version, v.Build)
		}
	}
	if p.GlibcFloor != "" && !dotted(p.GlibcFloor) {
		c.failf(f+".glibc_floor", "%q is not a version like 2.17", p.GlibcFloor)
	}
	for i, r := range p.Requested {
		if !text(r) {
			c.failf(fmt.Sprintf("%s.requested[%d]", f, i), "%q has control characters", r)
		}
	}
	names := map[string]bool{}
	for i, pk := range p.Packages {
		g := fmt.Sprintf("%s.packages[%d]", f, i)
		if pk == nil {
			c.failf(g, "null")
			continue
		}
		c.pkg(g, p.Platform, pk)
		if names[pk.Name] {
			c.failf(g+".name", "%s appears twice", pk.Name)
		}
		names[pk.Name] = true
	}
	wheels := map[string]bool{}
	for i, w := range p.PyPI {
		g := fmt.Sprintf("%s.pypi[%d]", f, i)
		if w == nil {
			c.failf(g, "null")
			continue
		}
		c.wheel(g, w)
		if wheels[w.Name] {
			c.failf(g+".name", "%s appears twice", w.Name)
		}
		wheels[w.Name] = true
	}
}

func (c *checker) pkg(f, plat string, pk *Package) {
	if c.err != nil {
		return
	}
	ok := true
	for _, id := range []struct {
		field string
		check func(string) error
		value string
	}{
		{"name", ident.Name, pk.Name},
		{"version", ident.Version, pk.Version},
		{"build", ident.Build, pk.Build},
		{"subdir", ident.Subdir, pk.Subdir},
		{"channel", optional(ident.Channel), pk.Channel},
	} {
		if err := id.check(id.value); err != nil {
			c.fail(f+"."+id.field, err)
			ok = false
		}
	}
	if !ok {
		return
	}
	if pk.Subdir != plat && pk.Subdir != "noarch" {
		c.failf(f+".subdir", "%s is neither the platform (%s) nor noarch", pk.Subdir, plat)
	}
	c.int(f+".build_number", pk.BuildNumber)
	c.int(f+".size", pk.Size)
	c.int(f+".timestamp", pk.Timestamp)
	if pk.URL == "" || !text(pk.URL) {
		c.failf(f+".url", "%q is not a URL", pk.URL)
	} else if _, err := ident.FileName(pk.Name, pk.Version, pk.Build, urlBase(pk.URL)); err != nil {
		c.fail(f+".url", err)
	}
	if pk.SHA256 != "" {
		if err := ident.SHA256(pk.SHA256); err != nil {
			c.fail(f+".sha256", err)
		}
	}
	if pk.MD5 != "" {
		if err := ident.MD5(pk.MD5); err != nil {
			c.fail(f+".md5", err)
		}
	}
	if pk.Noarch != "" && pk.Noarch != "generic" && pk.Noarch != "python" {
		c.failf(f+".noarch", "%q is neither \"generic\" nor \"python\"", pk.Noarch)
	}
	if pk.PythonSitePackagesPath != "" {
		if err := ident.SitePackagesPath(pk.PythonSitePackagesPath); err != nil {
			c.fail(f+".python_site_packages_path", err)
		}
	}
	for _, list := range []struct {
		field string
		specs []string
	}{{"depends", pk.Depends}, {"constrains", pk.Constrains}, {"track_features", pk.TrackFeatures}} {
		for i, s := range list.specs {
			if s == "" || !text(s) {
				c.failf(fmt.Sprintf("%s.%s[%d]", f, list.field, i), "%q is not a MatchSpec", s)
			}
		}
	}
	if !text(pk.License) || !text(pk.Requested) {
		c.failf(f, "control characters in license or requested")
	}
}

func (c *checker) wheel(f string, w *Wheel) {
	if c.err != nil {
		return
	}
	if err := ident.WheelName(w.Name); err != nil {
		c.fail(f+".name", err)
		return
	}
	if err := ident.WheelVersion(w.Version); err != nil {
		c.fail(f+".version", err)
		return
	}
	if w.URL == "" || !text(w.URL) {
		c.failf(f+".url", "%q is not a URL", w.URL)
	} else if err := ident.WheelFileName(w.Name, w.Version, urlBase(w.URL)); err != nil {
		c.fail(f+".url", err)
	}
	if err := ident.SHA256(w.SHA256); err != nil {
		c.fail(f+".sha256", err)
	}
	c.int(f+".size", w.Size)
	for i, t := range w.Tags {
		if t == "" || !text(t) {
			c.failf(fmt.Sprintf("%s.tags[%d]", f, i), "%q is not a wheel tag", t)
		}
	}
	if !text(w.RequiresPython) || !text(w.Requested) {
		c.failf(f, "control characters in requires_python or requested")
	}
}

// optional admits "" besides what check admits.
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return check(s)
	}
}

// int checks a count, size or time: 0 to MaxInt.
func (c *checker) int(f string, n int64) {
	if n < 0 {
		c.failf(f, "%d is negative", n)
	} else if n > MaxInt {
		c.failf(f, "%d is larger than %d", n, int64(MaxInt))
	}
}

func (c *checker) env(f string, env map[string]string) {
	for k, v := range env {
		if !envVar(k) {
			c.failf(f, "%q is not a variable name", k)
		} else if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			c.failf(f+"."+k, "the value is not UTF-8 text")
		}
	}
}

// urlBase is the last element of a URL's path, without query or
// fragment, percent-decoded ("torch-2.0.0%2Bcu118-….whl" is the wheel
// torch-2.0.0+cu118-….whl); an element that does not decode is returned
// as it is, which no file name check accepts.
func urlBase(u string) string {
	if j := strings.IndexAny(u, "?#"); j >= 0 {
		u = u[:j]
	}
	if i := strings.LastIndexByte(u, '/'); i >= 0 {
		u = u[i+1:]
	}
	if d, err := url.PathUnescape(u); err == nil {
		return d
	}
	return u
}

// text reports whether s is UTF-8 with no control characters.
func text(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

// envName is env.cue's #Name: [A-Za-z0-9_][A-Za-z0-9._-]*.
func envName(s string) bool {
	if s == "" || !(isAlnum(s[0]) || s[0] == '_') || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// kernelName is a kernelspec directory name: [A-Za-z0-9._-]+, not "."
// or "..".
func kernelName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func envVar(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

// dotted reports whether s is N(.N)*.
func dotted(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
