package repodata

import (
	"fmt"
	"strings"

	"github.com/envlock/envlock/spec/ident"
)

// A RecordError says why a record of a repodata file was refused: one of
// its identities breaks conda's grammar (spec/ident), so it could name a
// path outside the package cache or the prefix. Parse drops such records
// and lists them in Repodata.Invalid.
type RecordError struct {
	Fn    string // the record's key in repodata.json
	Field string // "build", "fn", "sha256", …
	Err   error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("record %q: %s: %v", e.Fn, e.Field, e.Err)
}

// Unwrap returns the reason, an *ident.Error for a bad identity.
func (e *RecordError) Unwrap() error { return e.Err }

// Check validates the record's identities against conda's grammar: name,
// version, build, file name (exactly name-version-build.conda or
// .tar.bz2), subdir, channel, hashes, CEP-17 site-packages path, noarch
// kind, and non-negative numbers. Empty optional fields pass; hex digests
// in upper case are lower-cased first (the same digest). Every reader of
// outside records calls it before a record is used.
func (r *Record) Check() error {
	fail := func(field string, err error) error { return &RecordError{Fn: r.Fn, Field: field, Err: err} }
	if err := ident.Name(r.Name); err != nil {
		return fail("name", err)
	}
	if err := ident.Version(r.Version); err != nil {
		return fail("version", err)
	}
	if err := ident.Build(r.Build); err != nil {
		return fail("build", err)
	}
	if _, err := ident.FileName(r.Name, r.Version, r.Build, r.Fn); err != nil {
		return fail("fn", err)
	}
	if r.Subdir != "" {
		if err := ident.Subdir(r.Subdir); err != nil {
			return fail("subdir", err)
		}
	}
	if r.Channel != "" {
		if err := ident.Channel(r.Channel); err != nil {
			return fail("channel", err)
		}
	}
	if r.SHA256 != "" && ident.SHA256(r.SHA256) != nil {
		r.SHA256 = strings.ToLower(r.SHA256) // the same digest
		if err := ident.SHA256(r.SHA256); err != nil {
			return fail("sha256", err)
		}
	}
	if r.MD5 != "" && ident.MD5(r.MD5) != nil {
		r.MD5 = strings.ToLower(r.MD5)
		if err := ident.MD5(r.MD5); err != nil {
			return fail("md5", err)
		}
	}
	if r.PythonSitePackagesPath != "" {
		if err := ident.SitePackagesPath(r.PythonSitePackagesPath); err != nil {
			return fail("python_site_packages_path", err)
		}
	}
	switch r.Noarch {
	case "", "generic", "python":
	default:
		return fail("noarch", fmt.Errorf("%q is neither \"generic\" nor \"python\"", r.Noarch))
	}
	for _, n := range []struct {
		field string
		v     int64
	}{{"build_number", r.BuildNumber}, {"size", r.Size}, {"timestamp", r.Timestamp}} {
		if n.v < 0 {
			return fail(n.field, fmt.Errorf("%d is negative", n.v))
		}
		if n.v > ident.MaxInt {
			return fail(n.field, fmt.Errorf("%d is larger than %d", n.v, int64(ident.MaxInt)))
		}
	}
	return nil
}

// checkIn is Check for a record read from the repodata of subdir ("" for
// a flat index): a record there must be of that subdir.
func (r *Record) checkIn(subdir string) error {
	if err := r.Check(); err != nil {
		return err
	}
	if subdir != "" && r.Subdir != subdir && r.Subdir != "noarch" {
		return &RecordError{Fn: r.Fn, Field: "subdir", Err: fmt.Errorf("%s, in the repodata of %s", r.Subdir, subdir)}
	}
	return nil
}
