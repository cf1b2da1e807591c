package kernel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/envlock/envlock/install"
)

// Languages are the kernel languages For knows, with the conda package
// that provides each kernel.
var Languages = map[string]string{
	"python": "ipykernel",
	"R":      "r-irkernel",
}

// ErrNoKernelPackage is wrapped by For when the environment has no
// package that provides a kernel.
var ErrNoKernelPackage = errors.New("no Jupyter kernel package")

// Options choose the kernel For makes. Empty fields take the lock's
// kernel settings, then the defaults.
type Options struct {
	// Name is the kernelspec directory name; default: the lock's kernel
	// name, else the environment's name. Jupyter lowercases names, and so
	// does For.
	Name string
	// DisplayName is what launchers show; default: the lock's kernel
	// display name, else Name.
	DisplayName string
	// Language is "python" or "R"; default: python when the environment
	// has ipykernel, else R when it has r-irkernel.
	Language string
	// Env are further variables for the kernel, over the lock's.
	Env map[string]string
}

// A Kernel is a kernelspec ready to be installed.
type Kernel struct {
	// Name is the kernelspec directory name.
	Name string
	// Spec is kernel.json.
	Spec Spec
	// Logos are the logo-* files copied beside kernel.json.
	Logos []string
	// Notes say what the kernel will not do that activation would (the
	// environment's activate.d scripts), for the user.
	Notes []string
}

var validName = regexp.MustCompile(`^[a-z0-9._-]+$`)

// For makes the kernel of the conda environment at prefix from its
// envlock marker, when envlock installed it, and the packages it holds.
func For(prefix string, o Options) (*Kernel, error) {
	prefix, err := filepath.Abs(prefix)
	if err != nil {
		return nil, err
	}
	m, err := install.OpenMarker(prefix)
	if err != nil {
		return nil, err
	}
	lang := o.Language
	if lang == "" {
		for _, l := range []string{"python", "R"} {
			if has(prefix, m, l) {
				lang = l
				break
			}
		}
		if lang == "" {
			return nil, fmt.Errorf("%s: %w: it has neither ipykernel (for a Python kernel) nor r-irkernel (for an R kernel); add one to dependencies in env.cue, then run 'envlock lock' and 'envlock install'", prefix, ErrNoKernelPackage)
		}
	} else if pkg, ok := Languages[lang]; !ok {
		return nil, fmt.Errorf("unknown kernel language %q (known: python, R)", lang)
	} else if !has(prefix, m, lang) {
		return nil, fmt.Errorf("%s: %w: it has no %s, which a %s kernel needs; add it to dependencies in env.cue, then run 'envlock lock' and 'envlock install'", prefix, ErrNoKernelPackage, pkg, lang)
	}

	name, display := o.Name, o.DisplayName
	if name == "" && m.Kernel != nil {
		name = m.Kernel.Name
	}
	if name == "" {
		name = m.Name
	}
	name = strings.ToLower(name)
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("kernel name %q: Jupyter allows only letters, digits and \"._-\"; choose one with --name", name)
	}
	if display == "" && m.Kernel != nil {
		display = m.Kernel.DisplayName
	}
	if display == "" {
		display = name
	}

	env := map[string]string{}
	for k, v := range m.Env {
		env[k] = v
	}
	if m.Kernel != nil {
		for k, v := range m.Kernel.Env {
			env[k] = v
		}
	}
	for k, v := range o.Env {
		env[k] = v
	}
	bin := filepath.Join(prefix, "bin")
	env["CONDA_PREFIX"] = prefix
	env["PATH"] = bin + string(os.PathListSeparator) + "${PATH}"

	k := &Kernel{Name: name}
	k.Spec = Spec{
		DisplayName: display,
		Language:    lang,
		Env:         env,
		Metadata:    Metadata{Envlock: &Origin{Prefix: prefix, Env: m.Name, Lock: m.Lock, LockSHA256: m.LockHash}},
	}
	switch lang {
	case "python":
		// As ipykernel's own kernelspec (ipykernel/kernelspec.py).
		k.Spec.Argv = []string{filepath.Join(bin, "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"}
		k.Logos, _ = filepath.Glob(filepath.Join(prefix, "lib", "python*", "site-packages", "ipykernel", "resources", "logo-*"))
	case "R":
		// As IRkernel's own kernelspec (inst/kernelspec/kernel.json).
		k.Spec.Argv = []string{filepath.Join(bin, "R"), "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"}
		k.Logos, _ = filepath.Glob(filepath.Join(prefix, "lib", "R", "library", "IRkernel", "kernelspec", "logo-*"))
	}
	if _, err := os.Stat(k.Spec.Argv[0]); err != nil {
		return nil, fmt.Errorf("%s has %s but no %s to run it; reinstall the environment with 'envlock install -p %s'", prefix, Languages[lang], k.Spec.Argv[0], prefix)
	}
	sort.Strings(k.Logos)
	if m.Foreign {
		k.Notes = append(k.Notes, prefix+" was not installed by envlock: the kernel records no lock")
	}
	if s, _ := filepath.Glob(filepath.Join(prefix, "etc", "conda", "activate.d", "*")); len(s) > 0 {
		k.Notes = append(k.Notes, fmt.Sprintf("the kernel does not run the environment's %d etc/conda/activate.d script(s); variables they set are missing in the kernel unless env.cue's kernel.env sets them", len(s)))
	}
	return k, nil
}

// has reports whether the environment holds the kernel package of lang:
// a conda package of that name (in the marker or conda-meta), or, for
// packages installed from PyPI or by hand, the importable module.
func has(prefix string, m *install.Marker, lang string) bool {
	pkg := Languages[lang]
	for _, p := range m.Packages {
		if isPackage(p, pkg) {
			return true
		}
	}
	recs, _ := filepath.Glob(filepath.Join(prefix, "conda-meta", pkg+"-*.json"))
	for _, r := range recs {
		if isPackage(strings.TrimSuffix(filepath.Base(r), ".json"), pkg) {
			return true
		}
	}
	var probe string
	switch lang {
	case "python":
		probe = filepath.Join(prefix, "lib", "python*", "site-packages", "ipykernel", "__init__.py")
	case "R":
		probe = filepath.Join(prefix, "lib", "R", "library", "IRkernel", "DESCRIPTION")
	}
	found, _ := filepath.Glob(probe)
	return len(found) > 0
}

// isPackage reports whether dist (name-version-build) is package name:
// the rest after "name-" is version-build, with one dash, since neither
// conda versions nor builds contain one.
func isPackage(dist, name string) bool {
	rest, ok := strings.CutPrefix(dist, name+"-")
	return ok && strings.Count(rest, "-") == 1
}
