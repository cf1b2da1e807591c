//go:build unix

package channel_test

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/internal/rattlertest"
	"github.com/envlock/envlock/lock/solve"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/virtual"
)

// TestScaledAgainstRattler solves the benchmarks' requests on the
// conda-forge-sized channel (lazily read repodata.json) with envlock and
// with py-rattler and requires the same records. Generating the channel
// writes about 350 MB and takes a minute, so it runs only with
// ENVLOCK_SCALE=1 (the benchmarks generate the same channel).
func TestScaledAgainstRattler(t *testing.T) {
	if os.Getenv("ENVLOCK_SCALE") != "1" {
		t.Skip("set ENVLOCK_SCALE=1 to solve the conda-forge-sized channel against py-rattler")
	}
	rattlertest.Python(t)
	dir := benchChannel(t)
	ch, _ := channel.Parse(dir, "", "")
	g := channel.NewGateway(newClient(t.TempDir()))
	g.NoShards = true
	ix, err := g.Index(context.Background(), []channel.Channel{ch}, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	var vs [][3]string
	for _, v := range virtual.For(platform.Linux64, virtual.System{Glibc: "2.17"}) {
		vs = append(vs, [3]string{v.Name, v.Version, v.Build})
	}
	for _, sp := range [][]string{benchSpecs, hardSpecs} {
		sol, err := solve.Solve(context.Background(), benchProblem(t, ix, ch.URL, sp))
		if err != nil {
			t.Fatal(err)
		}
		var ours []string
		for _, r := range sol.Records {
			ours = append(ours, r.Name+" "+r.Version+" "+r.Build)
		}
		sort.Strings(ours)
		theirs, _ := rattlertest.Solve(t, ch.URL, "linux-64", vs, sp...)
		t.Logf("%v: %d packages, %+v", sp, len(ours), sol.Stats)
		if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
			t.Errorf("%v differ:\nours:\n%s\ntheirs:\n%s", sp, strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
		}
	}
}
