// Package elfscan finds the ELF files of a prefix that will not load on a
// host: those needing a newer glibc (GLIBC_x.y version needs above the
// host's) or a symbol version their library does not define (GLIBCXX_…
// from an old libstdc++), and those whose DT_NEEDED libraries resolve
// nowhere.
//
// Libraries resolve the way ld.so resolves them: DT_RPATH (when there is
// no DT_RUNPATH), DT_RUNPATH, with $ORIGIN expanded, then the prefix's
// lib/, then the host's library directories; a candidate of the wrong ELF
// class or machine is skipped, as the loader skips it. Only ELF headers,
// the dynamic section and the version sections are read.
package elfscan

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/envlock/envlock/spec/version"
)

// ErrNotELF is returned by Read for a file that is not ELF.
var ErrNotELF = errors.New("not an ELF file")

// Info is what one ELF file asks of the loader.
type Info struct {
	Class   elf.Class
	Machine elf.Machine
	Type    elf.Type
	Soname  string
	Interp  string
	// HasDynamic is set for files with a dynamic section (loaded by ld.so).
	HasDynamic bool
	Needed     []string
	RPath      []string
	RunPath    []string
	// Needs are the symbol versions needed, per library (SHT_GNU_verneed).
	Needs []Need
	// Defines are the symbol versions the file itself defines
	// (SHT_GNU_verdef), e.g. GLIBC_2.17 in libc.so.6.
	Defines []string
}

// Need is the versions one file needs from one library.
type Need struct {
	Library  string   `json:"library"`
	Versions []string `json:"versions"`
}

// Dynamic reports whether the file is loaded by ld.so (an executable or
// shared object with a dynamic section).
func (i *Info) Dynamic() bool {
	return (i.Type == elf.ET_EXEC || i.Type == elf.ET_DYN) && i.HasDynamic
}

// MaxVersion returns the newest version with the given prefix
// ("GLIBC_") that the file needs from any library, or "".
func (i *Info) MaxVersion(prefix string) string {
	var all []string
	for _, n := range i.Needs {
		all = append(all, n.Versions...)
	}
	return Newest(all, prefix)
}

// Newest returns the newest of the version names with the given prefix
// ("GLIBC_2.17", "GLIBC_2.28" → "2.28"), compared as conda versions; ""
// when none has the prefix and a version after it.
func Newest(names []string, prefix string) string {
	best := ""
	var bv version.Version
	for _, n := range names {
		s, ok := strings.CutPrefix(n, prefix)
		if !ok {
			continue
		}
		v, err := version.Parse(s)
		if err != nil {
			continue
		}
		if best == "" || v.Compare(bv) > 0 {
			best, bv = s, v
		}
	}
	return best
}

var elfMagic = []byte(elf.ELFMAG)

// IsELF reports whether r starts with the ELF magic.
func IsELF(r io.ReaderAt) bool {
	var b [4]byte
	n, _ := r.ReadAt(b[:], 0)
	return n == 4 && bytes.Equal(b[:], elfMagic)
}

// Read inspects the ELF file at path. It returns ErrNotELF for other
// files, and an error naming the file for a malformed ELF.
func Read(path string) (*Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadFrom(f, path)
}

// ReadFrom is Read on an open file; name is used in errors.
func ReadFrom(r io.ReaderAt, name string) (info *Info, err error) {
	if !IsELF(r) {
		return nil, ErrNotELF
	}
	defer func() {
		// debug/elf has panicked on hostile input in the past; a
		// corrupt file must be an error, not a crash.
		if p := recover(); p != nil {
			info, err = nil, fmt.Errorf("%s: malformed ELF file (%v)", name, p)
		}
	}()
	ef, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%s: malformed ELF file: %v", name, err)
	}
	info = &Info{Class: ef.Class, Machine: ef.Machine, Type: ef.Type}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, min(p.Filesz, 4096))
			n, _ := p.ReadAt(b, 0)
			info.Interp = strings.TrimRight(string(b[:n]), "\x00")
		}
	}
	if ef.Section(".dynamic") == nil && dynProg(ef) == nil {
		return info, nil // static, or an object file
	}
	info.HasDynamic = true
	if info.Needed, err = ef.DynString(elf.DT_NEEDED); err != nil {
		return nil, fmt.Errorf("%s: reading DT_NEEDED: %v", name, err)
	}
	if s, _ := ef.DynString(elf.DT_SONAME); len(s) > 0 {
		info.Soname = s[0]
	}
	if s, _ := ef.DynString(elf.DT_RPATH); len(s) > 0 {
		info.RPath = splitPath(s)
	}
	if s, _ := ef.DynString(elf.DT_RUNPATH); len(s) > 0 {
		info.RunPath = splitPath(s)
	}
	if needs, err := ef.DynamicVersionNeeds(); err == nil {
		for _, n := range needs {
			nd := Need{Library: n.Name}
			for _, d := range n.Needs {
				nd.Versions = append(nd.Versions, d.Dep)
			}
			info.Needs = append(info.Needs, nd)
		}
	}
	if defs, err := ef.DynamicVersions(); err == nil {
		for _, d := range defs {
			if d.Flags&elf.VER_FLG_BASE == 0 {
				info.Defines = append(info.Defines, d.Name)
			}
		}
	}
	return info, nil
}

func dynProg(ef *elf.File) *elf.Prog {
	for _, p := range ef.Progs {
		if p.Type == elf.PT_DYNAMIC {
			return p
		}
	}
	return nil
}

func splitPath(ss []string) []string {
	var out []string
	for _, s := range ss {
		for _, p := range strings.Split(s, ":") {
			if p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// expand replaces $ORIGIN (and ${ORIGIN}) in an RPATH entry; $LIB and
// $PLATFORM are left, and such entries simply fail to resolve.
func expand(entry, origin string) string {
	entry = strings.ReplaceAll(entry, "${ORIGIN}", origin)
	return strings.ReplaceAll(entry, "$ORIGIN", origin)
}

// glibcLibraries are the libraries glibc itself ships; versions needed
// from them are compared with the host's glibc version (which a
// CONDA_OVERRIDE_GLIBC may set) rather than read from the files.
var glibcLibraries = map[string]bool{
	"libc.so.6": true, "libm.so.6": true, "libpthread.so.0": true, "libdl.so.2": true,
	"librt.so.1": true, "libutil.so.1": true, "libresolv.so.2": true, "libnsl.so.1": true,
	"libanl.so.1": true, "libcrypt.so.1": true, "libmvec.so.1": true, "libBrokenLocale.so.1": true,
	"ld-linux-x86-64.so.2": true, "ld-linux-aarch64.so.1": true, "ld64.so.2": true, "ld64.so.1": true,
	"ld-linux.so.2": true, "ld-linux-riscv64-lp64d.so.1": true,
}

// IsGlibcLibrary reports whether a DT_NEEDED name is one of glibc's own
// libraries.
func IsGlibcLibrary(name string) bool { return glibcLibraries[name] }
