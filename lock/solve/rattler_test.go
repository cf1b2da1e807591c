package solve

import (
	"context"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/internal/rattlertest"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/virtual"
)

// TestAgainstRattler solves the same requests on the same repodata with
// envlock and py-rattler and requires the same packages.
func TestAgainstRattler(t *testing.T) {
	rattlertest.Python(t)
	dir := testdata.SharedPath(t, "repodata/conda-forge-py39-subset")

	for _, tc := range []struct {
		chanDir string
		plat    platform.Platform
		specs   []string
	}{
		{dir, platform.Linux64, []string{"python 3.9.*"}},
		{dir, platform.Linux64, []string{"python 3.9.*", "pip", "setuptools"}},
		{dir, platform.Linux64, []string{"python", "curl", "zstd"}},
		{dir, platform.Linux64, []string{"pyparsing", "six", "certifi"}},
		{dir, platform.Linux64, []string{"xorg-libx11", "tk"}},
		{dir, platform.OsxArm64, []string{"python 3.9.*", "pip"}},
		{dir, platform.OsxArm64, []string{"python", "curl"}},
		{dir, platform.Win64, []string{"python 3.9.*", "pip"}},
		{dir, platform.LinuxAarch64, []string{"python 3.9.*", "pip", "sqlite"}},
		// py-rattler 0.28 cannot read conda-forge-numpy-linux-64.json
		// ("failed to extract repodata records"); TestRealNumpy covers it.
	} {
		name := string(tc.plat) + "/" + strings.Join(tc.specs, ",")
		t.Run(name, func(t *testing.T) {
			c, err := channel.Parse(tc.chanDir, "", "")
			if err != nil {
				t.Fatal(err)
			}
			recs, err := channel.Load(context.Background(), c, tc.plat)
			if err != nil {
				t.Fatal(err)
			}
			virt := virtual.For(tc.plat, virtual.System{})
			var vs [][3]string
			for _, v := range virt {
				vs = append(vs, [3]string{v.Name, v.Version, v.Build})
			}
			p := &Problem{Index: NewIndex(recs), Specs: specs(t, tc.specs...), Virtual: virtual.Records(virt), Channels: []string{c.Name()}}
			var ours []string
			sol, err := Solve(context.Background(), p)
			if err != nil {
				ours = []string{"UNSAT"}
			} else {
				check(t, p, sol)
				for _, r := range sol.Records {
					ours = append(ours, r.Name+" "+r.Version+" "+r.Build)
				}
			}
			theirs, unsat := rattlertest.Solve(t, c.URL, string(tc.plat), vs, tc.specs...)
			if unsat {
				theirs = []string{"UNSAT"}
			}
			if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
				t.Errorf("envlock and py-rattler disagree:\nenvlock:\n  %s\npy-rattler:\n  %s", strings.Join(ours, "\n  "), strings.Join(theirs, "\n  "))
			} else {
				t.Logf("agree on %d packages", len(ours))
			}
		})
	}
}
