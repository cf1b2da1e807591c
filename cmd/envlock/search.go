package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/repodata"
)

var searchFlags struct {
	channels stringList
	platform string
	json     bool
	offline  bool
}

var cmdSearch = &Command{
	Name:  "search",
	Usage: "search SPEC --channel C [--channel C2]… [--platform P] [--json]",
	Short: "list the packages in channels that match a MatchSpec",
	Long: `
Search lists every record in the channels' repodata for the platform (and
noarch) that matches the MatchSpec, newest first, like 'conda search':
one line per record, "name version build subdir".

A channel is a name (conda-forge, under https://conda.anaconda.org or
$ENVLOCK_CHANNEL_ALIAS), an http(s) or file:// URL, or a directory holding
<subdir>/repodata.json (or .json.zst). Remote repodata is cached under
$XDG_CACHE_HOME/envlock and revalidated; --offline uses only the cache. SPEC is any conda MatchSpec: 'python 3.9.*', 'numpy>=1.26',
'conda-forge::zlib[build=h*]'. --platform defaults to this host's.

Exit status is 1 when nothing matches.

Example:

	envlock search 'python 3.9.*' --channel ./conda-forge-subset --platform linux-64
`,
	SetFlags: func(fs *flag.FlagSet) {
		listVar(fs, &searchFlags.channels, "channel", "channel to search (repeatable, in priority order)")
		fs.StringVar(&searchFlags.platform, "platform", "", "conda platform (default: this host's)")
		fs.BoolVar(&searchFlags.offline, "offline", false, "use only cached repodata (also ENVLOCK_OFFLINE=1)")
		fs.BoolVar(&searchFlags.json, "json", false, "print full records as JSON")
	},
	Run: runSearch,
}

func runSearch(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("want exactly one SPEC, got %d arguments", len(args))
	}
	ms, err := matchspec.Parse(args[0])
	if err != nil {
		return err
	}
	p, err := platformFlag(searchFlags.platform)
	if err != nil {
		return err
	}
	_, recs, err := loadChannels(ctx, env, searchFlags.channels, p, searchFlags.offline)
	if err != nil {
		return err
	}
	var hits []*repodata.Record
	for _, r := range recs {
		if ms.Match(r) {
			hits = append(hits, r)
		}
	}
	if len(hits) == 0 {
		return &exitError{code: exitFail, msg: fmt.Sprintf("no packages match %s in %s (platform %s)", args[0], strings.Join(searchFlags.channels, ", "), p)}
	}
	sortNewestFirst(hits)
	if searchFlags.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(hits)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	for _, r := range hits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Version, r.Build, r.Subdir)
	}
	return tw.Flush()
}

// sortNewestFirst orders records like conda search, reversed: by name,
// then newest version, highest build number, then build string.
func sortNewestFirst(rs []*repodata.Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if c := a.ParsedVersion().Compare(b.ParsedVersion()); c != 0 {
			return c > 0
		}
		if a.BuildNumber != b.BuildNumber {
			return a.BuildNumber > b.BuildNumber
		}
		if a.Build != b.Build {
			return a.Build > b.Build
		}
		return a.Subdir < b.Subdir
	})
}
