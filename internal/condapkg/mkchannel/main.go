// Command mkchannel writes the demo packages of internal/condapkg as a
// conda channel, for linux-64 and osx-arm64 (and noarch):
//
//	go run ./internal/condapkg/mkchannel examples/quickstart/channel
//
// The output is the same bytes on every run.
package main

import (
	"fmt"
	"os"

	"github.com/envlock/envlock/internal/condapkg"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkchannel DIR")
		os.Exit(2)
	}
	var pkgs []*condapkg.Package
	for _, sub := range []string{"linux-64", "osx-arm64"} {
		for _, p := range condapkg.Demo() {
			if p.Noarch != "" {
				if sub == "linux-64" {
					pkgs = append(pkgs, p)
				}
				continue
			}
			q := *p
			q.Subdir = sub
			if sub != "linux-64" {
				var deps []string
				for _, d := range q.Depends {
					if len(d) < 7 || d[:7] != "__glibc" {
						deps = append(deps, d)
					}
				}
				q.Depends = deps
			}
			pkgs = append(pkgs, &q)
		}
	}
	if err := os.RemoveAll(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := condapkg.WriteChannel(os.Args[1], pkgs, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
