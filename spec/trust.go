package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/envlock/envlock/schemas"
)

// Trust is a trust section (#Trust in schemas/env.cue): who may sign a
// lock.
type Trust struct {
	// Keys are the PEM public keys, read from their files.
	Keys [][]byte
	// KeyFiles name where each key came from ("inline" for PEM text).
	KeyFiles []string
	// Identities are the trusted keyless signers.
	Identities []TrustIdentity
	// TrustedRoot is the path of the Sigstore trusted_root.json, made
	// absolute; "" for the default.
	TrustedRoot string
	// File is the CUE file the section was read from.
	File string
}

// A TrustIdentity is a keyless signer: an OIDC issuer and a certificate
// subject, each exact or a regular expression.
type TrustIdentity struct {
	Issuer        string `json:"issuer,omitempty"`
	IssuerRegexp  string `json:"issuer_regexp,omitempty"`
	Subject       string `json:"subject,omitempty"`
	SubjectRegexp string `json:"subject_regexp,omitempty"`
}

// ReadTrust reads the top-level trust field of a CUE file (a site policy
// or an env.cue) and checks it against #Trust; a file without one gives
// nil. Only that field is evaluated, so a policy's other rules, which may
// refer to a manifest's fields, do not need a manifest here. Key files
// and the trusted root are relative to the file's directory.
func ReadTrust(path string) (*Trust, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the trust section: %w", err)
	}
	f, err := parser.ParseFile(path, src, parser.ParseComments)
	if err != nil {
		return nil, trustError(err)
	}
	var field *ast.Field
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.Field); ok {
			if name, _, _ := ast.LabelName(fd.Label); name == "trust" {
				field = fd
			}
		}
	}
	if field == nil {
		return nil, nil
	}
	ctx := cuecontext.New()
	schema := ctx.CompileString(schemas.Env, cue.Filename(schemas.EnvFile))
	if err := schema.Err(); err != nil {
		return nil, fmt.Errorf("internal error: compiling the schema: %v", err)
	}
	v := ctx.BuildFile(&ast.File{Filename: path, Decls: []ast.Decl{field}})
	user := v.LookupPath(cue.ParsePath("trust"))
	t := schema.LookupPath(cue.MakePath(cue.Def("#Trust"))).Unify(user)
	if err := t.Validate(cue.Concrete(true)); err != nil {
		return nil, trustError(err)
	}
	var raw struct {
		Keys        []string        `json:"keys"`
		Identities  []TrustIdentity `json:"identities"`
		TrustedRoot string          `json:"trusted_root"`
	}
	if err := t.Decode(&raw); err != nil {
		return nil, trustError(err)
	}
	dir := filepath.Dir(path)
	tr := &Trust{File: path, Identities: raw.Identities}
	pos := func(sel ...cue.Selector) string {
		p := user.LookupPath(cue.MakePath(sel...)).Pos()
		if !p.IsValid() {
			return path
		}
		return fmt.Sprintf("%s:%d:%d", p.Filename(), p.Line(), p.Column())
	}
	for i, k := range raw.Keys {
		at := pos(cue.Str("keys"), cue.Index(i))
		if strings.Contains(k, "-----BEGIN") {
			tr.Keys, tr.KeyFiles = append(tr.Keys, []byte(k)), append(tr.KeyFiles, "inline")
			continue
		}
		kp := k
		if !filepath.IsAbs(kp) {
			kp = filepath.Join(dir, kp)
		}
		b, err := os.ReadFile(kp)
		if err != nil {
			return nil, fmt.Errorf("%s: trust.keys[%d]: %w", at, i, err)
		}
		tr.Keys, tr.KeyFiles = append(tr.Keys, b), append(tr.KeyFiles, kp)
	}
	for i, id := range raw.Identities {
		at := pos(cue.Str("identities"), cue.Index(i))
		switch {
		case id.Subject == "" && id.SubjectRegexp == "":
			return nil, fmt.Errorf("%s: trust.identities[%d]: needs subject or subject_regexp (the certificate identity, e.g. a workflow URI)", at, i)
		case id.Issuer == "" && id.IssuerRegexp == "":
			return nil, fmt.Errorf("%s: trust.identities[%d]: needs issuer or issuer_regexp (the OIDC issuer, e.g. https://token.actions.githubusercontent.com)", at, i)
		}
		for _, re := range []string{id.SubjectRegexp, id.IssuerRegexp} {
			if _, err := regexp.Compile(re); err != nil {
				return nil, fmt.Errorf("%s: trust.identities[%d]: bad regular expression %q: %v", at, i, re, err)
			}
		}
	}
	if raw.TrustedRoot != "" {
		tr.TrustedRoot = raw.TrustedRoot
		if !filepath.IsAbs(tr.TrustedRoot) {
			tr.TrustedRoot = filepath.Join(dir, tr.TrustedRoot)
		}
	}
	return tr, nil
}

// trustError turns CUE's errors into one line each with positions.
func trustError(err error) error {
	var lines []string
	for _, e := range cueerrors.Errors(err) {
		msg := strings.ReplaceAll(e.Error(), "#Trust.", "trust.")
		msg = strings.ReplaceAll(msg, "#Identity.", "identity.")
		if strings.HasSuffix(msg, "field not allowed") {
			msg += " (a trust section has keys, identities and trusted_root; an identity has issuer, issuer_regexp, subject and subject_regexp)"
		}
		ps := e.InputPositions()
		if p := e.Position(); p.IsValid() {
			ps = append([]token.Pos{p}, ps...)
		}
		// Point at the user's file, not at the schema's constraint.
		for _, p := range ps {
			if p.Filename() != schemas.EnvFile {
				msg = fmt.Sprintf("%s:%d:%d: %s", p.Filename(), p.Line(), p.Column(), msg)
				break
			}
		}
		lines = append(lines, msg)
	}
	if len(lines) == 0 {
		return err
	}
	return errors.New(strings.Join(lines, "\n"))
}
