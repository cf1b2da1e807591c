package solve

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/repodata"
)

// randomProblem builds a small random universe: a few names with a few
// versions, random depends and constrains between them.
func randomProblem(r *rand.Rand) ([]*repodata.Record, []string) {
	names := []string{"a", "b", "c", "d", "e", "f", "g"}[:2+r.IntN(6)]
	ops := []string{"==", "!=", ">=", "<"}
	var recs []*repodata.Record
	for _, n := range names {
		nv := 1 + r.IntN(3)
		for v := 1; v <= nv; v++ {
			rc := rec("c", fmt.Sprintf("%s %d", n, v))
			for _, m := range names {
				if m == n || r.IntN(3) != 0 {
					continue
				}
				spec := fmt.Sprintf("%s %s%d", m, ops[r.IntN(len(ops))], 1+r.IntN(3))
				if r.IntN(4) == 0 {
					rc.Constrains = append(rc.Constrains, spec)
				} else {
					rc.Depends = append(rc.Depends, spec)
				}
			}
			recs = append(recs, rc)
		}
	}
	var req []string
	for _, n := range names {
		if r.IntN(2) == 0 {
			req = append(req, fmt.Sprintf("%s %s%d", n, ops[r.IntN(len(ops))], 1+r.IntN(3)))
		}
	}
	if len(req) == 0 {
		req = []string{names[0]}
	}
	return recs, req
}

// bruteForce reports whether any set of records (at most one per name)
// satisfies the request, depends and constrains.
func bruteForce(recs []*repodata.Record, req []string) bool {
	byName := map[string][]*repodata.Record{}
	var names []string
	for _, r := range recs {
		if byName[r.Name] == nil {
			names = append(names, r.Name)
		}
		byName[r.Name] = append(byName[r.Name], r)
	}
	chosen := map[string]*repodata.Record{}
	ok := func(spec string) bool {
		ms := matchspec.MustParse(spec)
		r := chosen[ms.Name]
		return r != nil && ms.Match(r)
	}
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(names) {
			for _, s := range req {
				if !ok(s) {
					return false
				}
			}
			for _, r := range chosen {
				for _, d := range r.Depends {
					if !ok(d) {
						return false
					}
				}
				for _, c := range r.Constrains {
					ms := matchspec.MustParse(c)
					if o := chosen[ms.Name]; o != nil && !ms.Match(o) {
						return false
					}
				}
			}
			return true
		}
		n := names[i]
		if try(i + 1) {
			return true
		}
		for _, r := range byName[n] {
			chosen[n] = r
			if try(i + 1) {
				delete(chosen, n)
				return true
			}
		}
		delete(chosen, n)
		return false
	}
	return try(0)
}

// TestRandomAgainstBruteForce checks the solver's completeness and
// soundness on thousands of small random problems.
func TestRandomAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		recs, req := randomProblem(r)
		p := &Problem{Index: NewIndex(recs), Specs: specs(t, req...), Channels: []string{"c"}}
		sol, err := Solve(context.Background(), p)
		want := bruteForce(recs, req)
		var ue *UnsatError
		switch {
		case err == nil:
			check(t, p, sol)
			if !want {
				t.Fatalf("case %d: solver found %s but brute force finds none", i, names(sol))
			}
		case errors.As(err, &ue):
			if want {
				var desc []string
				for _, r := range recs {
					desc = append(desc, fmt.Sprintf("%s=%s dep%v con%v", r.Name, r.Version, r.Depends, r.Constrains))
				}
				t.Fatalf("case %d: solver says unsat, brute force finds a solution\nrequest %v\nrecords %v\n%v", i, req, desc, err)
			}
		default:
			t.Fatal(err)
		}
	}
}
