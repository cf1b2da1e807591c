package spec

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
)

// A Draft is a manifest as a program writes it: what "envlock init" and
// "envlock import" turn into a commented env.cue. Format writes it; Load
// reads the result back.
type Draft struct {
	// Header are comment lines above the package clause (without "//").
	Header []string
	// Name names the environment.
	Name string
	// Channels are the channels, highest priority first; nil keeps the
	// schema's default (conda-forge) and says so in a comment.
	Channels []string
	// Platforms are the platforms to lock for; nil keeps the default (the
	// host's platform) and says so in a comment.
	Platforms []string
	// Dependencies are the conda packages, written in this order.
	Dependencies []DraftDependency
	// PyPI are the PyPI requirements, written in this order.
	PyPI []DraftRequirement
	// PyPIIndex and PyPIExtraIndexes set pypi_index when not empty.
	PyPIIndex        string
	PyPIExtraIndexes []string
	// Targets are per-platform dependencies, written in this order.
	Targets []DraftTarget
	// Env are environment variables, written sorted by name.
	Env map[string]string
	// Glibc sets system.glibc when not empty.
	Glibc string
	// Examples adds commented-out examples of the fields left out, for a
	// new manifest that its author will fill in.
	Examples bool
}

// A DraftDependency is one dependency to write: "name: version build",
// or a struct when Channel is set.
type DraftDependency struct {
	Name, Version, Build, Channel string
	// Comment is written on the line above when not empty.
	Comment string
}

// A DraftTarget holds the dependencies of one platform only.
type DraftTarget struct {
	Platform     string
	Dependencies []DraftDependency
}

// A DraftRequirement is one PyPI requirement to write.
type DraftRequirement struct {
	Name, Spec string
	Comment    string
}

// Format returns the draft as env.cue source, formatted by CUE's
// formatter.
func (d *Draft) Format() ([]byte, error) {
	var b strings.Builder
	for _, h := range d.Header {
		writeComment(&b, "", h)
	}
	if len(d.Header) > 0 {
		b.WriteString("//\n")
	}
	b.WriteString("// Fields are documented in envlock's schema: run \"envlock check --schema\".\n")
	b.WriteString("package env\n\n")

	b.WriteString("// name names the environment (the kernel's name too, if it has one).\n")
	fmt.Fprintf(&b, "name: %s\n\n", quote(d.Name))

	if d.Channels == nil {
		b.WriteString("// channels, highest priority first; conda-forge when left out.\n")
		b.WriteString("// channels: [\"conda-forge\"]\n\n")
	} else {
		b.WriteString("// channels, highest priority first. envlock never adds \"defaults\".\n")
		fmt.Fprintf(&b, "channels: %s\n\n", quoteList(d.Channels))
	}

	if d.Platforms == nil {
		b.WriteString("// platforms to lock for; the platform envlock runs on when left out.\n")
		b.WriteString("// platforms: [\"linux-64\", \"osx-arm64\"]\n\n")
	} else {
		b.WriteString("// platforms to lock for.\n")
		fmt.Fprintf(&b, "platforms: %s\n\n", quoteList(d.Platforms))
	}

	b.WriteString("// dependencies: conda package name → version constraint [build], the rest\n")
	b.WriteString("// of a MatchSpec (\"*\" for any version), or {version, build, channel}.\n")
	if len(d.Dependencies) == 0 {
		b.WriteString("dependencies: {\n")
		if d.Examples {
			b.WriteString("\t// python: \"3.12.*\"\n\t// numpy:  \">=1.26\"\n")
		}
		b.WriteString("}\n\n")
	} else {
		b.WriteString("dependencies: {\n")
		for _, dep := range d.Dependencies {
			writeComment(&b, "\t", dep.Comment)
			fmt.Fprintf(&b, "\t%s: %s\n", label(dep.Name), dep.value())
		}
		b.WriteString("}\n\n")
	}

	if len(d.PyPI) > 0 || d.PyPIIndex != "" {
		b.WriteString("// pypi: PyPI project name → the rest of a PEP 508 requirement.\n")
		b.WriteString("pypi: {\n")
		for _, r := range d.PyPI {
			writeComment(&b, "\t", r.Comment)
			spec := r.Spec
			if spec == "" {
				spec = "*"
			}
			fmt.Fprintf(&b, "\t%s: %s\n", label(r.Name), quote(spec))
		}
		b.WriteString("}\n\n")
	} else if d.Examples {
		b.WriteString("// pypi: PyPI project name → the rest of a PEP 508 requirement.\n")
		b.WriteString("// pypi: {\"torch-geometric\": \"==2.5.3\"}\n\n")
	}
	if d.PyPIIndex != "" || len(d.PyPIExtraIndexes) > 0 {
		b.WriteString("// pypi_index: where PyPI requirements are resolved.\n")
		b.WriteString("pypi_index: {\n")
		if d.PyPIIndex != "" {
			fmt.Fprintf(&b, "\turl: %s\n", quote(d.PyPIIndex))
		}
		if len(d.PyPIExtraIndexes) > 0 {
			fmt.Fprintf(&b, "\textra_urls: %s\n", quoteList(d.PyPIExtraIndexes))
		}
		b.WriteString("}\n\n")
	}

	if d.Glibc != "" {
		b.WriteString("// system: the oldest system the environment must run on.\n")
		fmt.Fprintf(&b, "system: glibc: %s\n\n", quote(d.Glibc))
	} else if d.Examples {
		b.WriteString("// system: the oldest system the environment must run on (the virtual\n")
		b.WriteString("// packages assumed at lock time); glibc is 2.17 when left out.\n")
		b.WriteString("// system: {glibc: \"2.28\", cuda: \"12.2\"}\n\n")
	}

	if len(d.Env) > 0 {
		b.WriteString("// env: variables set when the environment is used.\n")
		b.WriteString("env: {\n")
		keys := make([]string, 0, len(d.Env))
		for k := range d.Env {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "\t%s: %s\n", label(k), quote(d.Env[k]))
		}
		b.WriteString("}\n\n")
	} else if d.Examples {
		b.WriteString("// env: variables set when the environment is used.\n")
		b.WriteString("// env: {OMP_NUM_THREADS: \"1\"}\n\n")
	}

	if len(d.Targets) > 0 {
		b.WriteString("// target: per-platform dependencies, added to those above.\n")
		b.WriteString("target: {\n")
		for _, t := range d.Targets {
			fmt.Fprintf(&b, "\t%s: dependencies: {\n", quote(t.Platform))
			for _, dep := range t.Dependencies {
				writeComment(&b, "\t\t", dep.Comment)
				fmt.Fprintf(&b, "\t\t%s: %s\n", label(dep.Name), dep.value())
			}
			b.WriteString("\t}\n")
		}
		b.WriteString("}\n\n")
	}

	if d.Examples {
		b.WriteString("// kernel: a Jupyter kernel for the environment (needs ipykernel).\n")
		b.WriteString("// kernel: {display_name: \"My project\"}\n\n")
		b.WriteString("// target: per-platform overrides of dependencies and pypi.\n")
		b.WriteString("// target: \"linux-64\": dependencies: pytorch: \"2.* cuda*\"\n")
	}
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("formatting env.cue: %v", err)
	}
	return out, nil
}

func (d DraftDependency) value() string {
	if d.Channel == "" {
		v := d.Version
		if v == "" {
			v = "*"
		}
		if d.Build != "" {
			v += " " + d.Build
		}
		return quote(v)
	}
	parts := []string{}
	if d.Version != "" {
		parts = append(parts, "version: "+quote(d.Version))
	}
	if d.Build != "" {
		parts = append(parts, "build: "+quote(d.Build))
	}
	parts = append(parts, "channel: "+quote(d.Channel))
	return "{" + strings.Join(parts, ", ") + "}"
}

func writeComment(b *strings.Builder, indent, text string) {
	if text == "" {
		return
	}
	for _, line := range strings.Split(text, "\n") {
		b.WriteString(indent)
		if line == "" {
			b.WriteString("//\n")
			continue
		}
		b.WriteString("// ")
		b.WriteString(line)
		b.WriteString("\n")
	}
}

func quote(s string) string { return literal.String.Quote(s) }

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// label returns name as a CUE field label: bare when it is a plain
// identifier, quoted otherwise ("scikit-learn", "_libgcc_mutex": a bare
// label starting with "_" would be a hidden field).
func label(name string) string {
	if isIdent(name) {
		return name
	}
	return quote(name)
}

var cueKeywords = map[string]bool{
	"package": true, "import": true, "for": true, "in": true, "if": true,
	"let": true, "true": true, "false": true, "null": true, "func": true,
	"__": true,
}

func isIdent(s string) bool {
	if s == "" || cueKeywords[s] {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_'):
		default:
			return false
		}
	}
	return true
}
