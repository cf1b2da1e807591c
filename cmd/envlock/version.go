package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildDate may be set at link time (-ldflags "-X main.buildDate=2026-11-29T12:00:00Z");
// without it, version reports the VCS commit time.
var buildDate string

// versionInfo is what 'envlock version --json' prints (#Version in
// schemas/cli.cue).
type versionInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	BuildDate string `json:"build_date,omitempty"`
	Modified  bool   `json:"modified"`
	Go        string `json:"go"`
	Platform  string `json:"platform"`
}

// readVersion reads the module version, VCS revision, commit time and
// dirty flag from the binary's build info.
func readVersion() versionInfo {
	v := versionInfo{Version: "(devel)", BuildDate: buildDate, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if info.Main.Version != "" {
		v.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// runVersion implements 'envlock version [--json]', '--version' and '-V'.
func runVersion(w, errw io.Writer, args []string) int {
	v := readVersion()
	switch {
	case len(args) == 1 && args[0] == "--json" || len(args) == 1 && args[0] == "-json":
		if err := writeJSON(w, v); err != nil {
			fmt.Fprintf(errw, "envlock version: %v\n", err)
			return exitFail
		}
		return exitOK
	case len(args) != 0:
		fmt.Fprintf(errw, "envlock version: unexpected arguments %q\nusage: envlock version [--json]\n", args)
		return exitUsage
	}
	fmt.Fprintf(w, "envlock %s", v.Version)
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		fmt.Fprintf(w, " (%s", rev)
		if v.Modified {
			fmt.Fprint(w, ", modified")
		}
		if v.Time != "" {
			fmt.Fprintf(w, ", %s", v.Time)
		}
		fmt.Fprint(w, ")")
	}
	if v.BuildDate != "" {
		fmt.Fprintf(w, " built %s", v.BuildDate)
	}
	fmt.Fprintf(w, " %s %s\n", v.Go, v.Platform)
	return exitOK
}
