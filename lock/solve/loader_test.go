package solve

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/envlock/envlock/spec/repodata"
)

// loader is a Loader over a MapIndex that records the names asked for
// and fails for the names in fail.
type loader struct {
	idx  MapIndex
	fail map[string]error

	mu    sync.Mutex
	asked []string
}

func (l *loader) Records(name string) []*repodata.Record {
	panic("Solve must call Load on a Loader")
}

func (l *loader) Load(ctx context.Context, name string) ([]*repodata.Record, error) {
	l.mu.Lock()
	l.asked = append(l.asked, name)
	l.mu.Unlock()
	if err := l.fail[name]; err != nil {
		return nil, err
	}
	return l.idx[name], nil
}

// TestLoaderNamesOnDemand: the solver asks a Loader only for the names
// its search reaches, each once; and a failed load ends the solve with
// that error, not an unsatisfiable request.
func TestLoaderNamesOnDemand(t *testing.T) {
	idx := NewIndex([]*repodata.Record{
		rec("c", "app 2", "lib >=2"),
		rec("c", "app 1", "lib 1.*", "old"),
		rec("c", "lib 2", "base"),
		rec("c", "lib 1"),
		rec("c", "old 1"),
		rec("c", "base 1"),
		rec("c", "unrelated 1", "also"),
		rec("c", "also 1"),
	})
	l := &loader{idx: idx}
	sol, err := Solve(context.Background(), &Problem{Index: l, Specs: specs(t, "app"), Channels: []string{"c"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range sol.Records {
		got = append(got, r.Name+" "+r.Version)
	}
	if strings.Join(got, ",") != "app 2,base 1,lib 2" {
		t.Errorf("solution %v", got)
	}
	asked := slices.Clone(l.asked)
	sort.Strings(asked)
	if strings.Join(asked, ",") != "app,base,lib" {
		t.Errorf("asked for %v, want only app, lib and base (each once)", l.asked)
	}

	boom := errors.New("shard for lib: not valid zstd")
	l = &loader{idx: idx, fail: map[string]error{"lib": boom}}
	_, err = Solve(context.Background(), &Problem{Index: l, Specs: specs(t, "app"), Channels: []string{"c"}})
	var ue *UnsatError
	if !errors.Is(err, boom) || errors.As(err, &ue) || !strings.Contains(err.Error(), "loading the records of lib") {
		t.Errorf("Solve with a failing load = %v, want the load error, not unsat", err)
	}
}
