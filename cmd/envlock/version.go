package main

import "runtime/debug"

// buildVersion is the module version envlock was built from, "(devel)" for
// a build from a checkout.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" {
		return "(devel)"
	}
	return info.Main.Version
}
