package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/envlock/envlock/lock/solve"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/virtual"
)

var solveFlags struct {
	channels stringList
	virtuals stringList
	platform string
	json     bool
	offline  bool
	flexible bool
}

var cmdSolve = &Command{
	Name:  "solve",
	Usage: "solve --channel C [--channel C2]… [--platform P] [--virtual __glibc=2.17]… [--flexible] [--json] SPEC…",
	Short: "resolve MatchSpecs against channels and print the chosen packages",
	Long: `
Solve picks, for one platform, the set of packages that satisfies every
SPEC: one record per package name, all dependencies met, every installed
package's constrains respected. It prints one line per package, sorted by
name: "name version build channel". This is the solver 'envlock lock'
uses, shown for debugging and CI.

Channels are names, URLs or directories, as for 'envlock search', listed
in priority order; by default priority is strict (a
package found in an earlier channel is only taken from it), --flexible
allows later channels too. Virtual packages default to what the platform
provides with a glibc floor of 2.17 on linux; --virtual NAME=VERSION[=BUILD]
overrides one (e.g. --virtual __glibc=2.28 --virtual __cuda=12.2).

When no solution exists, the explanation says which requested specs
conflict and why, and the exit status is 1.

Example:

	envlock solve --channel ./channel --platform linux-64 'python 3.11.*' numpy
`,
	SetFlags: func(fs *flag.FlagSet) {
		listVar(fs, &solveFlags.channels, "channel", "channel (repeatable, highest priority first)")
		listVar(fs, &solveFlags.virtuals, "virtual", "virtual package NAME=VERSION[=BUILD] (repeatable)")
		fs.StringVar(&solveFlags.platform, "platform", "", "conda platform (default: this host's)")
		fs.BoolVar(&solveFlags.flexible, "flexible", false, "flexible channel priority")
		fs.BoolVar(&solveFlags.offline, "offline", false, "use only cached repodata (also ENVLOCK_OFFLINE=1)")
		fs.BoolVar(&solveFlags.json, "json", false, "print the records as JSON")
	},
	Run: runSolve,
}

func runSolve(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("no SPEC given")
	}
	var specs []*matchspec.MatchSpec
	for _, a := range args {
		ms, err := matchspec.Parse(a)
		if err != nil {
			return err
		}
		specs = append(specs, ms)
	}
	p, err := platformFlag(solveFlags.platform)
	if err != nil {
		return err
	}
	virt := virtual.For(p, virtual.System{})
	for _, v := range solveFlags.virtuals {
		vp, err := virtual.Parse(v)
		if err != nil {
			return usagef("%v", err)
		}
		virt = virtual.Override(virt, vp)
	}
	chans, recs, err := loadChannels(ctx, env, solveFlags.channels, p, solveFlags.offline)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range chans {
		names = append(names, c.Name())
	}
	sol, err := solve.Solve(ctx, &solve.Problem{
		Index:    solve.NewIndex(recs),
		Specs:    specs,
		Virtual:  virtual.Records(virt),
		Channels: names,
		Flexible: solveFlags.flexible,
	})
	var ue *solve.UnsatError
	if errors.As(err, &ue) {
		fmt.Fprintf(env.Stderr, "envlock solve: cannot solve the request for %s:\n%s\n", p, ue.Explain())
		return &exitError{code: exitFail}
	}
	if err != nil {
		return err
	}
	if solveFlags.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sol.Records)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	for _, r := range sol.Records {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Version, r.Build, r.Channel)
	}
	return tw.Flush()
}
