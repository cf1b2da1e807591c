package lockfile

import (
	"github.com/envlock/envlock/spec/matchspec"
	"github.com/envlock/envlock/spec/repodata"
	"github.com/envlock/envlock/spec/version"
	"github.com/envlock/envlock/spec/versionspec"
	"github.com/envlock/envlock/spec/virtual"
)

// NewPlatform builds one platform's resolution from a solution.
// requested are the specs asked for, in the manifest's order.
func NewPlatform(p string, virt []virtual.Package, requested []*matchspec.MatchSpec, records []*repodata.Record) *Platform {
	pl := &Platform{Platform: p}
	for _, v := range virt {
		pl.Virtual = append(pl.Virtual, VirtualPackage{Name: v.Name, Version: v.Version, Build: v.Build})
	}
	for _, ms := range requested {
		pl.Requested = append(pl.Requested, ms.String())
	}
	for _, r := range records {
		pk := FromRecord(r)
		for _, ms := range requested {
			if ms.Match(r) {
				pk.Requested = ms.String()
				break
			}
		}
		pl.Packages = append(pl.Packages, pk)
	}
	pl.GlibcFloor = GlibcFloor(records)
	return pl
}

// FromRecord converts a repodata record to a locked package.
func FromRecord(r *repodata.Record) *Package {
	return &Package{
		Name:                   r.Name,
		Version:                r.Version,
		Build:                  r.Build,
		BuildNumber:            r.BuildNumber,
		Subdir:                 r.Subdir,
		Channel:                r.Channel,
		URL:                    r.URL,
		SHA256:                 r.SHA256,
		MD5:                    r.MD5,
		Size:                   r.Size,
		Depends:                append([]string{}, r.Depends...),
		Constrains:             r.Constrains,
		TrackFeatures:          r.TrackFeatures,
		Noarch:                 r.Noarch,
		License:                r.License,
		Timestamp:              r.Timestamp,
		PythonSitePackagesPath: r.PythonSitePackagesPath,
	}
}

// Record converts a locked package back to a repodata record (what the
// solver reads when a re-lock prefers the locked packages).
func (p *Package) Record() *repodata.Record {
	r := &repodata.Record{
		Name: p.Name, Version: p.Version, Build: p.Build, BuildNumber: p.BuildNumber,
		Subdir: p.Subdir, Channel: p.Channel, URL: p.URL, SHA256: p.SHA256, MD5: p.MD5,
		Size: p.Size, Depends: p.Depends, Constrains: p.Constrains, TrackFeatures: p.TrackFeatures,
		Noarch: p.Noarch, License: p.License, Timestamp: p.Timestamp,
		PythonSitePackagesPath: p.PythonSitePackagesPath,
	}
	if i := lastSlash(p.URL); i >= 0 {
		r.Fn = p.URL[i+1:]
	}
	r.Prepare()
	return r
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// GlibcFloor returns the lowest glibc version all records can run on:
// the highest lower bound among their __glibc dependencies ("" if none
// has one). "__glibc >=2.17,<3.0.a0" has lower bound 2.17.
func GlibcFloor(records []*repodata.Record) string {
	var best version.Version
	bestStr := ""
	for _, r := range records {
		for _, d := range r.Depends {
			ms, err := matchspec.Parse(d)
			if err != nil || ms.Name != virtual.Glibc || ms.Version == nil {
				continue
			}
			if lb, ok := lowerBound(ms.Version); ok && (bestStr == "" || lb.Compare(best) > 0) {
				best, bestStr = lb, lb.String()
			}
		}
	}
	return bestStr
}

// lowerBound returns the smallest version a spec can admit, where the
// spec says (>=, >, ==, a prefix match, or an And of those).
func lowerBound(s *versionspec.Spec) (version.Version, bool) {
	switch s.Op() {
	case versionspec.GreaterEqual, versionspec.Greater, versionspec.Equal, versionspec.StartsWith, versionspec.CompatibleRelease:
		return s.Version(), true
	case versionspec.And:
		var best version.Version
		found := false
		for _, c := range s.Children() {
			if v, ok := lowerBound(c); ok && (!found || v.Compare(best) > 0) {
				best, found = v, true
			}
		}
		return best, found
	case versionspec.Or:
		var best version.Version
		for i, c := range s.Children() {
			v, ok := lowerBound(c)
			if !ok {
				return version.Version{}, false
			}
			if i == 0 || v.Compare(best) < 0 {
				best = v
			}
		}
		return best, len(s.Children()) > 0
	}
	return version.Version{}, false
}
