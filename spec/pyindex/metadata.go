package pyindex

import (
	"fmt"
	"strings"
)

// Metadata is the part of a distribution's core metadata (METADATA or
// PKG-INFO) a resolver needs.
type Metadata struct {
	Name           string
	Version        string
	RequiresPython string
	// RequiresDist are PEP 508 requirements, in file order.
	RequiresDist []string
	// ProvidesExtra are the extras the distribution defines.
	ProvidesExtra []string
}

// ParseMetadata parses core metadata: RFC 822 style headers up to the
// first empty line (the description follows it), continuation lines
// starting with white space. Name and Version are required.
func ParseMetadata(data []byte) (*Metadata, error) {
	m := &Metadata{}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var key, val string
	flush := func() {
		switch strings.ToLower(key) {
		case "name":
			m.Name = val
		case "version":
			m.Version = val
		case "requires-python":
			m.RequiresPython = val
		case "requires-dist":
			m.RequiresDist = append(m.RequiresDist, val)
		case "provides-extra":
			m.ProvidesExtra = append(m.ProvidesExtra, val)
		}
		key, val = "", ""
	}
	for i, line := range lines {
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if key == "" {
				return nil, fmt.Errorf("metadata line %d: a continuation line with no header before it", i+1)
			}
			val += " " + strings.TrimSpace(line)
			continue
		}
		flush()
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("metadata line %d: %q is not \"Header: value\"", i+1, truncate(line))
		}
		key, val = strings.TrimSpace(k), strings.TrimSpace(v)
	}
	flush()
	if m.Name == "" || m.Version == "" {
		return nil, fmt.Errorf("metadata has no Name or Version header")
	}
	return m, nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
