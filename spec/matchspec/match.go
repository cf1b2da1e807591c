package matchspec

import (
	"slices"
	"strings"

	"github.com/envlock/envlock/spec/repodata"
)

// Match reports whether r satisfies every part of m.
func (m *MatchSpec) Match(r *repodata.Record) bool {
	if m.Name != "*" && m.Name != "" {
		if strings.Contains(m.Name, "*") {
			if !globMatch(m.Name, strings.ToLower(r.Name)) {
				return false
			}
		} else if m.Name != r.Name && m.Name != strings.ToLower(r.Name) {
			return false
		}
	}
	if m.Version != nil {
		v := r.ParsedVersion()
		if v.IsZero() || !m.Version.Match(v) {
			return false
		}
	}
	if m.Build != nil && !m.Build.Match(r.Build) {
		return false
	}
	if m.BuildNumber != nil && !m.BuildNumber.Match(r.BuildNumber) {
		return false
	}
	if m.Channel != "" && !channelMatches(m.Channel, r.Channel) {
		return false
	}
	if m.Subdir != "" && m.Subdir != r.Subdir {
		return false
	}
	if m.MD5 != "" && m.MD5 != r.MD5 {
		return false
	}
	if m.SHA256 != "" && m.SHA256 != r.SHA256 {
		return false
	}
	if m.Fn != "" && m.Fn != r.Fn {
		return false
	}
	if m.URL != "" && m.URL != r.URL {
		return false
	}
	if m.License != nil && !m.License.Match(r.License) {
		return false
	}
	if m.LicenseFamily != nil && !m.LicenseFamily.Match(r.LicenseFamily) {
		return false
	}
	if m.TrackFeatures != nil && !sameSet(m.TrackFeatures, r.TrackFeatures) {
		return false
	}
	if m.Features != nil && !sameSet(m.Features, splitFeatures(r.Features)) {
		return false
	}
	return true
}

// sameSet compares a sorted, de-duplicated set with a record's list.
func sameSet(want, have []string) bool {
	h := splitFeatures(strings.Join(have, " "))
	return slices.Equal(want, h)
}

// globMatch matches a name glob where "*" is any text.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i := 1; i < len(parts)-1; i++ {
		j := strings.Index(s, parts[i])
		if j < 0 {
			return false
		}
		s = s[j+len(parts[i]):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
