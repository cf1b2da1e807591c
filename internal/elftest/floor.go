package elftest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
)

// NeedingGlibc writes to out a shared library that needs GLIBC_<ver> from
// libc.so.6 and nothing newer, whatever glibc the host has: it is linked
// against a stub libc.so.6 whose version script defines only that
// version (the file is for scanning, not for loading). It returns an
// error when gcc is missing or fails.
func NeedingGlibc(out, ver string) error {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		return fmt.Errorf("gcc is not available (apt-get install gcc): %w", err)
	}
	work, err := os.MkdirTemp("", "elftest-floor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	files := map[string]string{
		"stub.c":   "int envlock_floor_probe(void){return 0;}\n",
		"stub.map": "GLIBC_" + ver + " { global: envlock_floor_probe; local: *; };\n",
		"lib.c":    "int envlock_floor_probe(void); int floor_probe(void){return envlock_floor_probe();}\n",
	}
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(work, name), []byte(s), 0o644); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(work, "stub"), 0o755); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"-shared", "-fPIC", "-nostdlib", "-Wl,-soname,libc.so.6", "-Wl,--version-script=stub.map", "-o", "stub/libc.so.6", "stub.c"},
		{"-shared", "-fPIC", "-nostdlib", "-o", "out.so", "lib.c", "stub/libc.so.6"},
	} {
		cmd := exec.Command(cc, args...)
		cmd.Dir = work
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("gcc %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	data, err := os.ReadFile(filepath.Join(work, "out.so"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o755)
}

// LibNeedingGlibc is NeedingGlibc for a test: it returns the library's
// bytes, or calls testenv.Missing without gcc.
func LibNeedingGlibc(t testing.TB, ver string) []byte {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		testenv.Missing(t, "gcc", "building test ELF files needs it: apt-get install gcc")
	}
	out := filepath.Join(t.TempDir(), "libfloor.so")
	if err := NeedingGlibc(out, ver); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
