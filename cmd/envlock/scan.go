package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/envlock/envlock/fetch/bundle"
	"github.com/envlock/envlock/fetch/cache"
	"github.com/envlock/envlock/fetch/download"
	"github.com/envlock/envlock/fetch/progress"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/verify"
)

// scanLock implements "lock --scan": it fetches the artifacts of every
// Linux platform of the lock into the package cache and reads their ELF
// files' GLIBC_ needs straight from the archives, against the glibc floor
// the lock promises, before anything is installed. It prints one line
// per file above the floor and fails with exitFloor when there is one.
func scanLock(ctx context.Context, env *Env, l *lockfile.Lock, lockPath string, offline bool) error {
	c, err := openCache(env, nil)
	if err != nil {
		return err
	}
	client := newClient(env, offline)
	above := 0
	for _, pl := range l.Platforms {
		if !platform.Platform(pl.Platform).IsLinux() {
			continue
		}
		var arts []cache.Artifact
		var owners []string
		var total int64
		for _, pk := range pl.Packages {
			arts = append(arts, cache.Artifact{Fn: bundle.FileName(pk), URL: pk.URL, SHA256: pk.SHA256, Size: pk.Size})
			owners = append(owners, pk.Name+"-"+pk.Version+"-"+pk.Build)
			total += pk.Size
		}
		for _, w := range pl.PyPI {
			arts = append(arts, cache.Artifact{Fn: w.FileName(), URL: w.URL, SHA256: w.SHA256, Size: w.Size})
			owners = append(owners, "pypi:"+w.Name+"=="+w.Version)
			total += w.Size
		}
		rep := progress.New(env.Stderr, "fetching", total, isTerminalWriter(env.Stderr), 5*time.Second)
		f := &download.Fetcher{Client: client, Cache: c, Parallel: 4, BaseDir: filepath.Dir(lockPath), Progress: rep}
		paths, err := f.Fetch(ctx, arts)
		if err != nil {
			return err
		}
		rep.Finish()
		va := make([]verify.Artifact, len(paths))
		for i, p := range paths {
			va[i] = verify.Artifact{Owner: owners[i], Path: p}
		}
		s, err := verify.ScanFloor(ctx, pl.Platform, verify.GlibcFloor(pl), va)
		if err != nil {
			return err
		}
		printFloorScan(env.Stdout, s)
		above += len(s.Problems)
	}
	if above > 0 {
		return &exitError{code: exitFloor, msg: fmt.Sprintf("%s: some locked files need a newer glibc than the lock's floor; raise system: glibc in env.cue and re-lock, or pin versions of those packages that need no newer glibc", filepath.Base(lockPath))}
	}
	return nil
}

func printFloorScan(w io.Writer, s *verify.FloorScan) {
	fmt.Fprintf(w, "scan %s: %d artifacts, %d ELF files; newest glibc needed %s", s.Platform, s.Artifacts, s.ELF, orDash(s.Glibc))
	if s.GlibcFile != "" {
		fmt.Fprintf(w, " (%s)", s.GlibcFile)
	}
	fmt.Fprintf(w, "; floor glibc %s\n", orDash(s.Floor))
	printELFProblems(w, s.Problems)
	for _, u := range s.Unreadable {
		fmt.Fprintf(w, "  unreadable %s\n", u)
	}
	if len(s.Problems) == 0 {
		fmt.Fprintf(w, "ok: every ELF file of %s runs on glibc %s\n", s.Platform, orDash(s.Floor))
	}
}
