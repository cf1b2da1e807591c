package main

import (
	"fmt"
	"io"
	"syscall"
)

// Exit codes. Every command exits 0 on success, 1 when it failed and 2
// for a usage error; the other codes carry a verdict and belong to the
// commands that name them in exitCodes. verify and doctor predate the
// table and keep their meaningful codes (2 host incompatible, 4 usage or
// input error), documented as such.
const (
	exitOK        = 0
	exitFail      = 1 // the command failed; the error is on stderr
	exitUsage     = 2 // the command line was wrong
	exitSignature = 3 // a signature is missing, wrong or untrusted
	exitFloor     = 5 // a file needs a newer glibc than the lock's floor
	exitNotFound  = 127

	// verify and doctor: 1 the environment drifted, 2 this host cannot
	// run the lock, 4 the command line or an input was wrong.
	exitDrift = 1
	exitHost  = 2
	exitInput = 4

	// A command stopped by a signal exits 128+signal, as shells report
	// it: 130 for SIGINT (Ctrl-C), 143 for SIGTERM (a batch scheduler's
	// kill, timeout(1)).
	exitInterrupt = 128 + int(syscall.SIGINT)
	exitTerminate = 128 + int(syscall.SIGTERM)
)

// exitCodes is the one table of exit codes: "envlock help exit-codes"
// prints it, the README shows it and TestExitCodes holds every command
// to it.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success; for a check (lock --check, verify, doctor, verify-lock), the check passed"},
	{exitFail, "the command failed, the error is on stderr; lock --check: the lock is stale; verify: the environment drifted from its lock"},
	{exitUsage, "the command line was wrong (unknown flag, missing argument); verify and doctor: this host cannot run the lock"},
	{exitSignature, "a signature is missing, wrong or untrusted (verify-lock, install/pull/verify --key, sign checks)"},
	{exitInput, "verify and doctor only: the command line or an input file was wrong (their 2 is a verdict)"},
	{exitFloor, "a locked or installed file needs a newer glibc than the lock's floor (lock --scan, verify, doctor)"},
	{exitNotFound, "run: the command to run was not found; otherwise run exits with the command's own status"},
	{exitInterrupt, "stopped by SIGINT (Ctrl-C); what was being written is left as it was"},
	{exitTerminate, "stopped by SIGTERM (a batch scheduler's kill, timeout(1))"},
}

func printExitCodes(w io.Writer) {
	fmt.Fprint(w, "Exit codes of every envlock command:\n\n")
	for _, e := range exitCodes {
		fmt.Fprintf(w, "\t%3d  %s\n", e.code, e.meaning)
	}
}
