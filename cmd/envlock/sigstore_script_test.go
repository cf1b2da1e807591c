package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envlock/envlock/internal/tuftest"
	"github.com/envlock/envlock/lock/sign"
	"github.com/envlock/envlock/lock/sign/sigstoretest"
)

// sigstores holds each script's private Sigstore (lock/sign/sigstoretest).
var sigstores sync.Map // *testscript.TestScript → *sigstoretest.Sigstore

// tufRepos holds each script's TUF repository ("sigstore tuf").
var tufRepos sync.Map // *testscript.TestScript → *tuftest.Repo

// scriptTB is the testing.TB tuftest needs, failing the script.
type scriptTB struct {
	*testscript.TestScript
}

func (s scriptTB) Helper()                           {}
func (s scriptTB) Fatal(args ...any)                 { s.TestScript.Fatalf("%s", fmt.Sprint(args...)) }
func (s scriptTB) Fatalf(format string, args ...any) { s.TestScript.Fatalf(format, args...) }
func (s scriptTB) Cleanup(f func())                  { s.TestScript.Defer(f) }

// sigstoreCmd implements the scripts' private Sigstore:
//
//	sigstore root FILE                          write its trusted_root.json
//	sigstore sign LOCK OUT SUBJECT ISSUER [FLAG] write a keyless bundle of LOCK
//	sigstore tuf DIR ROOT                       publish its trusted_root.json in a
//	                                            TUF repository in DIR, served as
//	                                            $TUF; write the repository's root.json
//	                                            to ROOT
//	sigstore tuf-rotate                         rotate the TUF root key and publish a
//	                                            new trusted root (another CA)
//	sigstore tuf-tamper                         serve trusted_root.json with one byte
//	                                            changed under the signed metadata
//
// FLAG is -expired (a certificate that expired an hour before the log
// saw it), -nolog (no transparency-log entry), -tamper (a changed
// inclusion proof) or -otherca (a certificate from another CA).
func sigstoreCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: sigstore root FILE | sigstore sign LOCK OUT SUBJECT ISSUER [-expired|-nolog|-tamper|-otherca] | sigstore tuf DIR ROOT | sigstore tuf-rotate | sigstore tuf-tamper")
	}
	v, _ := sigstores.LoadOrStore(ts, sync.OnceValues(sigstoretest.New))
	ss, err := v.(func() (*sigstoretest.Sigstore, error))()
	ts.Check(err)
	switch {
	case args[0] == "tuf" && len(args) == 3:
		b, err := ss.TrustedRootJSON()
		ts.Check(err)
		repo := tuftest.New(scriptTB{ts}, ts.MkAbs(args[1]), map[string][]byte{sign.TrustedRootFile: b})
		repo.WriteRoot(ts.MkAbs(args[2]))
		ts.Setenv("TUF", repo.Serve())
		tufRepos.Store(ts, repo)
	case (args[0] == "tuf-rotate" || args[0] == "tuf-tamper") && len(args) == 1:
		v, ok := tufRepos.Load(ts)
		if !ok {
			ts.Fatalf("%s before sigstore tuf", args[0])
		}
		repo := v.(*tuftest.Repo)
		if args[0] == "tuf-tamper" {
			repo.TamperTarget(sign.TrustedRootFile)
			return
		}
		other, err := sigstoretest.New()
		ts.Check(err)
		b, err := other.TrustedRootJSON()
		ts.Check(err)
		repo.RotateRoot()
		repo.SetTarget(sign.TrustedRootFile, b)
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
		ts.Fatalf("usage: sigstore root FILE | sigstore sign LOCK OUT SUBJECT ISSUER [FLAG] | sigstore tuf DIR ROOT | sigstore tuf-rotate | sigstore tuf-tamper")
	}
}
