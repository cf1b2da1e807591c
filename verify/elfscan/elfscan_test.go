package elfscan

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/install/extract"
	"github.com/envlock/envlock/internal/elftest"
	"github.com/envlock/envlock/internal/testdata"
	"github.com/envlock/envlock/internal/testenv"
)

// readelfNeeds runs binutils' readelf and returns the version needs it
// shows, library → sorted versions, and the DT_NEEDED list.
func readelfNeeds(t *testing.T, path string) (map[string][]string, []string) {
	t.Helper()
	re := testenv.Tool(t, "readelf", "the comparison with binutils' readelf needs it: apt-get install binutils")
	out, err := exec.Command(re, "-V", "-d", "--wide", path).Output()
	if err != nil {
		t.Fatalf("readelf %s: %v", path, err)
	}
	needs := map[string][]string{}
	var needed []string
	fileRE := regexp.MustCompile(`File: (\S+)\s+Cnt:`)
	nameRE := regexp.MustCompile(`Name: (\S+)\s+Flags:`)
	neededRE := regexp.MustCompile(`\(NEEDED\)\s+Shared library: \[(.+)\]`)
	inNeed, cur := false, ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		l := sc.Text()
		if m := neededRE.FindStringSubmatch(l); m != nil {
			needed = append(needed, m[1])
		}
		if strings.HasPrefix(l, "Version needs section") {
			inNeed = true
			continue
		}
		if strings.HasPrefix(l, "Version definition section") || strings.HasPrefix(l, "Version symbols section") {
			inNeed = false
		}
		if !inNeed {
			continue
		}
		if m := fileRE.FindStringSubmatch(l); m != nil {
			cur = m[1]
			needs[cur] = nil
		} else if m := nameRE.FindStringSubmatch(l); m != nil && cur != "" {
			needs[cur] = append(needs[cur], m[1])
		}
	}
	for k := range needs {
		sort.Strings(needs[k])
	}
	return needs, needed
}

func ourNeeds(info *Info) map[string][]string {
	m := map[string][]string{}
	for _, n := range info.Needs {
		v := append([]string(nil), n.Versions...)
		sort.Strings(v)
		m[n.Library] = v
	}
	return m
}

// TestReadMatchesReadelf reads real ELF files of the Debian system and
// of the real zlib package and requires the GLIBC needs and DT_NEEDED
// that readelf shows.
func TestReadMatchesReadelf(t *testing.T) {
	var files []string
	for _, p := range []string{"/usr/bin/python3", "/bin/ls", "/usr/bin/tar", "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if rp, err := filepath.EvalSymlinks(p); err == nil {
			files = append(files, rp)
		}
	}
	if len(files) < 3 {
		t.Fatalf("found only %d of the system's ELF files to compare: %v", len(files), files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { matchReadelf(t, f) })
	}
	// The real zlib package's library: ../shared data, so a subtest of its
	// own; the system files above need nothing but this machine.
	t.Run("anaconda-zlib", func(t *testing.T) {
		pkg := testdata.SharedPath(t, "packages/anaconda-zlib/linux-64/zlib-1.2.11-h7b6447c_3.conda")
		dir := t.TempDir()
		if _, err := extract.Into(context.Background(), pkg, dir); err != nil {
			t.Fatal(err)
		}
		m, _ := filepath.Glob(filepath.Join(dir, "lib", "libz.so.1.*"))
		if len(m) != 1 {
			t.Fatalf("the zlib package holds %v, want one lib/libz.so.1.*", m)
		}
		matchReadelf(t, m[0])
	})
}

// matchReadelf requires the GLIBC needs and DT_NEEDED of the ELF file f
// that readelf shows.
func matchReadelf(t *testing.T, f string) {
	t.Helper()
	info, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	wantNeeds, wantNeeded := readelfNeeds(t, f)
	if diff := cmp.Diff(wantNeeds, ourNeeds(info)); diff != "" {
		t.Errorf("version needs differ from readelf (-readelf +envlock):\n%s", diff)
	}
	if diff := cmp.Diff(wantNeeded, info.Needed); diff != "" {
		t.Errorf("DT_NEEDED differs from readelf (-readelf +envlock):\n%s", diff)
	}
	t.Logf("%s: needs GLIBC_%s, DT_NEEDED %v", f, info.MaxVersion("GLIBC_"), info.Needed)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestReadNotELF(t *testing.T) {
	p := filepath.Join(t.TempDir(), "script")
	os.WriteFile(p, []byte("#!/bin/sh\necho hi\n"), 0o755)
	if _, err := Read(p); err != ErrNotELF {
		t.Fatalf("Read(script) = %v, want ErrNotELF", err)
	}
	// ELF magic then garbage: an error naming the file, no panic.
	os.WriteFile(p, append([]byte("\x7fELF\x02\x01\x01"), bytes.Repeat([]byte{0xff}, 100)...), 0o755)
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("Read(corrupt) = %v, want an error naming the file", err)
	}
}

func TestScanFindsEachProblem(t *testing.T) {
	prefix := t.TempDir()
	elftest.Build(t, prefix)
	os.WriteFile(filepath.Join(prefix, "bin", "script"), []byte("#!/bin/sh\n"), 0o755)
	owners := map[string]string{
		"lib/libfuture.so":  "future-1.0-0",
		"lib/libhaunted.so": "haunted-1.0-0",
		"bin/usever":        "usever-1.0-0",
	}
	res, err := Scan(context.Background(), Options{
		Prefix: prefix, Libc: "glibc", Glibc: "2.36",
		LibDirs: []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"},
		Owner:   func(rel string) string { return owners[rel] },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		{Kind: KindSymbolVersion, File: "bin/usever", Package: "usever-1.0-0", Library: "libver.so.1", Need: "VER_2", Have: "VER_1"},
		{Kind: KindGlibc, File: "lib/libfuture.so", Package: "future-1.0-0", Library: "libc.so.6", Need: "GLIBC_99.0", Have: "glibc 2.36"},
		{Kind: KindMissingLibrary, File: "lib/libhaunted.so", Package: "haunted-1.0-0", Need: "libghost.so.1"},
	}
	if diff := cmp.Diff(want, res.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if res.Glibc != "99.0" || res.GlibcFile != "lib/libfuture.so" {
		t.Errorf("newest glibc need = %s by %s, want 99.0 by lib/libfuture.so", res.Glibc, res.GlibcFile)
	}
	if res.ELF != 5 || res.Files != 6 {
		t.Errorf("scanned %d files, %d ELF; want 6 and 5", res.Files, res.ELF)
	}
	for _, p := range res.Problems {
		t.Log(p)
	}

	// On a musl host every GLIBC_ need is a problem.
	res, err = Scan(context.Background(), Options{Prefix: prefix, Libc: "musl"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range res.Problems {
		if p.Kind == KindGlibc {
			n++
			if p.Have != "musl (no glibc)" {
				t.Errorf("musl problem says have %q", p.Have)
			}
		}
	}
	if n == 0 {
		t.Error("a musl host reported no glibc problems")
	}
}

func FuzzRead(f *testing.F) {
	for _, p := range []string{"/bin/true", "/lib/x86_64-linux-gnu/libz.so.1"} {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<20 {
			f.Add(b)
		}
	}
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ReadFrom(bytes.NewReader(b), "fuzz")
		if err == nil && info != nil {
			info.MaxVersion("GLIBC_")
			info.Dynamic()
		}
	})
}
