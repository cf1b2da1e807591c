package matchspec

import "strings"

// String returns conda's canonical form of the MatchSpec (conda's
// MatchSpec.__str__): "conda-forge/linux-64::numpy==1.26.4=py311h_0",
// "numpy=1.26", "numpy[version='>=1.26,<2',build=py311*]". Parse reads it
// back to an equal MatchSpec.
func (m *MatchSpec) String() string {
	var b strings.Builder
	var brackets []string

	if m.Channel != "" {
		b.WriteString(m.Channel)
		if m.Subdir != "" {
			b.WriteString("/" + m.Subdir)
		}
		b.WriteString("::")
	} else if m.Subdir != "" {
		brackets = append(brackets, "subdir="+m.Subdir)
	}
	name := m.Name
	if name == "" {
		name = "*"
	}
	b.WriteString(name)

	exact := false
	if m.Version != nil {
		v := m.Version.String()
		switch {
		case strings.ContainsAny(v, "><$^|,()") || strings.Contains(strings.TrimRight(v, "*"), "*") ||
			strings.HasPrefix(v, "==") && strings.HasSuffix(v, "*"):
			// Expressions, and globs such as "1.*.1", which "==" would
			// turn into a literal comparison.
			brackets = append(brackets, "version='"+v+"'")
		case strings.HasPrefix(v, "!=") || strings.HasPrefix(v, "~="):
			if m.Build != nil {
				brackets = append(brackets, "version='"+v+"'")
			} else {
				b.WriteString(v)
			}
		case strings.HasPrefix(v, "=="):
			b.WriteString(v)
			exact = true
		case strings.HasPrefix(v, "="):
			// "=1.2" and other operator forms that the shorthands below
			// would mangle.
			brackets = append(brackets, "version='"+v+"'")
		case strings.HasSuffix(v, ".*"):
			b.WriteString("=" + strings.TrimSuffix(v, ".*"))
		case v == "*":
		case strings.HasSuffix(v, "*"):
			b.WriteString("=" + strings.TrimSuffix(v, "*"))
		default:
			b.WriteString("==" + v)
			exact = true
		}
	}
	if m.Build != nil {
		bs := m.Build.String()
		switch {
		case strings.ContainsAny(bs, "><$^|,"):
			brackets = append(brackets, "build='"+bs+"'")
		case strings.Contains(bs, "*") || !exact:
			brackets = append(brackets, "build="+bs)
		default:
			b.WriteString("=" + bs)
		}
	}
	add := func(key, value string) {
		if strings.ContainsAny(value, ", =") {
			brackets = append(brackets, key+"='"+value+"'")
		} else {
			brackets = append(brackets, key+"="+value)
		}
	}
	if m.BuildNumber != nil {
		add("build_number", m.BuildNumber.String())
	}
	if m.TrackFeatures != nil {
		add("track_features", strings.Join(m.TrackFeatures, " "))
	}
	if m.Features != nil {
		add("features", strings.Join(m.Features, " "))
	}
	if m.URL != "" && m.Channel == "" {
		add("url", m.URL)
	}
	if m.MD5 != "" {
		add("md5", m.MD5)
	}
	if m.SHA256 != "" {
		add("sha256", m.SHA256)
	}
	if m.License != nil {
		add("license", m.License.String())
	}
	if m.LicenseFamily != nil {
		add("license_family", m.LicenseFamily.String())
	}
	if m.Fn != "" && m.URL == "" {
		add("fn", m.Fn)
	}
	if len(brackets) > 0 {
		b.WriteString("[" + strings.Join(brackets, ",") + "]")
	}
	return b.String()
}
