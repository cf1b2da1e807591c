package channel_test

import (
	"context"
	"testing"
	"time"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/lock/solve"
	"github.com/envlock/envlock/spec/platform"
)

func BenchmarkTmpLazy(b *testing.B) {
	dir := benchChannel(b)
	ch, _ := channel.Parse(dir, "", "")
	for b.Loop() {
		t0 := time.Now()
		g := channel.NewGateway(newClient(b.TempDir()))
		g.NoShards = true
		ix, err := g.Index(context.Background(), []channel.Channel{ch}, platform.Linux64)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		sol, err := solve.Solve(context.Background(), benchProblem(b, ix, ch.URL, benchSpecs))
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("index %v solve %v stats %+v", t1.Sub(t0), time.Since(t1), sol.Stats)
		g.Close()
	}
}
