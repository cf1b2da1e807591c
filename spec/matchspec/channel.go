package matchspec

import (
	"fmt"
	"net/url"
	"strings"
)

// knownSubdirs are the platform subdirectories conda knows; a channel
// location ending in one of them names the subdir too.
var knownSubdirs = map[string]bool{
	"noarch": true, "linux-32": true, "linux-64": true, "linux-aarch64": true,
	"linux-armv6l": true, "linux-armv7l": true, "linux-ppc64": true,
	"linux-ppc64le": true, "linux-riscv64": true, "linux-s390x": true,
	"osx-64": true, "osx-arm64": true, "win-32": true, "win-64": true,
	"win-arm64": true, "zos-z": true, "emscripten-wasm32": true, "wasi-wasm32": true,
	"freebsd-64": true,
}

func isKnownSubdir(s string) bool { return knownSubdirs[s] }

// defaultChannelAlias is where bare channel names live, conda's
// channel_alias default.
const defaultChannelAlias = "https://conda.anaconda.org/"

// anacondaRepo hosts the "defaults" channels (pkgs/main, pkgs/r, …).
const anacondaRepo = "https://repo.anaconda.com/"

// defaultsChannels are the channels the name "defaults" stands for on
// every platform conda supports (msys2 only matters on Windows).
var defaultsChannels = map[string]bool{"pkgs/main": true, "pkgs/r": true, "pkgs/free": true, "pkgs/msys2": true}

// parseChannel splits a channel given in a MatchSpec ("conda-forge",
// "conda-forge/linux-64", "https://conda.anaconda.org/conda-forge",
// "file:///srv/channel/noarch", "*/win-32") into its canonical name and an
// optional subdir, the way conda's Channel does for MatchSpecs.
func parseChannel(s string) (name, subdir string, err error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if s == "" {
		return "", "", nil
	}
	if i := strings.IndexAny(s, "\\ []'\"=,<>|!~#(){};"); i >= 0 {
		return "", "", fmt.Errorf("invalid character %q in channel %q", s[i], s)
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 && isKnownSubdir(s[i+1:]) {
		s, subdir = s[:i], s[i+1:]
	}
	return CanonicalChannel(s), subdir, nil
}

// CanonicalChannel returns the short name conda prints for a channel
// location: the path below conda's default channel alias
// ("https://conda.anaconda.org/conda-forge" → "conda-forge") or below
// Anaconda's repository ("https://repo.anaconda.com/pkgs/main" →
// "pkgs/main"); other URLs stay whole (without credentials or a trailing
// slash), and names stay as they are.
func CanonicalChannel(s string) string {
	s = strings.TrimRight(s, "/")
	for _, prefix := range []string{defaultChannelAlias, "http://conda.anaconda.org/", anacondaRepo, "http://repo.anaconda.com/"} {
		if strings.HasPrefix(s, prefix) {
			return strings.TrimPrefix(s, prefix)
		}
	}
	if strings.Contains(s, "://") {
		if u, err := url.Parse(s); err == nil && u.User != nil {
			u.User = nil
			return u.String()
		}
	}
	return s
}

// channelMatches reports whether a record from channel rec (a name or a
// URL, possibly with a subdir at the end) is in the spec's channel.
func channelMatches(spec, rec string) bool {
	if spec == "" || spec == "*" {
		return true
	}
	name, _, err := parseChannel(rec)
	if err != nil {
		return false
	}
	if name == spec {
		return true
	}
	// "defaults" stands for Anaconda's pkgs/main, pkgs/r, … (conda's
	// ChannelMatch); the reverse does not hold.
	return spec == "defaults" && defaultsChannels[name]
}
