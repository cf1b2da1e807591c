package verify

import (
	"context"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/envlock/envlock/spec/version"
	"github.com/envlock/envlock/verify/elfscan"
)

// An Artifact is a locked conda package or wheel and the path of its
// archive (in the package cache).
type Artifact struct {
	// Owner names it as verify reports do: name-version-build, or
	// pypi:name==version for a wheel.
	Owner string
	Path  string
}

// FloorScan is what ScanFloor found in a platform's artifacts.
type FloorScan struct {
	Platform  string `json:"platform"`
	Floor     string `json:"glibc_floor"`
	Artifacts int    `json:"artifacts"`
	ELF       int    `json:"elf"`
	// Glibc is the newest GLIBC_x.y any file needs, GlibcFile the file
	// (package: path) that needs it.
	Glibc     string `json:"glibc_needed,omitempty"`
	GlibcFile string `json:"glibc_needed_by,omitempty"`
	// Problems are KindFloor problems: files (paths inside their
	// package) needing a newer glibc than the floor.
	Problems   []elfscan.Problem `json:"problems"`
	Unreadable []string          `json:"unreadable,omitempty"`
}

// ScanFloor reads the ELF files of the artifacts straight from their
// archives, before anything is installed, and reports every GLIBC_x.y
// need above floor: what "will it run on our oldest nodes?" asks of a
// lock. Files are read in parallel, one archive per worker.
func ScanFloor(ctx context.Context, platform, floor string, arts []Artifact) (*FloorScan, error) {
	s := &FloorScan{Platform: platform, Floor: floor, Artifacts: len(arts), Problems: []elfscan.Problem{}}
	fv, ferr := version.Parse(floor)
	var mu sync.Mutex
	var best version.Version
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, a := range arts {
		g.Go(func() error {
			return elfscan.ReadArchive(gctx, a.Path, func(name string, info *elfscan.Info) error {
				var found []elfscan.Problem
				need := ""
				var nv version.Version
				for _, n := range info.Needs {
					if !elfscan.IsGlibcLibrary(n.Library) {
						continue
					}
					for _, v := range n.Versions {
						g, ok := strings.CutPrefix(v, "GLIBC_")
						if !ok {
							continue
						}
						pv, err := version.Parse(g)
						if err != nil {
							continue // GLIBC_PRIVATE
						}
						if need == "" || pv.Compare(nv) > 0 {
							need, nv = g, pv
						}
						if floor != "" && ferr == nil && pv.Compare(fv) > 0 {
							found = append(found, elfscan.Problem{Kind: elfscan.KindFloor, File: name, Package: a.Owner, Library: n.Library, Need: v, Have: "glibc " + floor})
						}
					}
				}
				mu.Lock()
				defer mu.Unlock()
				s.ELF++
				s.Problems = append(s.Problems, found...)
				if need != "" {
					file := a.Owner + ": " + name
					c := 1
					if s.Glibc != "" {
						c = nv.Compare(best)
					}
					if c > 0 || (c == 0 && file < s.GlibcFile) {
						s.Glibc, s.GlibcFile, best = need, file, nv
					}
				}
				return nil
			}, func(name string, err error) {
				mu.Lock()
				s.Unreadable = append(s.Unreadable, a.Owner+": "+err.Error())
				mu.Unlock()
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(s.Problems, func(i, j int) bool {
		a, b := s.Problems[i], s.Problems[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return elfscan.Newest([]string{a.Need, b.Need}, "GLIBC_") == strings.TrimPrefix(b.Need, "GLIBC_") && a.Need != b.Need
	})
	sort.Strings(s.Unreadable)
	return s, nil
}
