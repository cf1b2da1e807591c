package lockfile

import (
	"strings"
	"testing"
)

// TestWheelNameEscapes: a wheel URL whose last element hides a path
// separator or ".." behind percent-escapes cannot give a file name that
// leaves the package cache: the lock is refused on read.
func TestWheelNameEscapes(t *testing.T) {
	lockOf := func(u string) *Lock {
		return &Lock{Name: "t", Manifest: Manifest{SHA256: strings.Repeat("0", 64)}, ChannelPriority: "strict",
			Platforms: []*Platform{{Platform: "linux-64", Packages: []*Package{},
				PyPI: []*Wheel{{Name: "tinyfmt", Version: "1.0", URL: u, SHA256: strings.Repeat("a", 64)}}}}}
	}
	// The same lock with a plain or escaped-but-harmless name reads.
	for _, u := range []string{"https://x.example/files/tinyfmt-1.0-py3-none-any.whl", "https://x.example/files/tinyfmt-1.0%2Bcu1-py3-none-any.whl"} {
		l := lockOf(u)
		if u != "https://x.example/files/tinyfmt-1.0-py3-none-any.whl" {
			l.Platforms[0].PyPI[0].Version = "1.0+cu1"
		}
		data, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(data); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	for _, u := range []string{
		"https://x.example/files/..%2F..%2Ftinyfmt-1.0-py3-none-any.whl",
		"https://x.example/files/a%2Ftinyfmt-1.0-py3-none-any.whl",
		"https://x.example/files/%2E%2E",
		"https://x.example/files/tinyfmt-1.0-py3-none-any.whl%00",
	} {
		l := lockOf(u)
		data, err := l.Encode()
		if err != nil {
			continue // refused when written: as good
		}
		if _, err := Parse(data); err == nil {
			t.Errorf("%s: a lock naming it reads without error (file name %q)", u, l.Platforms[0].PyPI[0].FileName())
		}
	}
}
