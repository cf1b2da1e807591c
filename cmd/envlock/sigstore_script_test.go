package main

import (
	"os"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envlock/envlock/lock/sign/sigstoretest"
)

// sigstores holds each script's private Sigstore (lock/sign/sigstoretest).
var sigstores sync.Map // *testscript.TestScript → *sigstoretest.Sigstore

// sigstoreCmd implements the scripts' private Sigstore:
//
//	sigstore root FILE                          write its trusted_root.json
//	sigstore sign LOCK OUT SUBJECT ISSUER [FLAG] write a keyless bundle of LOCK
//
// FLAG is -expired (a certificate that expired an hour before the log
// saw it), -nolog (no transparency-log entry), -tamper (a changed
// inclusion proof) or -otherca (a certificate from another CA).
func sigstoreCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: sigstore root FILE | sigstore sign LOCK OUT SUBJECT ISSUER [-expired|-nolog|-tamper|-otherca]")
	}
	v, _ := sigstores.LoadOrStore(ts, sync.OnceValues(sigstoretest.New))
	ss, err := v.(func() (*sigstoretest.Sigstore, error))()
	ts.Check(err)
	switch {
	case args[0] == "root" && len(args) == 2:
		b, err := ss.TrustedRootJSON()
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
	case args[0] == "sign" && (len(args) == 5 || len(args) == 6):
		data, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		o := sigstoretest.Options{Subject: args[3], Issuer: args[4]}
		if len(args) == 6 {
			switch args[5] {
			case "-expired":
				o.NotBefore = time.Now().Add(-time.Hour)
			case "-nolog":
				o.NoLog = true
			case "-tamper":
				o.TamperProof = true
			case "-otherca":
				other, err := sigstoretest.New()
				ts.Check(err)
				o.IssuedBy = other
			default:
				ts.Fatalf("unknown flag %s", args[5])
			}
		}
		b, err := ss.Sign(data, o)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), b, 0o644))
	default:
		ts.Fatalf("usage: sigstore root FILE | sigstore sign LOCK OUT SUBJECT ISSUER [FLAG]")
	}
}
