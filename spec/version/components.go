package version

import (
	"strings"
)

// Components returns conda's parse of the version (the epoch first, then
// each component) in the notation of conda's VersionOrder.version:
// "[[0], [1], [2, 'a', 3]]". It is what conformance tests compare with
// conda's own output, and a debugging aid.
func (v Version) Components() string { return formatParts(v.version) }

// LocalComponents is Components for the local part ("" when there is none).
func (v Version) LocalComponents() string {
	if len(v.local) == 0 {
		return ""
	}
	return formatParts(v.local)
}

func formatParts(parts []component) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, c := range parts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('[')
		for j, a := range c {
			if j > 0 {
				b.WriteString(", ")
			}
			switch a.kind {
			case kindNumber:
				if a.text == "" {
					b.WriteByte('0')
				} else {
					b.WriteString(a.text)
				}
			case kindPost:
				b.WriteString("inf")
			default:
				b.WriteByte('\'')
				b.WriteString(a.text)
				b.WriteByte('\'')
			}
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.String()
}
