// Package config reads envlock's layered configuration: the system file,
// the user's, the project's and environment variables, each overriding
// the one before key by key (command-line flags go on top, set by the
// caller with Set). Files are CUE, checked against schemas/config.cue.
//
// It only reads user input; it never touches the network, the package
// cache or an environment.
package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"

	"github.com/envlock/envlock/schemas"
)

// Config is the merged configuration. Its JSON form is #Config in
// schemas/config.cue.
type Config struct {
	PkgsDirs     []string            `json:"pkgs_dirs,omitempty"`
	EnvsDirs     []string            `json:"envs_dirs,omitempty"`
	ChannelAlias string              `json:"channel_alias,omitempty"`
	Mirrors      map[string][]string `json:"mirrors,omitempty"`
	Channels     []string            `json:"channels,omitempty"`
	Policy       string              `json:"policy,omitempty"`
	TrustedKeys  []string            `json:"trusted_keys,omitempty"`
	LinkMode     string              `json:"link_mode,omitempty"`
	Sync         *bool               `json:"sync,omitempty"` // nil: unset (install flushes)
}

// Keys are the configuration's keys, in the order they are shown.
var Keys = []string{"pkgs_dirs", "envs_dirs", "channel_alias", "mirrors", "channels", "policy", "trusted_keys", "link_mode", "sync"}

// pathKeys hold paths, made absolute against the file that sets them.
var pathKeys = map[string]bool{"pkgs_dirs": true, "envs_dirs": true, "policy": true, "trusted_keys": true}

// File is one configuration file read.
type File struct {
	Layer string `json:"layer"` // "system", "user" or "project"
	Path  string `json:"path"`
}

// Loaded is the configuration with where each key came from.
type Loaded struct {
	Config Config `json:"config"`
	// Sources maps each set key to a file path, "env NAME" or "flag --NAME".
	Sources map[string]string `json:"sources"`
	// Files are the files read, lowest layer first.
	Files []File `json:"files"`

	dir string // relative paths in Set are taken against it
}

// ProjectFile is the name of a project's configuration file, looked up in
// the working directory.
const ProjectFile = "envlock.config.cue"

// envVars maps environment variables to the keys they set; list-valued
// ones are split on the path-list separator.
var envVars = []struct{ name, key string }{
	{"ENVLOCK_PKGS_DIRS", "pkgs_dirs"},
	{"ENVLOCK_ENVS_DIRS", "envs_dirs"},
	{"ENVLOCK_CHANNEL_ALIAS", "channel_alias"},
	{"ENVLOCK_POLICY", "policy"},
	{"ENVLOCK_TRUSTED_KEYS", "trusted_keys"},
	{"ENVLOCK_LINK_MODE", "link_mode"},
	{"ENVLOCK_MIRRORS", "mirrors"},
	{"ENVLOCK_SYNC", "sync"},
}

// SystemPath is $ENVLOCK_SYSTEM_CONFIG, else /etc/envlock/config.cue.
func SystemPath(getenv func(string) string) string {
	if p := getenv("ENVLOCK_SYSTEM_CONFIG"); p != "" {
		return p
	}
	return "/etc/envlock/config.cue"
}

// UserPath is $XDG_CONFIG_HOME/envlock/config.cue, else
// ~/.config/envlock/config.cue.
func UserPath(getenv func(string) string) string {
	base := getenv("XDG_CONFIG_HOME")
	if base == "" {
		base = filepath.Join(home(getenv), ".config")
	}
	return filepath.Join(base, "envlock", "config.cue")
}

// DefaultEnvsDir is where named environments go when envs_dirs is not
// set: $XDG_DATA_HOME/envlock/envs, else ~/.local/share/envlock/envs.
func DefaultEnvsDir(getenv func(string) string) string {
	base := getenv("XDG_DATA_HOME")
	if base == "" {
		base = filepath.Join(home(getenv), ".local", "share")
	}
	return filepath.Join(base, "envlock", "envs")
}

func home(getenv func(string) string) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// Load reads the system, user and project (in dir) files that exist and
// the environment variables. A file that does not parse or does not
// satisfy the schema is an error naming the file and line.
func Load(getenv func(string) string, dir string) (*Loaded, error) {
	l := &Loaded{Sources: map[string]string{}, Files: []File{}, dir: dir}
	layers := []File{
		{"system", SystemPath(getenv)},
		{"user", UserPath(getenv)},
		{"project", filepath.Join(dir, ProjectFile)},
	}
	for _, f := range layers {
		data, err := os.ReadFile(f.Path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the %s configuration: %w", f.Layer, err)
		}
		c, set, err := Parse(f.Path, data, getenv)
		if err != nil {
			return nil, err
		}
		l.merge(c, set, f.Path)
		l.Files = append(l.Files, f)
	}
	for _, e := range envVars {
		v := getenv(e.name)
		if v == "" {
			continue
		}
		if err := l.Set(e.key, v, "env "+e.name); err != nil {
			return nil, &EnvError{Name: e.name, Err: err}
		}
	}
	return l, nil
}

// EnvError is a configuration variable ($ENVLOCK_SYNC, …) whose value
// Load could not take.
type EnvError struct {
	Name string // without the $
	Err  error
}

func (e *EnvError) Error() string { return "$" + e.Name + ": " + e.Err.Error() }
func (e *EnvError) Unwrap() error { return e.Err }

// Set sets key from a string, as an environment variable or a flag gives
// it: lists are split on the path-list separator (":"), paths are made
// absolute against the directory given to Load. source is recorded ("flag --pkgs-dir").
func (l *Loaded) Set(key, value, source string) error {
	var c Config
	var list []string
	for _, s := range filepath.SplitList(value) {
		if s != "" {
			list = append(list, s)
		}
	}
	switch key {
	case "pkgs_dirs":
		c.PkgsDirs = list
	case "envs_dirs":
		c.EnvsDirs = list
	case "trusted_keys":
		c.TrustedKeys = list
	case "channels":
		c.Channels = strings.Split(value, ",")
	case "mirrors":
		m, err := parseMirrors(value)
		if err != nil {
			return err
		}
		c.Mirrors = m
	case "channel_alias":
		if !hasScheme(value) {
			return fmt.Errorf("channel_alias %q is not an http(s):// or file:// URL", value)
		}
		c.ChannelAlias = value
	case "policy":
		c.Policy = value
	case "link_mode":
		switch value {
		case "hardlink", "reflink", "copy":
		default:
			return fmt.Errorf("link_mode %q is not hardlink, reflink or copy", value)
		}
		c.LinkMode = value
	case "sync":
		b, err := ParseBool(value)
		if err != nil {
			return fmt.Errorf("sync %w", err)
		}
		c.Sync = &b
	default:
		return fmt.Errorf("unknown configuration key %q (known: %s)", key, strings.Join(Keys, ", "))
	}
	absPaths(&c, l.dir, nil)
	l.merge(&c, map[string]bool{key: true}, source)
	return nil
}

// ParseBool reads a boolean as $ENVLOCK_SYNC gives it: true, false, 1,
// 0, yes, no, on or off, in any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

func hasScheme(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "file://")
}

// merge copies the keys in set from c over l's.
func (l *Loaded) merge(c *Config, set map[string]bool, source string) {
	for k := range set {
		l.Sources[k] = source
		switch k {
		case "pkgs_dirs":
			l.Config.PkgsDirs = c.PkgsDirs
		case "envs_dirs":
			l.Config.EnvsDirs = c.EnvsDirs
		case "channel_alias":
			l.Config.ChannelAlias = c.ChannelAlias
		case "mirrors":
			l.Config.Mirrors = c.Mirrors
		case "channels":
			l.Config.Channels = c.Channels
		case "policy":
			l.Config.Policy = c.Policy
		case "trusted_keys":
			l.Config.TrustedKeys = c.TrustedKeys
		case "link_mode":
			l.Config.LinkMode = c.LinkMode
		case "sync":
			l.Config.Sync = c.Sync
		}
	}
}

// Parse reads one configuration file: CUE satisfying #Config. It returns
// the configuration, with paths made absolute against the file's
// directory and ~/ expanded, and which keys the file sets.
func Parse(path string, data []byte, getenv func(string) string) (*Config, map[string]bool, error) {
	ctx := cuecontext.New()
	schema := ctx.CompileString(schemas.Config, cue.Filename("schemas/config.cue"))
	if err := schema.Err(); err != nil {
		return nil, nil, fmt.Errorf("internal error: schemas/config.cue: %v", err)
	}
	v := ctx.CompileBytes(data, cue.Filename(path))
	if err := v.Err(); err != nil {
		return nil, nil, describe(path, err)
	}
	// Unknown keys first: a closed definition would report them, but
	// naming the known ones helps more.
	it, err := v.Fields()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: the configuration must be a CUE struct of keys (%s)", path, strings.Join(Keys, ", "))
	}
	set := map[string]bool{}
	for it.Next() {
		k := it.Selector().String()
		if !known(k) {
			return nil, nil, fmt.Errorf("%s: unknown key %q; known keys: %s", path, k, strings.Join(Keys, ", "))
		}
		set[k] = true
	}
	u := schema.LookupPath(cue.ParsePath("#Config")).Unify(v)
	if err := u.Validate(cue.Concrete(true)); err != nil {
		return nil, nil, describe(path, err)
	}
	var c Config
	if err := u.Decode(&c); err != nil {
		return nil, nil, describe(path, err)
	}
	absPaths(&c, filepath.Dir(path), getenv)
	return &c, set, nil
}

func known(k string) bool {
	for _, x := range Keys {
		if x == k {
			return true
		}
	}
	return false
}

// describe turns a CUE error into one that names the file, line and
// what the schema wants.
func describe(path string, err error) error {
	var b bytes.Buffer
	for _, e := range cueerrors.Errors(err) {
		msg := cueerrors.Details(e, nil)
		b.WriteString(strings.TrimSpace(msg))
		b.WriteString("; ")
	}
	return fmt.Errorf("%s is not a valid envlock configuration (see 'envlock help config'): %s", path, strings.TrimSuffix(b.String(), "; "))
}

// absPaths makes the path keys absolute against dir and expands ~/.
func absPaths(c *Config, dir string, getenv func(string) string) {
	fix := func(p string) string {
		if p == "~" || strings.HasPrefix(p, "~/") {
			g := getenv
			if g == nil {
				g = os.Getenv
			}
			return filepath.Join(home(g), strings.TrimPrefix(p[1:], "/"))
		}
		if !filepath.IsAbs(p) {
			return filepath.Join(dir, p)
		}
		return filepath.Clean(p)
	}
	for _, l := range []*[]string{&c.PkgsDirs, &c.EnvsDirs, &c.TrustedKeys} {
		for i := range *l {
			(*l)[i] = fix((*l)[i])
		}
	}
	if c.Policy != "" {
		c.Policy = fix(c.Policy)
	}
}

// Show returns the set keys as "key: value" lines, in Keys order, each
// followed by its source when sources is true.
func (l *Loaded) Show(sources bool) string {
	var b strings.Builder
	for _, k := range Keys {
		src, ok := l.Sources[k]
		if !ok {
			continue
		}
		var val string
		c := l.Config
		switch k {
		case "pkgs_dirs":
			val = list(c.PkgsDirs)
		case "envs_dirs":
			val = list(c.EnvsDirs)
		case "channel_alias":
			val = fmt.Sprintf("%q", c.ChannelAlias)
		case "mirrors":
			var keys []string
			for m := range c.Mirrors {
				keys = append(keys, m)
			}
			sort.Strings(keys)
			var parts []string
			for _, m := range keys {
				parts = append(parts, fmt.Sprintf("%q: %s", m, list(c.Mirrors[m])))
			}
			val = "{" + strings.Join(parts, ", ") + "}"
		case "channels":
			val = list(c.Channels)
		case "policy":
			val = fmt.Sprintf("%q", c.Policy)
		case "trusted_keys":
			val = list(c.TrustedKeys)
		case "link_mode":
			val = fmt.Sprintf("%q", c.LinkMode)
		case "sync":
			val = strconv.FormatBool(*c.Sync)
		}
		fmt.Fprintf(&b, "%s: %s", k, val)
		if sources {
			fmt.Fprintf(&b, "  // %s", src)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func list(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// MirrorsEnv encodes mirrors as $ENVLOCK_MIRRORS does:
// "PREFIX=M1,M2;PREFIX2=M3", prefixes sorted.
func MirrorsEnv(m map[string][]string) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+strings.Join(m[k], ","))
	}
	return strings.Join(parts, ";")
}

// parseMirrors decodes $ENVLOCK_MIRRORS.
func parseMirrors(v string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, entry := range strings.Split(v, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		prefix, ms, ok := strings.Cut(entry, "=")
		if !ok || !hasScheme(prefix) {
			return nil, fmt.Errorf("mirrors entry %q is not URL=MIRROR[,MIRROR]", entry)
		}
		for _, m := range strings.Split(ms, ",") {
			if m = strings.TrimSpace(m); m != "" {
				out[prefix] = append(out[prefix], m)
			}
		}
	}
	return out, nil
}
