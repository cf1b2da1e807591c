package export

import (
	"bytes"
	"fmt"

	"github.com/envlock/envlock/lock/lockfile"
)

// Requirements returns a pip requirements file of platform p's wheels:
// one "name==version --hash=sha256:…" entry each, sorted by name, for
//
//	pip install --require-hashes --no-deps -r requirements.txt
//
// run inside the environment after conda installed its packages. pip's
// hash-checking mode needs every requirement pinned with "==" and hashed,
// so a wheel the lock has no sha256 for is an error. With no wheels the
// file holds its header only, which pip accepts.
func Requirements(l *lockfile.Lock, platform string) ([]byte, error) {
	p := l.Platform(platform)
	if p == nil {
		return nil, noPlatform(l, platform)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The PyPI wheels of env %q for %s, exported from env.lock.\n", l.Name, platform)
	b.WriteString("# Install them into the environment, after its conda packages, with:\n")
	b.WriteString("#   pip install --require-hashes --no-deps -r requirements.txt\n")
	if len(p.PyPI) == 0 {
		b.WriteString("# (this platform has no PyPI wheels)\n")
	}
	for _, w := range p.PyPI {
		if !isHex(w.SHA256, 64) {
			return nil, fmt.Errorf("wheel %s %s has no valid sha256 in the lock (%q); pip --require-hashes needs one: re-lock with 'envlock lock'", w.Name, w.Version, w.SHA256)
		}
		if w.Version == "" {
			return nil, fmt.Errorf("wheel %s has no version in the lock; re-lock with 'envlock lock'", w.Name)
		}
		fmt.Fprintf(&b, "%s==%s \\\n    --hash=sha256:%s\n", w.Name, w.Version, w.SHA256)
	}
	return b.Bytes(), nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
