package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// manifest200 returns an env.cue with n conda dependencies (a mix of
// version constraints, builds and channel structs), 20 PyPI requirements
// and a target, like a large real project.
func manifest200(n int) string {
	var b strings.Builder
	b.WriteString("package env\n\nname: \"big\"\nchannels: [\"conda-forge\", \"bioconda\"]\nplatforms: [\"linux-64\", \"osx-arm64\"]\ndependencies: {\n")
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "\t\"pkg-%03d\": \">=1.%d,<2\"\n", i, i)
		case 1:
			fmt.Fprintf(&b, "\t\"pkg-%03d\": \"1.%d.* py311*\"\n", i, i)
		case 2:
			fmt.Fprintf(&b, "\t\"pkg-%03d\": \"*\"\n", i)
		case 3:
			fmt.Fprintf(&b, "\t\"pkg-%03d\": {version: \"=%d.1\", channel: \"bioconda\"}\n", i, i)
		}
	}
	b.WriteString("}\npypi: {\n")
	for i := range 20 {
		fmt.Fprintf(&b, "\t\"py-%02d\": \"==%d.0\"\n", i, i)
	}
	b.WriteString("}\nsystem: {glibc: \"2.28\", cuda: \"12.2\"}\nkernel: display_name: \"Big\"\n")
	b.WriteString("target: \"linux-64\": dependencies: \"pkg-001\": \"1.1.* cuda*\"\n")
	return b.String()
}

// BenchmarkLoad200 loads and validates a manifest with 200 dependencies:
// the schema compile, the unification, the MatchSpec parses. The figure
// reported is the time for one load, in ms.
func BenchmarkLoad200(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "env.cue"), []byte(manifest200(200)), 0o666); err != nil {
		b.Fatal(err)
	}
	if _, err := Load(dir, &LoadOptions{Host: "linux-64"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Load(dir, &LoadOptions{Host: "linux-64"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/load")
}
