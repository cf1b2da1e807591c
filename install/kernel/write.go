package kernel

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotEnvlockKernel is wrapped when a kernelspec directory that would be
// replaced or removed was not made by envlock.
var ErrNotEnvlockKernel = errors.New("not a kernel envlock made")

// Install writes the kernel into kernelsDir/NAME: kernel.json and the
// logos. The new directory is complete before it replaces an old one of
// the same name, so Jupyter never sees half a kernel. A directory envlock
// did not make is replaced only with force. It returns the directory.
func (k *Kernel) Install(kernelsDir string, force bool) (string, error) {
	if err := os.MkdirAll(kernelsDir, 0o755); err != nil {
		return "", fmt.Errorf("creating the kernels directory: %w", err)
	}
	dst := filepath.Join(kernelsDir, k.Name)
	if _, err := os.Lstat(dst); err == nil && !force {
		if _, err := ReadEnvlock(dst); err != nil {
			return "", fmt.Errorf("%s: %w (%v); pass --force to replace it, or choose another --name", dst, ErrNotEnvlockKernel, err)
		}
	}
	tmp, err := os.MkdirTemp(kernelsDir, "."+k.Name+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := writeSynced(filepath.Join(tmp, SpecFile), k.Spec.Encode()); err != nil {
		return "", err
	}
	for _, logo := range k.Logos {
		data, err := os.ReadFile(logo)
		if err != nil {
			return "", fmt.Errorf("copying the kernel's logo: %w", err)
		}
		if err := writeSynced(filepath.Join(tmp, filepath.Base(logo)), data); err != nil {
			return "", err
		}
	}
	// Swap: move the old one aside, the new one in, then delete the old.
	old := ""
	if _, err := os.Lstat(dst); err == nil {
		old = filepath.Join(kernelsDir, "."+k.Name+".old")
		os.RemoveAll(old)
		if err := os.Rename(dst, old); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		if old != "" {
			os.Rename(old, dst)
		}
		return "", err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return dst, nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(werr, serr, cerr)
}

// ReadEnvlock reads the kernelspec in dir and returns where envlock made
// it from; it fails, wrapping ErrNotEnvlockKernel, for kernels without
// envlock's metadata.
func ReadEnvlock(dir string) (*Origin, error) {
	s, err := read(dir)
	if err != nil {
		return nil, err
	}
	if s.Metadata.Envlock == nil {
		return nil, fmt.Errorf("%s: %w (its kernel.json has no metadata.envlock)", dir, ErrNotEnvlockKernel)
	}
	return s.Metadata.Envlock, nil
}

func read(dir string) (*Spec, error) {
	f, err := os.Open(filepath.Join(dir, SpecFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A kernel.json is small; a huge one is not a kernelspec.
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, err
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SpecFile), err)
	}
	return s, nil
}

// Remove deletes the kernel name from kernelsDir. It refuses kernels
// envlock did not make, which "jupyter kernelspec remove" is for.
func Remove(kernelsDir, name string) error {
	name = strings.ToLower(name)
	if !validName.MatchString(name) {
		return fmt.Errorf("%q is not a kernel name", name)
	}
	dir := filepath.Join(kernelsDir, name)
	if _, err := os.Lstat(dir); err != nil {
		return fmt.Errorf("no kernel %q in %s; 'envlock kernel list' shows the kernels envlock made", name, kernelsDir)
	}
	if _, err := ReadEnvlock(dir); err != nil {
		return fmt.Errorf("%w; remove it with 'jupyter kernelspec remove %s' if you mean to", err, name)
	}
	trash := filepath.Join(kernelsDir, "."+name+".removing")
	os.RemoveAll(trash)
	if err := os.Rename(dir, trash); err != nil {
		return err
	}
	return os.RemoveAll(trash)
}

// An Entry is one kernel List found.
type Entry struct {
	// Name is the kernelspec directory name; Dir its path.
	Name, Dir string
	// Spec is its kernel.json.
	Spec *Spec
	// Dangling says the environment it runs is gone (its prefix, or the
	// interpreter in its argv, no longer exists); Why says which.
	Dangling bool
	Why      string
}

// List returns the kernels envlock made in the given Jupyter data
// directories, in directory order then by name. A name found again in a
// later directory is shadowed, as in Jupyter, and left out. Kernelspecs
// that cannot be read are reported in the returned problems, one line
// each, and skipped; other kernels are left out silently.
func List(dataDirs []string) (entries []Entry, problems []string) {
	seen := map[string]bool{}
	for _, d := range dataDirs {
		kd := KernelsDir(d)
		des, err := os.ReadDir(kd)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				problems = append(problems, err.Error())
			}
			continue
		}
		for _, de := range des {
			name := strings.ToLower(de.Name())
			if strings.HasPrefix(name, ".") || seen[name] {
				continue
			}
			dir := filepath.Join(kd, de.Name())
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				continue
			}
			seen[name] = true
			s, err := read(dir)
			if err != nil {
				if !errors.Is(err, os.ErrNotExist) {
					problems = append(problems, err.Error()+"; skipped")
				}
				continue
			}
			if s.Metadata.Envlock == nil {
				continue
			}
			e := Entry{Name: name, Dir: dir, Spec: s}
			if p := s.Metadata.Envlock.Prefix; p == "" {
				e.Dangling, e.Why = true, "its metadata names no environment"
			} else if _, err := os.Stat(p); err != nil {
				e.Dangling, e.Why = true, p+" is gone"
			} else if _, err := os.Stat(s.Argv[0]); err != nil {
				e.Dangling, e.Why = true, s.Argv[0]+" is gone"
			}
			entries = append(entries, e)
		}
	}
	return entries, problems
}
