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
	if err := os.RemoveAll(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := condapkg.WriteDemoChannel(os.Args[1], ".conda"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
