// Package elftest builds real ELF files with gcc for the tests of the
// ELF scan and of verify: a good library, one needing GLIBC_99.0, one
// whose DT_NEEDED library does not exist, and an executable needing a
// symbol version its library lacks. Tests skip when gcc is absent.
package elftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
)

// gcc builds ELF files for the tests, or skips the test.
func gcc(t testing.TB, dir string, args ...string) {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		testenv.Missing(t, "gcc", "building test ELF files needs it: apt-get install gcc")
	}
	cmd := exec.Command(cc, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Build writes five real ELF files into prefix (lib/ and bin/): a good
// library, one needing GLIBC_99.0 (linked against a stub libc.so.6 whose
// version script defines it), one whose DT_NEEDED library is gone, and
// one needing a symbol version its own library lacks.
func Build(t testing.TB, prefix string) {
	t.Helper()
	work := t.TempDir()
	os.MkdirAll(filepath.Join(prefix, "lib"), 0o755)
	os.MkdirAll(filepath.Join(prefix, "bin"), 0o755)
	write := func(name, s string) { os.WriteFile(filepath.Join(work, name), []byte(s), 0o644) }
	write("good.c", "int good(void){return 1;}\n")
	gcc(t, work, "-shared", "-fPIC", "-o", filepath.Join(prefix, "lib", "libgood.so"), "good.c")

	// A stub "libc.so.6" defining future@GLIBC_99.0, only to link against.
	write("stub.c", "int future(void){return 0;}\n")
	write("stub.map", "GLIBC_99.0 { global: future; local: *; };\n")
	os.MkdirAll(filepath.Join(work, "stub"), 0o755)
	gcc(t, work, "-shared", "-fPIC", "-nostdlib", "-Wl,-soname,libc.so.6", "-Wl,--version-script=stub.map", "-o", "stub/libc.so.6", "stub.c")
	write("future.c", "int future(void); int use(void){return future();}\n")
	gcc(t, work, "-shared", "-fPIC", "-nostdlib", "-o", filepath.Join(prefix, "lib", "libfuture.so"), "future.c", "stub/libc.so.6")

	// A library linked against libghost.so, which is then not installed.
	write("ghost.c", "int ghost(void){return 2;}\n")
	gcc(t, work, "-shared", "-fPIC", "-Wl,-soname,libghost.so.1", "-o", "libghost.so", "ghost.c")
	write("haunted.c", "int ghost(void); int haunted(void){return ghost();}\n")
	gcc(t, work, "-shared", "-fPIC", "-o", filepath.Join(prefix, "lib", "libhaunted.so"), "haunted.c", "-L.", "-lghost")

	// libver.so.1 v2 defines VER_2; the prefix ships v1 (VER_1 only).
	write("ver.c", "int ver(void){return 1;}\n")
	write("ver1.map", "VER_1 { global: ver; local: *; };\n")
	write("ver2.map", "VER_1 { local: *; }; VER_2 { global: ver; } VER_1;\n")
	gcc(t, work, "-shared", "-fPIC", "-Wl,-soname,libver.so.1", "-Wl,--version-script=ver2.map", "-o", "libver.so.1", "ver.c")
	write("usever.c", "int ver(void); int main(void){return ver();}\n")
	gcc(t, work, "-o", filepath.Join(prefix, "bin", "usever"), "usever.c", "-Wl,-rpath,$ORIGIN/../lib", "./libver.so.1")
	gcc(t, work, "-shared", "-fPIC", "-Wl,-soname,libver.so.1", "-Wl,--version-script=ver1.map", "-o", filepath.Join(prefix, "lib", "libver.so.1"), "ver.c")
}
