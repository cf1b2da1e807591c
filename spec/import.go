package spec

import (
	"cmp"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/envlock/envlock/spec/envfile"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
)

// A Note is something an import changed or could not carry over, for the
// user to read: "environment.yml:3:1: dropped prefix: …".
type Note struct {
	Pos Position
	Msg string
}

func (n Note) String() string { return n.Pos.String() + ": " + n.Msg }

// importer collects notes and errors while an environment file becomes a
// Draft.
type importer struct {
	notes []Note
	errs  Errors
	read  func(name string) ([]byte, error)
	depth int
}

func (im *importer) note(p envfile.Pos, format string, args ...any) {
	im.notes = append(im.notes, Note{fromEnvPos(p), fmt.Sprintf(format, args...)})
}

func (im *importer) errorf(p envfile.Pos, format string, args ...any) {
	im.errs = append(im.errs, &Error{Pos: fromEnvPos(p), Msg: fmt.Sprintf(format, args...)})
}

func (im *importer) result(d *Draft) (*Draft, []Note, error) {
	slices.SortStableFunc(im.notes, func(a, b Note) int {
		return cmp.Or(cmp.Compare(a.Pos.Filename, b.Pos.Filename), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
	if len(im.errs) > 0 {
		return nil, im.notes, im.errs
	}
	return d, im.notes, nil
}

func fromEnvPos(p envfile.Pos) Position {
	return Position{Filename: p.File, Line: p.Line, Column: p.Column}
}

// ImportEnvironment turns a parsed environment.yml into a Draft:
// dependencies become MatchSpec remainders (channel::name ones a struct
// with the channel), the pip section becomes pypi and pypi_index,
// variables become env, mamba's sel(…) entries become targets. readFile
// reads the requirements files "-r FILE" lines name (relative to the
// environment file); nil refuses them.
//
// What env.cue has no place for (prefix, pip options such as
// --find-links, editable local installs) is dropped with a Note. An
// invalid MatchSpec or pip line is an error naming its line.
func ImportEnvironment(env *envfile.Environment, readFile func(name string) ([]byte, error)) (*Draft, []Note, error) {
	im := &importer{read: readFile}
	d := &Draft{Name: env.Name}
	if env.Name != "" {
		d.Name = im.envName(env.Name, env.NamePos)
	}
	if env.Prefix != "" {
		im.note(env.PrefixPos, "dropped prefix %s: envlock installs where you say, with \"envlock install -p PATH\"", env.Prefix)
	}
	for _, it := range env.Ignored {
		im.note(it.Pos, "dropped %q: env.cue has no such field", it.Value)
	}
	d.Channels = im.channels(env.Channels)
	if d.Channels == nil && len(env.Channels) == 0 {
		im.note(envfile.Pos{File: fileOf(env), Line: 1}, "no channels: conda would use those of your .condarc; env.cue uses conda-forge")
	}
	for _, p := range env.Platforms {
		if _, err := platform.Parse(p.Value); err != nil {
			im.errorf(p.Pos, "%v", err)
			continue
		}
		d.Platforms = append(d.Platforms, p.Value)
	}
	d.Dependencies = im.dependencies(env.Dependencies)
	d.Targets = im.selected(env.Selected)
	im.pip(d, env.Pip)
	for _, v := range env.Variables {
		if !envVarName.MatchString(v.Name) {
			im.note(v.Pos, "dropped variable %q: not a valid environment variable name", v.Name)
			continue
		}
		if d.Env == nil {
			d.Env = map[string]string{}
		}
		d.Env[v.Name] = v.Value
	}
	return im.result(d)
}

// fileOf returns the environment's file name, from any position in it.
func fileOf(env *envfile.Environment) string {
	if env.NamePos.File != "" {
		return env.NamePos.File
	}
	for _, it := range slices.Concat(env.Channels, env.Dependencies, env.Pip) {
		return it.Pos.File
	}
	return "environment.yml"
}

var (
	envVarName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	envNameOK   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)
	envNameBad  = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
	selPlatform = map[string][]string{
		"linux": {"linux-64", "linux-aarch64", "linux-ppc64le"},
		"osx":   {"osx-64", "osx-arm64"},
		"win":   {"win-64"},
		"unix":  {"linux-64", "linux-aarch64", "linux-ppc64le", "osx-64", "osx-arm64"},
	}
)

// envName makes a name env.cue accepts from one conda accepted.
func (im *importer) envName(name string, p envfile.Pos) string {
	if envNameOK.MatchString(name) {
		return name
	}
	fixed := strings.Trim(envNameBad.ReplaceAllString(name, "-"), "-.")
	if fixed == "" {
		fixed = "env"
	}
	im.note(p, "name %q is now %q: letters, digits and \"._-\" only", name, fixed)
	return fixed
}

// NameFromPath returns a valid environment name made from a file or
// directory name, for a Draft whose source names none.
func NameFromPath(p string) string {
	base := path.Base(strings.ReplaceAll(p, "\\", "/"))
	for _, ext := range []string{".yml", ".yaml", ".txt"} {
		base = strings.TrimSuffix(base, ext)
	}
	base = strings.TrimSuffix(base, ".environment")
	fixed := strings.Trim(envNameBad.ReplaceAllString(base, "-"), "-.")
	if fixed == "" || fixed == "environment" || fixed == "env" {
		return "env"
	}
	return fixed
}

func (im *importer) channels(items []envfile.Item) []string {
	var out []string
	for _, c := range items {
		switch c.Value {
		case "nodefaults":
			im.note(c.Pos, "dropped \"nodefaults\": envlock never adds the defaults channel")
			continue
		}
		canon := matchspec.CanonicalChannel(c.Value)
		if slices.Contains(out, canon) {
			im.note(c.Pos, "dropped channel %q: listed twice", c.Value)
			continue
		}
		out = append(out, canon)
	}
	return out
}

// dependencies turns MatchSpec strings into draft dependencies, keeping
// their order and dropping repeats with a note.
func (im *importer) dependencies(items []envfile.Item) []DraftDependency {
	var out []DraftDependency
	for _, it := range items {
		dep, ok := im.dependency(it)
		if !ok {
			continue
		}
		if i := slices.IndexFunc(out, func(o DraftDependency) bool { return o.Name == dep.Name }); i >= 0 {
			im.note(it.Pos, "%s is listed twice; keeping %q", dep.Name, it.Value)
			out[i] = dep
			continue
		}
		out = append(out, dep)
	}
	return out
}

func (im *importer) dependency(it envfile.Item) (DraftDependency, bool) {
	ms, err := matchspec.Parse(it.Value)
	if err != nil {
		p := it.Pos
		if pe, ok := err.(*matchspec.ParseError); ok {
			if pe.Offset >= 0 {
				p.Column += pe.Offset
			}
			im.errorf(p, "invalid MatchSpec %q: %s", it.Value, pe.Msg)
		} else {
			im.errorf(p, "%v", err)
		}
		return DraftDependency{}, false
	}
	if !packageName.MatchString(ms.Name) {
		im.errorf(it.Pos, "%q: %s", it.Value, badPackageName(ms.Name))
		return DraftDependency{}, false
	}
	dep := DraftDependency{Name: ms.Name, Channel: ms.Channel}
	if ms.Version != nil {
		dep.Version = ms.Version.String()
	}
	if ms.Build != nil {
		dep.Build = ms.Build.String()
	}
	var dropped []string
	if ms.Subdir != "" {
		dropped = append(dropped, "subdir "+ms.Subdir)
	}
	if ms.BuildNumber != nil {
		dropped = append(dropped, "build_number "+ms.BuildNumber.String())
	}
	for _, f := range [][2]string{{"md5", ms.MD5}, {"sha256", ms.SHA256}, {"url", ms.URL}, {"fn", ms.Fn}} {
		if f[1] != "" {
			dropped = append(dropped, f[0])
		}
	}
	if ms.TrackFeatures != nil || ms.Features != nil || ms.License != nil || ms.LicenseFamily != nil {
		dropped = append(dropped, "features or license")
	}
	if len(dropped) > 0 {
		im.note(it.Pos, "%s: dropped %s: env.cue dependencies hold version, build and channel", ms.Name, strings.Join(dropped, ", "))
	}
	return dep, true
}

// selected turns mamba's "sel(linux): pkg" entries into targets for the
// platforms of that family.
func (im *importer) selected(sel map[string][]envfile.Item) []DraftTarget {
	byPlatform := map[string][]DraftDependency{}
	sels := make([]string, 0, len(sel))
	for s := range sel {
		sels = append(sels, s)
	}
	slices.Sort(sels)
	for _, s := range sels {
		plats, ok := selPlatform[s]
		if !ok {
			for _, it := range sel[s] {
				im.errorf(it.Pos, "unknown selector sel(%s): want linux, osx, win or unix", s)
			}
			continue
		}
		for _, it := range sel[s] {
			dep, ok := im.dependency(it)
			if !ok {
				continue
			}
			for _, p := range plats {
				byPlatform[p] = append(byPlatform[p], dep)
			}
		}
	}
	var out []DraftTarget
	for _, p := range platform.Known() {
		if deps := byPlatform[string(p)]; len(deps) > 0 {
			out = append(out, DraftTarget{Platform: string(p), Dependencies: deps})
		}
	}
	return out
}

// pip turns the pip section into pypi requirements and pypi_index.
func (im *importer) pip(d *Draft, items []envfile.Item) {
	for _, it := range items {
		l, err := envfile.ParsePipLine(it.Value)
		if err != nil {
			im.errorf(it.Pos, "pip: %v", err)
			continue
		}
		switch l.Option {
		case "":
			if l.Name == "" {
				continue
			}
			im.addRequirement(d, it.Pos, DraftRequirement{Name: l.Name, Spec: l.Rest})
		case "requirement":
			im.requirementsFile(d, it.Pos, l.Value)
		case "index-url":
			d.PyPIIndex = l.Value
		case "extra-index-url":
			d.PyPIExtraIndexes = append(d.PyPIExtraIndexes, l.Value)
		case "editable":
			if l.Name == "" {
				im.note(it.Pos, "dropped %q: an editable install of local code is not part of the environment; run \"pip install -e %s\" in it", it.Value, l.Value)
				continue
			}
			im.note(it.Pos, "%q: %s is installed from %s, not editable", it.Value, l.Name, strings.TrimPrefix(l.Rest, "@ "))
			im.addRequirement(d, it.Pos, DraftRequirement{Name: l.Name, Spec: l.Rest})
		case "no-index":
			im.note(it.Pos, "dropped %q: pypi_index.url sets the index", it.Value)
		default:
			im.note(it.Pos, "dropped pip option %q: env.cue has no place for it", it.Value)
		}
	}
}

func (im *importer) addRequirement(d *Draft, p envfile.Pos, r DraftRequirement) {
	key := normalizePyPI(r.Name)
	if i := slices.IndexFunc(d.PyPI, func(o DraftRequirement) bool { return normalizePyPI(o.Name) == key }); i >= 0 {
		im.note(p, "%s is listed twice; keeping the last", r.Name)
		d.PyPI[i] = r
		return
	}
	d.PyPI = append(d.PyPI, r)
}

// requirementsFile inlines a "-r FILE" requirements file.
func (im *importer) requirementsFile(d *Draft, p envfile.Pos, name string) {
	if im.read == nil {
		im.errorf(p, "pip: cannot read %s here", name)
		return
	}
	if im.depth > 8 {
		im.errorf(p, "pip: requirements files nest too deep at %s", name)
		return
	}
	data, err := im.read(name)
	if err != nil {
		im.errorf(p, "pip: -r %s: %v", name, err)
		return
	}
	im.note(p, "inlined the requirements of %s into pypi", name)
	im.depth++
	im.pip(d, envfile.ParseRequirements(name, data))
	im.depth--
}

// ImportSpecList turns a spec list (one MatchSpec a line, as "conda
// create --file" reads) into a Draft.
func ImportSpecList(items []envfile.Item) (*Draft, []Note, error) {
	im := &importer{}
	d := &Draft{Dependencies: im.dependencies(items)}
	return im.result(d)
}

// ImportExplicit turns an @EXPLICIT file into a Draft that pins every
// package exactly: "name: version build", with the channel when it is
// not the first one. The archives' hashes are not kept: env.cue says what
// to install, and the lock records hashes.
func ImportExplicit(file string, ex *envfile.Explicit) (*Draft, []Note, error) {
	im := &importer{}
	d := &Draft{}
	var platforms []string
	if ex.Platform != "" {
		if _, err := platform.Parse(ex.Platform); err != nil {
			im.errorf(envfile.Pos{File: file, Line: 1}, "# platform: %v", err)
		} else {
			platforms = append(platforms, ex.Platform)
		}
	}
	seen := map[string]int{}
	for _, p := range ex.Packages {
		pos := envfile.Pos{File: file, Line: p.Line, Column: 1}
		ch := matchspec.CanonicalChannel(p.Channel)
		if !slices.Contains(d.Channels, ch) {
			d.Channels = append(d.Channels, ch)
		}
		if p.Subdir != "noarch" && !slices.Contains(platforms, p.Subdir) {
			if _, err := platform.Parse(p.Subdir); err != nil {
				im.errorf(pos, "%s: %v", p.Filename, err)
				continue
			}
			if ex.Platform != "" {
				im.errorf(pos, "%s is for %s, but the file is for %s", p.Filename, p.Subdir, ex.Platform)
				continue
			}
			platforms = append(platforms, p.Subdir)
		}
		if !packageName.MatchString(p.Name) {
			im.errorf(pos, "%s: %s", p.Filename, badPackageName(p.Name))
			continue
		}
		if line, ok := seen[p.Name]; ok {
			im.errorf(pos, "%s is listed twice (also on line %d)", p.Name, line)
			continue
		}
		seen[p.Name] = p.Line
		dep := DraftDependency{Name: p.Name, Version: p.Version, Build: p.Build}
		if _, err := matchspec.Parse(p.Name + " " + p.Version + " " + p.Build); err != nil {
			im.errorf(pos, "%s: %v", p.Filename, err)
			continue
		}
		d.Dependencies = append(d.Dependencies, dep)
	}
	for i := range d.Dependencies {
		ch := matchspec.CanonicalChannel(ex.Packages[slices.IndexFunc(ex.Packages, func(p envfile.Package) bool { return p.Name == d.Dependencies[i].Name })].Channel)
		if ch != d.Channels[0] {
			d.Dependencies[i].Channel = ch
		}
	}
	slices.SortFunc(d.Dependencies, func(a, b DraftDependency) int { return strings.Compare(a.Name, b.Name) })
	if len(platforms) > 1 {
		im.errorf(envfile.Pos{File: file, Line: 1}, "packages for several platforms (%s): an explicit file is for one", strings.Join(platforms, ", "))
	}
	d.Platforms = platforms
	d.Header = []string{
		fmt.Sprintf("Pins the %d packages of an explicit environment exactly (version and", len(d.Dependencies)),
		"build). The archives' md5/sha256 are not kept here: env.lock records",
		"hashes when you lock.",
	}
	return im.result(d)
}

// Import reads an environment file of any kind envfile.Detect tells
// (environment.yml, @EXPLICIT, spec list) and returns it as a Draft whose
// Name is set: the file's own, else one made from filename. readFile is
// as for ImportEnvironment.
func Import(filename string, data []byte, readFile func(name string) ([]byte, error)) (*Draft, []Note, error) {
	var (
		d     *Draft
		notes []Note
		err   error
	)
	switch envfile.Detect(data) {
	case envfile.KindExplicit:
		ex, perr := envfile.ParseExplicit(filename, data)
		if perr != nil {
			return nil, nil, envfileError(perr)
		}
		d, notes, err = ImportExplicit(filename, ex)
	case envfile.KindSpecList:
		items, perr := envfile.ParseSpecList(filename, data)
		if perr != nil {
			return nil, nil, envfileError(perr)
		}
		d, notes, err = ImportSpecList(items)
	default:
		env, perr := envfile.ParseEnvironment(filename, data)
		if perr != nil {
			return nil, nil, envfileError(perr)
		}
		d, notes, err = ImportEnvironment(env, readFile)
	}
	if err != nil {
		return nil, notes, err
	}
	if d.Name == "" {
		d.Name = NameFromPath(filename)
	}
	if len(d.Header) == 0 {
		d.Header = []string{fmt.Sprintf("Imported from %s by \"envlock import\".", path.Base(filepath.ToSlash(filename)))}
	} else {
		d.Header = append([]string{fmt.Sprintf("Imported from %s by \"envlock import\".", path.Base(filepath.ToSlash(filename)))}, d.Header...)
	}
	return d, notes, nil
}

// envfileError turns an envfile error into Errors, so every import error
// prints as file:line:col.
func envfileError(err error) error {
	var e *envfile.Error
	if errors.As(err, &e) {
		return Errors{{Pos: fromEnvPos(e.Pos), Msg: e.Msg}}
	}
	return err
}
