package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/envlock/envlock/install"
)

var listFlags struct {
	prefix   string
	json     bool
	explicit bool
	pypi     bool
}

var cmdList = &Command{
	Name:  "list",
	Usage: "list [-p PATH | -n NAME] [--json] [--explicit] [--pypi]",
	Short: "list the packages installed in an environment",
	Long: `
List prints the packages in an environment in conda list's columns: Name,
Version, Build and Channel, sorted by name. It reads conda-meta, so it
lists any conda environment; in one envlock installed, the PyPI wheels
from its conda-meta/envlock.json follow, with build "pypi_0" and channel
"pypi" as conda shows them. --pypi lists the wheels only.

--explicit prints conda's explicit format (@EXPLICIT, then one package URL
a line, with its md5 when known; a channel inside the project becomes a
file:// URL), which 'conda create --file' reads;
wheels have no place in it and are left out. --json prints an array of
{name, version, build, channel} (#List in schemas/cli.cue).

Example:

	envlock list -n proj
`,
	SetFlags: func(fs *flag.FlagSet) {
		prefixFlag(fs, &listFlags.prefix, "environment path")
		fs.BoolVar(&listFlags.json, "json", false, "print JSON (schemas/cli.cue #List)")
		fs.BoolVar(&listFlags.explicit, "explicit", false, "print conda's explicit format (URLs)")
		fs.BoolVar(&listFlags.pypi, "pypi", false, "list the PyPI wheels only")
	},
	Run: runList,
}

// listed is one row of 'envlock list'.
type listed struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Build   string `json:"build"`
	Channel string `json:"channel"`

	url, md5 string
}

func runList(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("unexpected arguments %q", args)
	}
	if listFlags.prefix == "" {
		return errNoPrefix
	}
	if listFlags.explicit && (listFlags.json || listFlags.pypi) {
		return usagef("--explicit prints conda URLs only; it goes with neither --json nor --pypi")
	}
	prefix := abs(env, listFlags.prefix)
	pkgs, err := readInstalled(prefix)
	if err != nil {
		return err
	}
	var rows []listed
	if !listFlags.pypi {
		rows = pkgs
	}
	m, err := install.ReadMarker(prefix)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if !listFlags.explicit {
		if m != nil {
			for _, w := range m.PyPI {
				name, ver, _ := strings.Cut(w, "==")
				rows = append(rows, listed{Name: name, Version: ver, Build: "pypi_0", Channel: "pypi"})
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return strings.ToLower(rows[i].Name) < strings.ToLower(rows[j].Name) })
	switch {
	case listFlags.json:
		if rows == nil {
			rows = []listed{}
		}
		return writeJSON(env.Stdout, rows)
	case listFlags.explicit:
		fmt.Fprintln(env.Stdout, "@EXPLICIT")
		for _, r := range rows {
			if r.url == "" {
				return fmt.Errorf("%s: conda-meta record of %s-%s-%s has no url; the explicit format needs one", prefix, r.Name, r.Version, r.Build)
			}
			if m != nil && !strings.Contains(r.url, "://") && !filepath.IsAbs(r.url) {
				// A channel inside the project: relative to the lock.
				r.url = "file://" + filepath.Join(filepath.Dir(m.Lock), r.url)
			}
			if r.md5 != "" {
				fmt.Fprintf(env.Stdout, "%s#%s\n", r.url, r.md5)
			} else {
				fmt.Fprintln(env.Stdout, r.url)
			}
		}
		return nil
	}
	fmt.Fprintf(env.Stdout, "# packages in environment at %s:\n#\n", prefix)
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "# Name\tVersion\tBuild\tChannel")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Version, r.Build, r.Channel)
	}
	return tw.Flush()
}

// readInstalled reads the package records in prefix/conda-meta, as conda,
// mamba, pixi and envlock write them.
func readInstalled(prefix string) ([]listed, error) {
	dir := filepath.Join(prefix, "conda-meta")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, withHint(fmt.Errorf("%s is not a conda environment (it has no conda-meta directory)", prefix), "check the path, or 'envlock env list' for the named environments")
	}
	if err != nil {
		return nil, err
	}
	var out []listed
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".json") || n == install.MarkerFile {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		var rec struct {
			Name, Version, Build, Channel, URL, MD5 string
		}
		if err := json.Unmarshal(data, &rec); err != nil || rec.Name == "" {
			return nil, fmt.Errorf("%s: not a conda package record (%v); 'envlock verify -p %s' says what else is damaged", filepath.Join(dir, n), err, prefix)
		}
		out = append(out, listed{Name: rec.Name, Version: rec.Version, Build: rec.Build, Channel: channelName(rec.Channel), url: rec.URL, md5: rec.MD5})
	}
	return out, nil
}

// channelName shortens a channel URL the way conda list does:
// "https://conda.anaconda.org/conda-forge/linux-64" → "conda-forge".
func channelName(ch string) string {
	if i := strings.Index(ch, "://"); i >= 0 {
		rest := strings.TrimSuffix(ch[i+3:], "/")
		parts := strings.Split(rest, "/")
		if len(parts) >= 3 && strings.Contains(parts[len(parts)-1], "-") || len(parts) >= 3 && parts[len(parts)-1] == "noarch" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) >= 2 {
			return parts[len(parts)-1]
		}
	}
	return ch
}
