package channel_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/internal/rattlertest"
	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/solve"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/virtual"
)

// solveOrUnsat locks specs on chURL through a fresh gateway, returning
// the lock's lines, or "UNSAT".
func solveOrUnsat(t *testing.T, chURL string, specs []string) []string {
	t.Helper()
	m, err := spec.Load(projectFor(t, chURL, specs), nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := channel.Parse(chURL, "", "")
	l, err := lock.Resolve(context.Background(), m, lock.Options{
		Channels: []lockfile.Channel{{Name: chURL, URL: ch.URL}},
		Index:    gatewaySource(channel.NewGateway(newClient(t.TempDir())), chURL),
	})
	var ue *solve.UnsatError
	if errors.As(err, &ue) {
		return []string{"UNSAT"}
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, pk := range l.Platforms[0].Packages {
		out = append(out, pk.Name+" "+pk.Version+" "+pk.Build)
	}
	return out
}

// gatewayScript asks py-rattler's gateway (the repodata reader inside
// pixi) for the records of specs and, recursively, of their dependencies,
// and prints "subdir fn" per record; it also says whether rattler read
// shards (its cache then holds shard files).
const gatewayScript = `
import asyncio, os, sys
from rattler import Channel, Gateway, SourceConfig
async def main():
    cache, url, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    gw = Gateway(cache_dir=cache, default_config=SourceConfig(sharded_enabled=True))
    res = await gw.query([Channel(url)], ["linux-64", "noarch"], specs, recursive=True)
    for recs in res:
        for r in recs:
            print(r.subdir, r.file_name)
asyncio.run(main())
sys.stdout.flush()
os._exit(0)
`

// TestAgainstRattlerGateway: py-rattler's gateway and envlock's read the
// same sharded channel (written by the real conda-index, served over
// loopback, no repodata.json) and find the same records for the same
// specs: those matching the specs, then every record of every name a
// found record depends on.
func TestAgainstRattlerGateway(t *testing.T) {
	py := rattlertest.Python(t)
	dir := t.TempDir()
	writeStack(t, dir, true)
	srv := serve(t, dir)
	script := filepath.Join(t.TempDir(), "gateway.py")
	if err := os.WriteFile(script, []byte(gatewayScript), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, specs := range [][]string{
		{"numpy"},
		{"scipy", "requests"},
		{"numpy >=2"},
		{"python 3.9.*", "six"},
		{"unrelated"},
	} {
		t.Run(strings.Join(specs, ","), func(t *testing.T) {
			before := srv.count(func(p string) bool { return strings.HasSuffix(p, ".msgpack.zst") })
			out, err := exec.Command(py, append([]string{script, t.TempDir(), srv.URL}, specs...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("py-rattler gateway: %v\n%s", err, out)
			}
			if srv.count(func(p string) bool { return strings.HasSuffix(p, ".msgpack.zst") }) == before {
				t.Fatalf("py-rattler did not read shards (no shard requests)")
			}
			theirs := strings.Fields(strings.TrimSpace(string(out)))
			var their []string
			for i := 0; i+1 < len(theirs); i += 2 {
				their = append(their, theirs[i]+"/"+theirs[i+1])
			}
			their = dropTwins(their)
			ours := closure(t, srv.URL, specs)
			if strings.Join(ours, "\n") != strings.Join(their, "\n") {
				t.Errorf("envlock and py-rattler's gateway disagree:\nenvlock:\n  %s\npy-rattler:\n  %s", strings.Join(ours, "\n  "), strings.Join(their, "\n  "))
			} else {
				t.Logf("agree on %d records", len(ours))
			}

			// And the solve over those shards: py-rattler's solver reading
			// through its gateway, envlock's through its own.
			var vs [][3]string
			for _, v := range virtual.For(platform.Linux64, virtual.System{Glibc: "2.17"}) {
				vs = append(vs, [3]string{v.Name, v.Version, v.Build})
			}
			theirSol, unsat := rattlertest.Solve(t, srv.URL, "linux-64", vs, specs...)
			var ourSol []string
			ourSol = solveOrUnsat(t, srv.URL, specs)
			if unsat {
				theirSol = []string{"UNSAT"}
			}
			sort.Strings(ourSol)
			if strings.Join(ourSol, "\n") != strings.Join(theirSol, "\n") {
				t.Errorf("solves disagree:\nenvlock:\n  %s\npy-rattler:\n  %s", strings.Join(ourSol, "\n  "), strings.Join(theirSol, "\n  "))
			}
		})
	}
}

// dropTwins drops the .tar.bz2 records whose .conda twin is listed:
// rattler's gateway returns both formats (its solver picks one), while
// envlock keeps only the .conda when reading, as conda does.
func dropTwins(recs []string) []string {
	have := map[string]bool{}
	for _, r := range recs {
		if s, ok := strings.CutSuffix(r, ".conda"); ok {
			have[s] = true
		}
	}
	var out []string
	for _, r := range recs {
		if s, ok := strings.CutSuffix(r, ".tar.bz2"); !ok || !have[s] {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// closure is what a recursive gateway query returns, computed with
// envlock's Index: records matching specs, then all records of the other
// names the found records depend on (a requested name stays limited to
// its spec, as in rattler's gateway).
func closure(t *testing.T, chURL string, specs []string) []string {
	t.Helper()
	ch, _ := channel.Parse(chURL, "", "")
	ix, err := channel.NewGateway(newClient(t.TempDir())).Index(context.Background(), []channel.Channel{ch}, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	names := map[string]bool{}
	var out []string
	var queue []*repodata.Record
	add := func(r *repodata.Record) {
		k := r.Subdir + "/" + r.Fn
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
			queue = append(queue, r)
		}
	}
	for _, s := range specs {
		ms, err := matchspec.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		names[ms.Name] = true
		recs, err := ix.Load(context.Background(), ms.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if ms.Match(r) {
				add(r)
			}
		}
	}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		for _, d := range r.Depends {
			ms, err := matchspec.Parse(d)
			if err != nil || names[ms.Name] || strings.HasPrefix(ms.Name, "__") {
				continue
			}
			names[ms.Name] = true
			recs, err := ix.Load(context.Background(), ms.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				add(r)
			}
		}
	}
	sort.Strings(out)
	return out
}
