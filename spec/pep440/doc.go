// Package pep440 holds Python package versions and version specifiers as
// PEP 440 defines them: parsing with the PEP's normalizations ("1.0-RC1"
// is "1.0rc1", "v2" is "2"), the total order (epoch, release, pre, post,
// dev, local), and specifier sets (">=1.2,!=1.3.*,<2", "~=2.2", "===x").
//
// It does not know about markers or requirements (spec/pep508) or wheel
// file names (spec/wheeltag). Pre-releases (including dev releases) are
// excluded from a specifier set unless it names one or the caller asks
// for them, as pip and packaging do; see Set.Contains and TestSpecifiers.
//
// Why not a library: github.com/aquasecurity/go-pep440-version was
// evaluated. It is at v0.0.1 with two extra dependencies, and its
// errors carry no position; the PEP is short, so this package implements
// it directly and checks itself against the PEP's own examples.
package pep440
