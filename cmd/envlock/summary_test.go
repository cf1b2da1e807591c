package main

import (
	"strings"
	"testing"

	"github.com/envlock/envlock/verify/elfscan"
)

func TestPackageCount(t *testing.T) {
	for _, c := range []struct {
		pkgs, wheels int
		want         string
	}{
		{4, 0, "4 packages"},
		{1, 0, "1 package"},
		{1, 32, "1 conda package and 32 wheels"},
		{2, 1, "2 conda packages and 1 wheel"},
		{1234, 0, "1,234 packages"},
	} {
		if got := packageCount(c.pkgs, c.wheels); got != c.want {
			t.Errorf("packageCount(%d, %d) = %q, want %q", c.pkgs, c.wheels, got, c.want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 12895: "12,895", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestELFOneLinePerFile: a file needing several GLIBC_ versions the host
// lacks is one line naming them all; other files and kinds stay apart.
func TestELFOneLinePerFile(t *testing.T) {
	ps := []elfscan.Problem{
		{Kind: elfscan.KindGlibc, File: "lib/a.so", Package: "p-1-0", Library: "libc.so.6", Need: "GLIBC_2.33", Have: "glibc 2.17"},
		{Kind: elfscan.KindGlibc, File: "lib/a.so", Package: "p-1-0", Library: "libc.so.6", Need: "GLIBC_2.34", Have: "glibc 2.17"},
		{Kind: elfscan.KindMissingLibrary, File: "lib/a.so", Package: "p-1-0", Need: "libx.so.1"},
		{Kind: elfscan.KindMissingLibrary, File: "lib/a.so", Package: "p-1-0", Need: "liby.so.1"},
		{Kind: elfscan.KindFloor, File: "lib/b.so", Package: "p-1-0", Library: "libc.so.6", Need: "GLIBC_2.28", Have: "glibc 2.17"},
		{Kind: elfscan.KindFloor, File: "lib/b.so", Package: "p-1-0", Library: "libm.so.6", Need: "GLIBC_2.29", Have: "glibc 2.17"},
		{Kind: elfscan.KindFloor, File: "lib/b.so", Package: "p-1-0", Library: "libm.so.6", Need: "GLIBC_2.28", Have: "glibc 2.17"},
	}
	var b strings.Builder
	printELFProblems(&b, ps)
	want := `  p-1-0:
    lib/a.so needs GLIBC_2.33, GLIBC_2.34; the host has glibc 2.17
    lib/a.so needs libx.so.1, found neither in its RPATH/RUNPATH, the prefix's lib/ nor the host's library directories
    lib/a.so needs liby.so.1, found neither in its RPATH/RUNPATH, the prefix's lib/ nor the host's library directories
    lib/b.so needs GLIBC_2.28, GLIBC_2.29, above the lock's floor glibc 2.17
`
	if b.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", b.String(), want)
	}
}
