package spec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strings"
	"time"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"

	"github.com/envlock/envlock/spec/platform"
)

// Default bounds of one manifest evaluation. A real env.cue evaluates in
// well under a second and a few MB; CUE has no bound of its own, and a
// comprehension over two ranges of 5000 runs for many minutes and GBs.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultMaxMemory = 2 << 30
)

// ErrBudget is wrapped by the error LoadContext returns when evaluation
// exceeds its time or memory bound.
var ErrBudget = errors.New("manifest evaluation exceeded its bound")

// A BudgetError says that evaluating a manifest took too long or too much
// memory, and points at the comprehensions, the usual cause.
type BudgetError struct {
	File  string     // the manifest, as the user names it
	Limit string     // "10s", "2 GiB"
	At    []Position // comprehensions in the project and policy
}

func (e *BudgetError) Error() string {
	msg := fmt.Sprintf("%s: evaluation exceeded %s", e.File, e.Limit)
	if len(e.At) > 0 {
		var at []string
		for _, p := range e.At {
			at = append(at, p.String())
		}
		what := "the comprehension at "
		if len(at) > 1 {
			what = "the comprehensions at "
		}
		return msg + ": simplify " + what + strings.Join(at, ", ")
	}
	return msg + ": simplify the manifest"
}

// Unwrap returns ErrBudget.
func (e *BudgetError) Unwrap() error { return ErrBudget }

// LoadContext is Load that can be abandoned: when ctx is done it returns
// ctx's error at once, and it fails with a *BudgetError when evaluation
// runs longer than opts.Timeout or the heap grows beyond opts.MaxMemory.
//
// CUE's evaluator cannot be stopped from outside, so an abandoned
// evaluation goes on in its goroutine until it ends or the process exits;
// commands exit right after, which is what frees the CPU and memory.
func LoadContext(ctx context.Context, dir string, opts *LoadOptions) (*Manifest, error) {
	l := &loader{dir: dir, fileOrder: map[string]int{}, project: map[string]bool{}}
	if opts != nil {
		l.opts = *opts
	}
	timeout, maxMem := l.opts.Timeout, l.opts.MaxMemory
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if maxMem == 0 {
		maxMem = DefaultMaxMemory
	}
	if l.opts.Host == "" {
		l.opts.Host = platform.Host()
	}
	opts = &LoadOptions{}
	*opts = l.opts // the goroutine owns l from here on
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		m   *Manifest
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := l.load()
		done <- result{m, err}
	}()
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	base := heapBytes()
	for {
		select {
		case r := <-done:
			return r.m, r.err
		case <-ctx.Done():
			return nil, fmt.Errorf("evaluating %s: %w", manifestName(dir), ctx.Err())
		case <-deadline:
			return nil, budgetError(dir, *opts, timeout.String())
		case <-tick.C:
			if maxMem > 0 && heapBytes()-base > maxMem {
				return nil, budgetError(dir, *opts, formatBytes(maxMem))
			}
		}
	}
}

// heapBytes is the bytes of heap objects now, live or not yet swept.
func heapBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func manifestName(dir string) string {
	if dir == "" || dir == "." {
		return ManifestFile
	}
	return filepath.Join(dir, ManifestFile)
}

// budgetError finds the comprehensions of the project's files and the
// policy, parsing them again (the abandoned evaluation still holds its
// own), and names up to three, outermost first.
func budgetError(dir string, opts LoadOptions, limit string) error {
	e := &BudgetError{File: manifestName(dir), Limit: limit}
	names := []string{ManifestFile}
	entries, _ := os.ReadDir(dir)
	for _, ent := range entries {
		if n := ent.Name(); strings.HasSuffix(n, ".cue") && n != ManifestFile && !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "_") {
			names = append(names, n)
		}
	}
	for n := range opts.Overlay {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	type file struct {
		name string
		src  []byte
	}
	var files []file
	for _, n := range names {
		src, ok := opts.Overlay[n]
		if !ok {
			src, _ = os.ReadFile(filepath.Join(dir, n))
		}
		display := n
		if dir != "" && dir != "." {
			display = filepath.Join(dir, n)
		}
		files = append(files, file{display, src})
	}
	if opts.Policy != "" {
		src, _ := os.ReadFile(opts.Policy)
		files = append(files, file{opts.Policy, src})
	}
	for _, f := range files {
		parsed, err := parser.ParseFile(f.name, f.src)
		if err != nil {
			continue
		}
		ast.Walk(parsed, func(n ast.Node) bool {
			if len(e.At) >= 3 {
				return false
			}
			if c, ok := n.(*ast.Comprehension); ok {
				e.At = append(e.At, position(c.Pos()))
				return false // the outermost is the one to simplify
			}
			return true
		}, nil)
	}
	return e
}
