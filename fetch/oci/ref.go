package oci

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Scheme starts every registry reference envlock takes.
const Scheme = "oci://"

// IsRef reports whether s names a registry location (oci://…).
func IsRef(s string) bool { return strings.HasPrefix(s, Scheme) }

// ParseRef parses oci://HOST/REPO[:TAG|@sha256:HEX]. A reference with
// neither tag nor digest means the tag "latest", as in docker and oras.
func ParseRef(s string) (name.Reference, error) {
	rest, ok := strings.CutPrefix(s, Scheme)
	if !ok {
		return nil, fmt.Errorf("%q is not a registry reference: want oci://HOST/REPO:TAG or oci://HOST/REPO@sha256:…", s)
	}
	host, _, _ := strings.Cut(rest, "/")
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		return nil, fmt.Errorf("%q names no registry host: want oci://HOST/REPO:TAG (e.g. oci://ghcr.io/lab/env:v1)", s)
	}
	ref, err := name.ParseReference(rest, name.StrictValidation)
	if err != nil {
		// StrictValidation refuses a missing tag; allow it as "latest".
		if ref2, err2 := name.ParseReference(rest); err2 == nil && !strings.Contains(rest, "@") {
			return ref2, nil
		}
		return nil, fmt.Errorf("%q is not a valid registry reference: %v", s, err)
	}
	return ref, nil
}

// Keychain finds credentials for a registry: a bearer token for the host
// in ENVLOCK_TOKENS ("host=token;host2=token2", as for HTTP channels),
// else the Docker config ($DOCKER_CONFIG or ~/.docker/config.json) and
// its credential helpers, which 'docker login' and 'oras login' write.
func Keychain(getenv func(string) string) authn.Keychain {
	tokens := map[string]string{}
	for _, entry := range strings.Split(getenv("ENVLOCK_TOKENS"), ";") {
		if host, tok, ok := strings.Cut(strings.TrimSpace(entry), "="); ok {
			tokens[host] = tok
		}
	}
	return TokenKeychain(tokens)
}

// TokenKeychain is Keychain with the bearer tokens by host already read.
func TokenKeychain(tokens map[string]string) authn.Keychain {
	return authn.NewMultiKeychain(tokenKeychain(tokens), authn.DefaultKeychain)
}

type tokenKeychain map[string]string

func (k tokenKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if tok, ok := k[r.RegistryStr()]; ok {
		return &authn.Bearer{Token: tok}, nil
	}
	return authn.Anonymous, nil
}

// An AccessError is a registry's refusal (401 or 403).
type AccessError struct {
	Host   string
	Status int
	Err    error
	// Sent is set when the refused request carried credentials (a
	// token, or a login traded at the registry's token server): they
	// were wrong, expired, or do not cover what was asked.
	Sent bool
	// Reason is what the registry said, when it said something
	// ("UNAUTHORIZED: authentication required").
	Reason string
}

func (e *AccessError) Error() string {
	msg := fmt.Sprintf("registry %s refused access (%d %s): %v", e.Host, e.Status, http.StatusText(e.Status), e.Err)
	if e.Sent {
		msg += "; it did not accept the credentials envlock sent"
	}
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return msg
}

func (e *AccessError) Unwrap() error { return e.Err }

// Hint says how to give envlock credentials.
func (e *AccessError) Hint() string {
	if e.Sent {
		return fmt.Sprintf("the token (ENVLOCK_TOKENS) or login (~/.docker/config.json) for %s must be current and allow this repository and action (pull; push to publish): log in again with 'docker login %s', or get a new token", e.Host, e.Host)
	}
	return fmt.Sprintf("log in with 'docker login %s' or 'oras login %s' (envlock reads ~/.docker/config.json and its credential helpers), or set ENVLOCK_TOKENS=%s=TOKEN", e.Host, e.Host, e.Host)
}

// ErrNotFound is wrapped when a manifest, tag, repository or blob does
// not exist in the registry.
var ErrNotFound = errors.New("not found in the registry")

// explain turns a ggcr error into one a user can act on.
func explain(host, what string, err error) error {
	if err == nil {
		return nil
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			ae := &AccessError{Host: host, Status: te.StatusCode, Err: fmt.Errorf("%s", what)}
			ae.Sent = te.Request != nil && te.Request.Header.Get("Authorization") != ""
			if len(te.Errors) > 0 {
				d := te.Errors[0]
				ae.Reason = strings.TrimSpace(string(d.Code) + ": " + d.Message)
			}
			return ae
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w (%v)", what, ErrNotFound, te)
		}
		return fmt.Errorf("%s: registry %s answered %d %s: %v", what, host, te.StatusCode, http.StatusText(te.StatusCode), te)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return fmt.Errorf("%s: cannot reach registry %s (%v); check the address, the network and any proxy settings", what, host, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
