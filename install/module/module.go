package module

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/envlock/envlock/install"
	"github.com/envlock/envlock/install/activate"
)

// A Format is a modulefile language.
type Format string

// The formats Render writes.
const (
	Lua Format = "lua" // Lmod
	Tcl Format = "tcl" // Environment Modules, and Lmod
)

// Family is the module family every envlock modulefile belongs to: one
// environment at a time.
const Family = "python_env"

// A Desc is what a modulefile says.
type Desc struct {
	// Name and Version are the module's ("module load Name/Version");
	// Version may be empty.
	Name, Version string
	// Prefix is the environment's path; Env its name in the manifest.
	Prefix, Env string
	// Lock is the path of the lock the environment was installed from, and
	// LockSHA256 that lock's hash.
	Lock, LockSHA256 string
	// Vars are set on load, in order (CONDA_PREFIX and the manifest's).
	Vars [][2]string
}

// A File is a rendered modulefile.
type File struct {
	// Path is where it goes under a MODULEPATH directory:
	// NAME/VERSION.lua or NAME/VERSION (Tcl), NAME.lua or NAME without a
	// version.
	Path string
	Data []byte
	// Notes say what loading it will not do that activation would.
	Notes []string
}

var validWord = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]*$`)

// For renders the modulefile of the conda environment at prefix; one
// envlock did not install gets a note saying so.
func For(prefix, name, version string, f Format) (*File, error) {
	prefix, err := filepath.Abs(prefix)
	if err != nil {
		return nil, err
	}
	m, err := install.OpenMarker(prefix)
	if err != nil {
		return nil, err
	}
	if !validWord.MatchString(name) {
		return nil, fmt.Errorf("module name %q: use letters, digits and \"._+-\" (no \"/\"; the version goes in --version)", name)
	}
	if version != "" && !validWord.MatchString(version) {
		return nil, fmt.Errorf("module version %q: use letters, digits and \"._+-\"", version)
	}
	if f != Lua && f != Tcl {
		return nil, fmt.Errorf("unknown modulefile format %q (known: lua, tcl)", f)
	}
	a, err := activate.For(prefix)
	if err != nil {
		return nil, err
	}
	d := Desc{Name: name, Version: version, Prefix: prefix, Env: m.Name, Lock: m.Lock, LockSHA256: m.LockHash, Vars: a.Vars}
	out := &File{Data: Render(f, d), Path: name}
	if version != "" {
		out.Path = filepath.Join(name, version)
	}
	if f == Lua {
		out.Path += ".lua"
	}
	if m.Foreign {
		out.Notes = append(out.Notes, prefix+" was not installed by envlock: the modulefile names no lock, and 'envlock verify' can check it against its conda-meta only")
	}
	if len(a.Scripts) > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("the modulefile does not run the environment's %d etc/conda/activate.d script(s); use 'envlock run' where what they set matters", len(a.Scripts)))
	}
	return out, nil
}

// Render writes the modulefile for d in format f.
func Render(f Format, d Desc) []byte {
	if f == Tcl {
		return renderTcl(d)
	}
	return renderLua(d)
}

func (d Desc) full() string {
	if d.Version == "" {
		return d.Name
	}
	return d.Name + "/" + d.Version
}

func (d Desc) command(f Format) string {
	c := "envlock module -p " + shellWord(d.Prefix) + " --name " + d.Name
	if d.Version != "" {
		c += " --version " + d.Version
	}
	return c + " --format " + string(f)
}

func (d Desc) help() string {
	var names []string
	for _, kv := range d.Vars {
		names = append(names, kv[0])
	}
	sort.Strings(names)
	origin := fmt.Sprintf("installed by envlock from the lock %s\n(sha256 %s)", d.Lock, d.LockSHA256)
	if d.Lock == "" && d.LockSHA256 == "" {
		origin = "not installed by envlock (no lock is known)"
	}
	return fmt.Sprintf(`The conda environment %q at %s,
%s.

Loading this module puts %s first on PATH
and sets %s.
Only one environment of the family %q can be loaded at a time.
Without modules: envlock run -p %s -- COMMAND`,
		d.Env, d.Prefix, origin, filepath.Join(d.Prefix, "bin"), strings.Join(names, ", "), Family, shellWord(d.Prefix))
}

func (d Desc) whatis() []string {
	w := []string{"Name: " + d.Name}
	if d.Version != "" {
		w = append(w, "Version: "+d.Version)
	}
	w = append(w, fmt.Sprintf("Description: conda environment %s at %s", d.Env, d.Prefix))
	if d.Lock == "" && d.LockSHA256 == "" {
		return append(w, "Lock: none (not installed by envlock)")
	}
	return append(w, fmt.Sprintf("Lock: %s (sha256 %s)", d.Lock, d.LockSHA256))
}

func renderLua(d Desc) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "-- -*- lua -*-\n")
	fmt.Fprintf(&b, "-- Lmod modulefile %s for the conda environment at %s, written by envlock.\n", d.full(), d.Prefix)
	fmt.Fprintf(&b, "-- Rewrite it with: %s\n\n", d.command(Lua))
	for _, w := range d.whatis() {
		fmt.Fprintf(&b, "whatis(%s)\n", luaString(w))
	}
	fmt.Fprintf(&b, "help(%s)\n\n", luaLong(d.help()))
	fmt.Fprintf(&b, "family(%s)\n\n", luaString(Family))
	fmt.Fprintf(&b, "prepend_path(\"PATH\", %s)\n", luaString(filepath.Join(d.Prefix, "bin")))
	for _, kv := range d.Vars {
		fmt.Fprintf(&b, "setenv(%s, %s)\n", luaString(kv[0]), luaString(kv[1]))
	}
	return []byte(b.String())
}

func renderTcl(d Desc) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "#%%Module1.0\n")
	fmt.Fprintf(&b, "## Modulefile %s for the conda environment at %s, written by envlock.\n", d.full(), d.Prefix)
	fmt.Fprintf(&b, "## Rewrite it with: %s\n\n", d.command(Tcl))
	fmt.Fprintf(&b, "proc ModulesHelp {} {\n\tputs stderr %s\n}\n\n", tclString(d.help()))
	for _, w := range d.whatis() {
		fmt.Fprintf(&b, "module-whatis %s\n", tclString(w))
	}
	b.WriteString("\n")
	// Lmod and Environment Modules 5.1+ have families; before 5.1, refuse
	// to load over another conda environment rather than mix two.
	fmt.Fprintf(&b, "if {[info commands family] ne {}} {\n\tfamily %s\n", Family)
	fmt.Fprintf(&b, "} elseif {[module-info mode load] && [info exists ::env(CONDA_PREFIX)] && $::env(CONDA_PREFIX) ne %s} {\n", tclQuoted(d.Prefix))
	fmt.Fprintf(&b, "\terror \"another conda environment is active (CONDA_PREFIX=$::env(CONDA_PREFIX)); unload its module or run 'conda deactivate' first\"\n}\n\n")
	fmt.Fprintf(&b, "prepend-path PATH %s\n", tclString(filepath.Join(d.Prefix, "bin")))
	for _, kv := range d.Vars {
		fmt.Fprintf(&b, "setenv %s %s\n", kv[0], tclString(kv[1]))
	}
	return []byte(b.String())
}

// luaString quotes s as a Lua string literal.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\%03d`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// luaLong writes s as a Lua long string, [==[…]==], with a level that
// does not occur in s. A long string cannot hold control characters
// other than newlines reliably, so those fall back to luaString.
func luaLong(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c == '\r' {
			return luaString(s)
		}
	}
	eq := ""
	for strings.Contains(s, "]"+eq+"]") || strings.HasSuffix(s, "]"+eq) {
		eq += "="
	}
	return "[" + eq + "[\n" + s + "\n]" + eq + "]"
}

// tclString quotes s as one Tcl word: bare when it holds nothing Tcl
// treats specially, else in double quotes with \, ", $, [, ], { and }
// escaped (braces too, since the word may sit inside a braced proc body)
// and control characters written as \uXXXX.
func tclString(s string) string {
	if s != "" && tclBare.MatchString(s) {
		return s
	}
	return tclQuoted(s)
}

// tclQuoted is tclString always in double quotes, as expr operands must be.
func tclQuoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\' || r == '"' || r == '$' || r == '[' || r == ']' || r == '{' || r == '}':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var tclBare = regexp.MustCompile(`^[A-Za-z0-9_./:@%+,=-]+$`)

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if regexp.MustCompile(`^[A-Za-z0-9_./:@%+,=-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
