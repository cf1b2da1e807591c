package verify

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/elftest"
	"github.com/envlock/envlock/verify/elfscan"
)

// floorPackage is a package whose library needs GLIBC_2.30: above the
// demo lock's floor (2.17), below the host glibc the tests pretend
// (CONDA_OVERRIDE_GLIBC=2.40).
func floorPackage(t *testing.T) *condapkg.Package {
	lib := elftest.LibNeedingGlibc(t, "2.30")
	return &condapkg.Package{Name: "native", Version: "1.0", Build: "h0_0", Timestamp: 1700000000000,
		Files: []condapkg.File{{Path: "lib/libfloor.so", Data: lib}}}
}

// TestFloorIncompatible: a file that loads here but needs a newer glibc
// than the lock's floor makes the status floor-incompatible (exit 5),
// the problem naming file, need, floor and package; with the host below
// the need too, it is host-incompatible instead.
func TestFloorIncompatible(t *testing.T) {
	e := demoEnv(t, floorPackage(t))
	floor := e.lock.Platform("linux-64")
	if GlibcFloor(floor) != "2.17" {
		t.Fatalf("the demo lock's floor is %q, want 2.17", GlibcFloor(floor))
	}
	r := e.verify(t, Options{Host: glibcHost(t, map[string]string{"CONDA_OVERRIDE_GLIBC": "2.40"})})
	if r.Status != StatusFloor || ExitCode(r.Status) != 5 {
		t.Fatalf("status = %s (exit %d), want %s (exit 5); file issues %v, ELF %v", r.Status, ExitCode(r.Status), StatusFloor, issues(r), r.ELF.Problems)
	}
	want := []elfscan.Problem{{Kind: elfscan.KindFloor, File: "lib/libfloor.so", Package: "native-1.0-h0_0", Library: "libc.so.6", Need: "GLIBC_2.30", Have: "glibc 2.17"}}
	if diff := cmp.Diff(want, r.ELF.Problems); diff != "" {
		t.Errorf("ELF problems (-want +got):\n%s", diff)
	}
	if r.Lock.GlibcFloor != "2.17" || r.ELF.Floor != "2.17" {
		t.Errorf("report floor = %q / %q, want 2.17", r.Lock.GlibcFloor, r.ELF.Floor)
	}
	if got := want[0].String(); got != "lib/libfloor.so needs GLIBC_2.30, above the lock's floor glibc 2.17" {
		t.Errorf("problem reads %q", got)
	}

	r = e.verify(t, Options{Host: glibcHost(t, map[string]string{"CONDA_OVERRIDE_GLIBC": "2.28"})})
	if r.Status != StatusHost {
		t.Fatalf("status = %s, want %s", r.Status, StatusHost)
	}
	if len(r.ELF.Problems) != 1 || r.ELF.Problems[0].Kind != elfscan.KindGlibc {
		t.Errorf("problems = %v, want one glibc problem", r.ELF.Problems)
	}

	// doctor -p says the same, as a check that passes here.
	d := Doctor(e.lock, "linux-64", glibcHost(t, map[string]string{"CONDA_OVERRIDE_GLIBC": "2.40"}))
	if err := DoctorPrefix(context.Background(), d, Options{Prefix: e.prefix, Lock: e.lock, LockData: e.data, LockPath: e.lockPath}); err != nil {
		t.Fatal(err)
	}
	if !d.OK || !d.BelowFloor {
		t.Fatalf("doctor: ok %v, below floor %v; checks %+v", d.OK, d.BelowFloor, d.Checks)
	}
	last := d.Checks[len(d.Checks)-1]
	if last.Name != "elf lib/libfloor.so" || last.Need != "GLIBC_2.30" || len(last.Packages) != 1 || last.Packages[0] != "native-1.0-h0_0" || !last.BelowFloor {
		t.Errorf("doctor check = %+v", last)
	}
}

// TestScanFloor reads the same library from the package archive, before
// anything is installed.
func TestScanFloor(t *testing.T) {
	p := floorPackage(t)
	dir := t.TempDir()
	b, err := p.Bytes(".conda")
	if err != nil {
		t.Fatal(err)
	}
	fn := filepath.Join(dir, p.Fn(".conda"))
	os.WriteFile(fn, b, 0o644)
	s, err := ScanFloor(context.Background(), "linux-64", "2.17", []Artifact{{Owner: "native-1.0-h0_0", Path: fn}})
	if err != nil {
		t.Fatal(err)
	}
	want := []elfscan.Problem{{Kind: elfscan.KindFloor, File: "lib/libfloor.so", Package: "native-1.0-h0_0", Library: "libc.so.6", Need: "GLIBC_2.30", Have: "glibc 2.17"}}
	if diff := cmp.Diff(want, s.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if s.ELF != 1 || s.Glibc != "2.30" || s.GlibcFile != "native-1.0-h0_0: lib/libfloor.so" {
		t.Errorf("scan = %+v", s)
	}
	s, err = ScanFloor(context.Background(), "linux-64", "2.30", []Artifact{{Owner: "native-1.0-h0_0", Path: fn}})
	if err != nil || len(s.Problems) != 0 {
		t.Errorf("at floor 2.30: %v, %v; want no problems", s.Problems, err)
	}
}
