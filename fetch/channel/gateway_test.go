package channel_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/envlock/envlock/fetch/channel"
	"github.com/envlock/envlock/fetch/shards"
	"github.com/envlock/envlock/internal/condaindex"
	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/scale"
	"github.com/envlock/envlock/lock"
	"github.com/envlock/envlock/lock/lockfile"
	"github.com/envlock/envlock/lock/solve"
	"github.com/envlock/envlock/spec"
	"github.com/envlock/envlock/spec/platform"
	"github.com/envlock/envlock/spec/repodata"
)

// stack is a small channel with the shapes that matter: several versions,
// a package in both formats (twins), noarch python packages, virtual
// package dependencies, and names no request reaches.
func stack() []*condapkg.Package {
	p := func(name, ver, build string, deps ...string) *condapkg.Package {
		return &condapkg.Package{Name: name, Version: ver, Build: build, Depends: deps, Timestamp: 1700000000000,
			Files: []condapkg.File{{Path: "share/" + name + "/" + ver + ".txt", Data: []byte(name + " " + ver + "\n")}}}
	}
	noarch := func(q *condapkg.Package) *condapkg.Package { q.Noarch = "python"; return q }
	return []*condapkg.Package{
		p("python", "3.9.18", "h0_0_cpython", "libzlib >=1.2.13,<2", "__glibc >=2.17"),
		p("python", "3.11.2", "h0_0_cpython", "libzlib >=1.2.13,<2", "__glibc >=2.17"),
		p("python", "3.12.1", "h0_0_cpython", "libzlib >=1.3,<2", "__glibc >=2.28"),
		p("libzlib", "1.2.13", "hd590300_5"),
		p("libzlib", "1.3.1", "hd590300_0"),
		p("libblas", "3.9.0", "20_linux64_openblas", "libopenblas >=0.3.25,<1"),
		p("libopenblas", "0.3.25", "pthreads_h413a1c8_0", "__glibc >=2.17"),
		p("numpy", "1.26.4", "py311h64a7726_0", "python >=3.11,<3.12.0a0", "libblas >=3.9.0,<4"),
		p("numpy", "1.26.4", "py39h474f0d3_0", "python >=3.9,<3.10.0a0", "libblas >=3.9.0,<4"),
		p("numpy", "2.0.0", "py312h22e1c76_0", "python >=3.12,<3.13.0a0", "libblas >=3.9.0,<4"),
		p("scipy", "1.11.4", "py311h64a7726_0", "numpy >=1.23.5,<2", "python >=3.11,<3.12.0a0", "libblas >=3.9.0,<4"),
		noarch(p("six", "1.16.0", "pyh6c4a22f_0", "python")),
		noarch(p("requests", "2.31.0", "pyhd8ed1ab_0", "python >=3.7", "six", "certifi >=2017.4.17")),
		noarch(p("certifi", "2024.2.2", "pyhd8ed1ab_0", "python >=3.7")),
		p("unrelated", "1.0", "h0_0", "also-unrelated"),
		p("also-unrelated", "1.0", "h0_0"),
	}
}

// writeStack writes the stack as a channel in dir and indexes it with the
// real conda-index: shards, and repodata.json unless shardsOnly. libzlib
// 1.2.13 is in both formats.
func writeStack(t *testing.T, dir string, shardsOnly bool, extra ...*condapkg.Package) {
	t.Helper()
	writeStackArgs(t, dir, shardsOnly, nil, extra...)
}

// writeStackArgs is writeStack with more conda-index arguments.
func writeStackArgs(t *testing.T, dir string, shardsOnly bool, more []string, extra ...*condapkg.Package) {
	t.Helper()
	condaindex.Python(t)
	pkgs := append(stack(), extra...)
	if err := condapkg.WriteChannel(dir, pkgs, func(p *condapkg.Package) string {
		if p.Name == "python" && p.Version == "3.9.18" {
			return ".tar.bz2"
		}
		return ".conda"
	}); err != nil {
		t.Fatal(err)
	}
	twin := stack()[3]
	data, err := twin.Bytes(".tar.bz2")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "linux-64", twin.Fn(".tar.bz2")), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"linux-64", "noarch", "osx-arm64"} {
		os.Remove(filepath.Join(dir, s, "repodata.json"))
	}
	args := []string{"--write-shards", "--no-channeldata", "--no-run-exports", "--no-current-repodata"}
	if shardsOnly {
		args = append(args, "--no-write-monolithic")
	}
	condaindex.Run(t, dir, append(args, more...)...)
	if _, err := os.Stat(filepath.Join(dir, "linux-64", shards.IndexFile)); err != nil {
		t.Fatalf("conda-index wrote no shard index: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "linux-64", "repodata.json")); shardsOnly != errors.Is(err, os.ErrNotExist) {
		t.Fatalf("repodata.json present = %v, want %v", err == nil, !shardsOnly)
	}
}

// server serves dir over loopback HTTP, counting requests by path and
// 304s; each served file is revalidated (no max-age).
type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests map[string]int
	notMod   int
}

func serve(t *testing.T, dir string) *server {
	s := &server{requests: map[string]int{}}
	fs := http.FileServer(http.Dir(dir))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w}
		fs.ServeHTTP(rec, r)
		s.mu.Lock()
		s.requests[r.URL.Path]++
		if rec.status == http.StatusNotModified {
			s.notMod++
		}
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) count(pred func(path string) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, c := range s.requests {
		if pred(p) {
			n += c
		}
	}
	return n
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func newClient(cache string) *channel.Client {
	c := channel.NewClient(cache, func(string) string { return "" })
	c.Retries = 0
	return c
}

// solveWith solves specs on linux-64 through a gateway and returns the
// chosen records as lines.
func solveWith(t *testing.T, g *channel.Gateway, chURL string, specs ...string) ([]string, *channel.Index) {
	t.Helper()
	ch, err := channel.Parse(chURL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ix, err := g.Index(ctx, []channel.Channel{ch}, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	var roots []string
	for _, s := range specs {
		roots = append(roots, strings.Fields(s)[0])
	}
	if err := ix.Prefetch(ctx, roots); err != nil {
		t.Fatal(err)
	}
	m, err := spec.Load(projectFor(t, chURL, specs), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lock.Resolve(ctx, m, lock.Options{
		Channels: []lockfile.Channel{{Name: chURL, URL: ch.URL}},
		Index: func(ctx context.Context, p platform.Platform, roots []string) (solve.Index, error) {
			return ix, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, pk := range l.Platforms[0].Packages {
		out = append(out, pk.Name+" "+pk.Version+" "+pk.Build+" "+pk.URL+" "+pk.SHA256)
	}
	return out, ix
}

// projectFor writes an env.cue for specs on chURL, linux-64 only.
func projectFor(t *testing.T, chURL string, specs []string) string {
	dir := t.TempDir()
	var deps strings.Builder
	for _, s := range specs {
		name, rest, _ := strings.Cut(s, " ")
		if rest == "" {
			rest = "*"
		}
		deps.WriteString("\t\"" + name + "\": \"" + rest + "\"\n")
	}
	cue := "package env\n\nname: \"t\"\nchannels: [\"" + chURL + "\"]\nplatforms: [\"linux-64\"]\nsystem: glibc: \"2.17\"\ndependencies: {\n" + deps.String() + "}\n"
	if err := os.WriteFile(filepath.Join(dir, "env.cue"), []byte(cue), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lockBytes resolves the project for specs on chURL with the given source
// and returns the lock's bytes.
func lockBytes(t *testing.T, chURL string, specs []string, opts lock.Options) []byte {
	t.Helper()
	m, err := spec.Load(projectFor(t, chURL, specs), nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := channel.Parse(chURL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	opts.Channels = []lockfile.Channel{{Name: chURL, URL: ch.URL}}
	l, err := lock.Resolve(context.Background(), m, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gatewaySource(g *channel.Gateway, chURL string) lock.IndexSource {
	return func(ctx context.Context, p platform.Platform, roots []string) (solve.Index, error) {
		ch, err := channel.Parse(chURL, "", "")
		if err != nil {
			return nil, err
		}
		ix, err := g.Index(ctx, []channel.Channel{ch}, p)
		if err != nil {
			return nil, err
		}
		return ix, ix.Prefetch(ctx, roots)
	}
}

func eagerSource(c *channel.Client, chURL string) lock.Source {
	return func(ctx context.Context, p platform.Platform) ([]*repodata.Record, error) {
		ch, err := channel.Parse(chURL, "", "")
		if err != nil {
			return nil, err
		}
		return c.LoadAll(ctx, []channel.Channel{ch}, p)
	}
}

var requests = [][]string{
	{"numpy", "scipy", "requests"},
	{"python 3.9.*", "numpy"},
	{"numpy >=1.26", "python 3.11.*"},
	{"requests", "six"},
}

// TestShardsLockEqualsRepodata: the same channel, indexed by the real
// conda-index, locks the same from its shards as from its repodata.json,
// over loopback HTTP and as a file:// channel; and the shards fetched are
// only those of the names the request reaches.
func TestShardsLockEqualsRepodata(t *testing.T) {
	dir := t.TempDir()
	writeStack(t, dir, false)
	srv := serve(t, dir)
	for _, chURL := range []string{srv.URL, "file://" + dir} {
		for _, specs := range requests {
			t.Run(strings.Join(specs, ",")+"@"+chURL[:4], func(t *testing.T) {
				eager := lockBytes(t, chURL, specs, lock.Options{Source: eagerSource(newClient(t.TempDir()), chURL)})
				json := channel.NewGateway(newClient(t.TempDir()))
				json.NoShards = true
				lazy := lockBytes(t, chURL, specs, lock.Options{Index: gatewaySource(json, chURL)})
				g := channel.NewGateway(newClient(t.TempDir()))
				sharded := lockBytes(t, chURL, specs, lock.Options{Index: gatewaySource(g, chURL)})
				if !bytes.Equal(eager, sharded) {
					t.Errorf("lock from shards differs from the lock from repodata.json:\n--- repodata.json\n%s\n--- shards\n%s", eager, sharded)
				}
				if !bytes.Equal(eager, lazy) {
					t.Errorf("lock from lazily read repodata.json differs from the eager one:\n--- eager\n%s\n--- lazy\n%s", eager, lazy)
				}
				st := g.Stats()
				if st.RepodataNetwork+st.RepodataLocal+st.RepodataCache != 0 {
					t.Errorf("the sharded lock read repodata.json: %+v", st)
				}
				if st.ShardsNetwork+st.ShardsLocal == 0 {
					t.Errorf("no shards read: %+v", st)
				}
				if st := json.Stats(); st.ShardsNetwork+st.ShardsLocal+st.ShardIndexesNetwork+st.ShardIndexesLocal != 0 {
					t.Errorf("NoShards read shards: %+v", st)
				}
			})
		}
	}
	if n := srv.count(func(p string) bool { return strings.Contains(p, "unrelated") }); n != 0 {
		t.Errorf("%d requests for packages of unreached names", n)
	}
}

// TestShardsOnlyChannel: a channel with shards and no repodata.json locks
// (the eager reader says it has no repodata), and only the reached names'
// shards are fetched.
func TestShardsOnlyChannel(t *testing.T) {
	dir := t.TempDir()
	writeStack(t, dir, true)
	srv := serve(t, dir)
	g := channel.NewGateway(newClient(t.TempDir()))
	got, _ := solveWith(t, g, srv.URL, "numpy", "requests")
	want := []string{"certifi 2024.2.2", "libblas 3.9.0", "libopenblas 0.3.25", "libzlib 1.3.1", "numpy 1.26.4", "python 3.11.2", "requests 2.31.0", "six 1.16.0"}
	var names []string
	for _, l := range got {
		f := strings.Fields(l)
		names = append(names, f[0]+" "+f[1])
		if !strings.HasPrefix(f[3], srv.URL+"/") || len(f[4]) != 64 {
			t.Errorf("record %s: want a URL on the server and a sha256", l)
		}
	}
	sort.Strings(names)
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("locked:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	st := g.Stats()
	// Reached: python, libzlib, numpy, libblas, libopenblas in linux-64;
	// requests, six, certifi in noarch (and python etc. absent there).
	if st.ShardsNetwork != 8 {
		t.Errorf("%d shards fetched, want 8 (the reached names only): %+v", st.ShardsNetwork, st)
	}
	if n := srv.count(func(p string) bool {
		return strings.HasSuffix(p, "repodata.json") || strings.HasSuffix(p, "repodata.json.zst")
	}); n != 0 {
		t.Errorf("%d requests for repodata.json", n)
	}
	// Reading a whole platform (search, solve) reads every shard.
	ch, _ := channel.Parse(srv.URL, "", "")
	all, err := newClient(t.TempDir()).LoadAll(context.Background(), []channel.Channel{ch}, platform.Linux64)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range all {
		have[r.Subdir+"/"+r.Fn] = true
	}
	if len(all) != 16 || !have["linux-64/unrelated-1.0-h0_0.conda"] || !have["noarch/six-1.16.0-pyh6c4a22f_0.conda"] || have["linux-64/libzlib-1.2.13-hd590300_5.tar.bz2"] {
		t.Errorf("LoadAll on a shards-only channel: %d records %v, want the 16 of the stack (twins merged)", len(all), have)
	}
}

// TestShardsRevalidateAndOffline: a cached shard index is revalidated (304
// when unchanged; a changed index is read again and its new package seen);
// cached shards are never requested again; offline, the cache alone locks.
func TestShardsRevalidateAndOffline(t *testing.T) {
	dir := t.TempDir()
	writeStack(t, dir, true)
	srv := serve(t, dir)
	cache := t.TempDir()
	isIndex := func(p string) bool { return strings.HasSuffix(p, shards.IndexFile) }
	isShard := func(p string) bool { return strings.HasSuffix(p, ".msgpack.zst") && !isIndex(p) }

	first, _ := solveWith(t, channel.NewGateway(newClient(cache)), srv.URL, "numpy")
	shardReqs := srv.count(isShard)

	g := channel.NewGateway(newClient(cache))
	again, _ := solveWith(t, g, srv.URL, "numpy")
	if strings.Join(first, "\n") != strings.Join(again, "\n") {
		t.Errorf("second lock differs:\n%s\n---\n%s", first, again)
	}
	if srv.notMod == 0 {
		t.Errorf("the cached shard index was not revalidated (no 304)")
	}
	if n := srv.count(isShard); n != shardReqs {
		t.Errorf("%d shard requests after a warm lock, want %d: cached shards are immutable", n, shardReqs)
	}
	if st := g.Stats(); st.ShardsNetwork != 0 || st.ShardsCache == 0 || st.ShardIndexesCache == 0 {
		t.Errorf("warm stats %+v: want every shard and index from the cache", st)
	}

	// A new numpy build: conda-index rewrites the numpy shard and the index.
	newer := &condapkg.Package{Name: "numpy", Version: "1.26.5", Build: "py311h64a7726_0", Depends: []string{"python >=3.11,<3.12.0a0", "libblas >=3.9.0,<4"},
		Timestamp: 1710000000000, Files: []condapkg.File{{Path: "share/numpy/x", Data: []byte("x")}}}
	writeStack(t, dir, true, newer)
	// A real server's clock moves on between two indexings; here both can
	// fall in one second, and Last-Modified has one-second resolution, so
	// the rewritten indexes are dated later explicitly.
	later := time.Now().Add(2 * time.Second)
	for _, sub := range []string{"linux-64", "noarch"} {
		if p := filepath.Join(dir, sub, shards.IndexFile); fileExists(p) {
			if err := os.Chtimes(p, later, later); err != nil {
				t.Fatal(err)
			}
		}
	}
	g = channel.NewGateway(newClient(cache))
	updated, _ := solveWith(t, g, srv.URL, "numpy")
	if !strings.Contains(strings.Join(updated, "\n"), "numpy 1.26.5 ") {
		t.Errorf("after the index changed, locked:\n%s\nwant numpy 1.26.5", strings.Join(updated, "\n"))
	}
	if st := g.Stats(); st.ShardIndexesNetwork == 0 || st.ShardsNetwork != 1 {
		t.Errorf("stats after the change %+v: want the index read again and only numpy's new shard fetched", st)
	}

	// Offline: no requests at all.
	before := srv.count(func(string) bool { return true })
	c := newClient(cache)
	c.Offline = true
	offline, _ := solveWith(t, channel.NewGateway(c), srv.URL, "numpy")
	if strings.Join(offline, "\n") != strings.Join(updated, "\n") {
		t.Errorf("offline lock differs:\n%s\n---\n%s", offline, updated)
	}
	if n := srv.count(func(string) bool { return true }); n != before {
		t.Errorf("%d requests while offline", n-before)
	}
	// Offline with a cold cache: a clear error naming what to do.
	c = newClient(t.TempDir())
	c.Offline = true
	ch, _ := channel.Parse(srv.URL, "", "")
	_, err := channel.NewGateway(c).Index(context.Background(), []channel.Channel{ch}, platform.Linux64)
	if err == nil || !errors.Is(err, channel.ErrOffline) || !strings.Contains(err.Error(), "run once with network access") {
		t.Errorf("cold offline = %v, want ErrOffline with a hint", err)
	}
}

// TestCorruptShards: a shard that is not what its name says, or not zstd,
// or not msgpack, is refused with an error naming the channel, the
// package and the problem, and nothing damaged is cached.
func TestCorruptShards(t *testing.T) {
	dir := t.TempDir()
	writeStack(t, dir, true)
	idxPath := filepath.Join(dir, "linux-64", shards.IndexFile)
	raw, err := os.ReadFile(idxPath)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := shards.ParseIndex(raw)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "linux-64", idx.Shards["numpy"].String()+".msgpack.zst")
	enc, _ := zstd.NewWriter(nil)
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T)
		msg     string
	}{
		{"hash mismatch", func(t *testing.T) {
			data, _ := os.ReadFile(good)
			data[len(data)/2] ^= 0xff
			os.WriteFile(good, data, 0o644)
		}, "shard for numpy: sha256 is "},
		{"bad zstd", func(t *testing.T) {
			rewriteIndex(t, idxPath, "numpy", []byte("not zstd at all"))
		}, "shard for numpy: not valid zstd"},
		{"bad msgpack", func(t *testing.T) {
			rewriteIndex(t, idxPath, "numpy", enc.EncodeAll([]byte{0xc1, 0x00}, nil))
		}, "shard for numpy: not valid msgpack"},
		{"wrong name", func(t *testing.T) {
			six, _ := os.ReadFile(filepath.Join(dir, "linux-64", idx.Shards["libblas"].String()+".msgpack.zst"))
			rewriteIndex(t, idxPath, "numpy", six)
		}, `is named "libblas", not "numpy"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved, _ := os.ReadFile(good)
			savedIdx, _ := os.ReadFile(idxPath)
			defer os.WriteFile(good, saved, 0o644)
			defer os.WriteFile(idxPath, savedIdx, 0o644)
			tc.corrupt(t)
			for _, chURL := range []string{serve(t, dir).URL, "file://" + dir} {
				cache := t.TempDir()
				ch, _ := channel.Parse(chURL, "", "")
				ix, err := channel.NewGateway(newClient(cache)).Index(context.Background(), []channel.Channel{ch}, platform.Linux64)
				if err != nil {
					t.Fatal(err)
				}
				_, err = ix.Load(context.Background(), "numpy")
				if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "channel "+ch.Given+", linux-64") {
					t.Errorf("%s: Load(numpy) = %v, want an error with %q naming the channel", chURL, err, tc.msg)
				}
				if cached, _ := filepath.Glob(filepath.Join(cache, "shards", "*")); len(cached) != 0 && tc.name == "hash mismatch" {
					t.Errorf("a shard that fails its hash was cached: %v", cached)
				}
				var fe *shards.FormatError
				if !errors.As(err, &fe) {
					t.Errorf("error %v is not a *shards.FormatError", err)
				}
			}
		})
	}
}

// rewriteIndex writes shard data for name into the channel and points
// the index at it, re-encoding the index as conda-index does.
func rewriteIndex(t *testing.T, idxPath, name string, data []byte) {
	t.Helper()
	h := shards.Hash(sha256.Sum256(data))
	if err := os.WriteFile(filepath.Join(filepath.Dir(idxPath), h.String()+".msgpack.zst"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(idxPath)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := shards.ParseIndex(raw)
	if err != nil {
		t.Fatal(err)
	}
	idx.Shards[name] = h
	out, err := shards.EncodeIndex(idx)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(idxPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGatewayConcurrent: several platforms' solves share a gateway (and
// its noarch subdir); loads of the same names from many goroutines give
// the same records, each name read once. Run with -race.
func TestGatewayConcurrent(t *testing.T) {
	dir := t.TempDir()
	if err := condapkg.WriteChannel(dir, stack(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := scale.Shard(dir); err != nil {
		t.Fatal(err)
	}
	for _, sharded := range []bool{true, false} {
		g := channel.NewGateway(newClient(t.TempDir()))
		g.NoShards = !sharded
		ch, _ := channel.Parse(dir, "", "")
		var wg sync.WaitGroup
		results := make([][]*repodata.Record, 8)
		for i := range results {
			wg.Go(func() {
				p := platform.Linux64
				if i%2 == 1 {
					p = platform.OsxArm64
				}
				ix, err := g.Index(context.Background(), []channel.Channel{ch}, p)
				if err != nil {
					t.Error(err)
					return
				}
				if err := ix.Prefetch(context.Background(), []string{"requests"}); err != nil {
					t.Error(err)
				}
				results[i] = ix.Records("six")
			})
		}
		wg.Wait()
		for i, r := range results {
			if len(r) != 1 || r[0] != results[0][0] {
				t.Fatalf("sharded=%v: goroutine %d got %v, want the one shared six record", sharded, i, r)
			}
		}
		// requests, six, certifi in noarch, python and libzlib in
		// linux-64 (osx-arm64 serves repodata.json here), each once.
		if st := g.Stats(); sharded && st.ShardsLocal != 5 {
			t.Errorf("%d shards read, want 5, each once", st.ShardsLocal)
		}
		g.Close()
	}
}

// TestShardsBaseURL: packages live where the shard index's CEP-15
// base_url says (conda-index --base-url), not beside the shards.
func TestShardsBaseURL(t *testing.T) {
	dir := t.TempDir()
	writeStackArgs(t, dir, true, []string{"--base-url", "https://pkgs.example/mirror"})
	srv := serve(t, dir)
	for _, chURL := range []string{srv.URL, "file://" + dir} {
		ch, _ := channel.Parse(chURL, "", "")
		ix, err := channel.NewGateway(newClient(t.TempDir())).Index(context.Background(), []channel.Channel{ch}, platform.Linux64)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"numpy", "six"} {
			recs, err := ix.Load(context.Background(), name)
			if err != nil || len(recs) == 0 {
				t.Fatalf("%s: %v, %v", name, recs, err)
			}
			for _, r := range recs {
				want := "https://pkgs.example/mirror/" + r.Subdir + "/" + r.Fn
				if r.URL != want || r.Channel != ch.URL {
					t.Errorf("%s: url %s channel %s, want %s from %s", r.Fn, r.URL, r.Channel, want, ch.URL)
				}
			}
		}
	}
}

// TestSavedIndex: a repodata.json read once is not skimmed again — its
// index is saved in the cache and read back (a damaged one is replaced);
// records are the same either way.
func TestSavedIndex(t *testing.T) {
	dir := t.TempDir()
	if err := condapkg.WriteChannel(dir, stack(), nil); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	ch, _ := channel.Parse(dir, "", "")
	read := func() []string {
		g := channel.NewGateway(newClient(cache))
		defer g.Close()
		ix, err := g.Index(context.Background(), []channel.Channel{ch}, platform.Linux64)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range []string{"numpy", "python", "six", "absent"} {
			recs, err := ix.Load(context.Background(), n)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				out = append(out, r.URL+" "+r.SHA256+" "+strings.Join(r.Depends, ","))
			}
		}
		return out
	}
	first := read()
	saved, _ := filepath.Glob(filepath.Join(cache, "repodata", "*.lazyidx"))
	if len(saved) != 2 {
		t.Fatalf("saved indexes %v, want one per subdir read (linux-64 and noarch)", saved)
	}
	if got := read(); strings.Join(got, "\n") != strings.Join(first, "\n") {
		t.Errorf("through the saved index:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(first, "\n"))
	}
	for _, p := range saved {
		os.WriteFile(p, []byte("damaged"), 0o644)
	}
	if got := read(); strings.Join(got, "\n") != strings.Join(first, "\n") {
		t.Errorf("after damaging the saved index:\n%s", strings.Join(got, "\n"))
	}
	if b, _ := os.ReadFile(saved[0]); string(b) == "damaged" {
		t.Errorf("a damaged saved index was not replaced")
	}
}

// TestNoShardsForbidden: a host that answers 403 for a missing shard
// index (as S3 does for a missing key) is read through repodata.json.
func TestNoShardsForbidden(t *testing.T) {
	dir := t.TempDir()
	if err := condapkg.WriteChannel(dir, stack(), nil); err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(r.URL.Path))); err != nil {
			http.Error(w, "AccessDenied", http.StatusForbidden)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	g := channel.NewGateway(newClient(t.TempDir()))
	got, _ := solveWith(t, g, srv.URL, "numpy")
	if len(got) == 0 {
		t.Fatal("nothing locked")
	}
	if st := g.Stats(); st.RepodataNetwork != 2 || st.ShardIndexesNetwork != 0 {
		t.Errorf("stats %+v: want linux-64 and noarch read from repodata.json", st)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
