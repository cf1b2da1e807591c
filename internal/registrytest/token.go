package registrytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Token auth as Docker Hub, GHCR and Harbor do it (distribution's
// "token" auth): the registry answers 401 with a Bearer challenge naming
// a token server (the realm); a client trades its credentials there for
// a short-lived JWT listing the repositories and actions it may use,
// signed by a key whose certificate chains to the registry's
// rootcertbundle. Tokens may also be handed out beforehand, as CI
// systems and ENVLOCK_TOKENS do.

// Service and Issuer name the test registry and its token server in the
// tokens.
const (
	Service = "registrytest"
	Issuer  = "registrytest-token-issuer"
)

// A TokenServer signs registry tokens and serves the realm: GET
// /token?service=…&scope=repository:NAME:ACTIONS with basic auth as
// User and Password grants what the scopes ask. It is also the
// registry's front door: every other request goes through to the
// registry behind it, so that the realm is on the registry's own host
// and port, as on GHCR (go-containerregistry refuses a realm on another
// loopback or private address).
type TokenServer struct {
	URL            string // the realm is URL + "/token"
	User, Password string
	key            *ecdsa.PrivateKey
	cert           []byte // DER, self-signed: the registry's root
	certPath       string // its PEM, the registry's rootcertbundle
	srv            *httptest.Server
	backend        atomic.Pointer[httputil.ReverseProxy]
}

// StartTokenServer starts a token server for a registry in dir,
// accepting user and password. Close stops it.
func StartTokenServer(dir, user, password string) (*TokenServer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: Issuer},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ts := &TokenServer{User: user, Password: password, key: key, cert: der, certPath: filepath.Join(dir, "token-root.pem")}
	if err := os.WriteFile(ts.certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	ts.srv = httptest.NewServer(http.HandlerFunc(ts.serve))
	ts.URL = ts.srv.URL
	return ts, nil
}

// Close stops the token server.
func (ts *TokenServer) Close() { ts.srv.Close() }

func (ts *TokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/token" {
		if b := ts.backend.Load(); b != nil {
			b.ServeHTTP(w, r)
			return
		}
		http.Error(w, "no registry yet", http.StatusServiceUnavailable)
		return
	}
	u, p, ok := r.BasicAuth()
	if !ok || u != ts.User || p != ts.Password || r.URL.Query().Get("service") != Service {
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
		return
	}
	var access []Access
	for _, scope := range r.URL.Query()["scope"] {
		// repository:NAME:ACTION[,ACTION]; NAME may hold no colon here.
		parts := strings.Split(scope, ":")
		if len(parts) != 3 {
			continue
		}
		access = append(access, Access{Type: parts[0], Name: parts[1], Actions: strings.Split(parts[2], ",")})
	}
	tok, err := ts.Token(u, access, 5*time.Minute)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 300, "issued_at": time.Now().UTC().Format(time.RFC3339)})
}

// Access is one grant of a token: Type "repository", a repository Name,
// and Actions ("pull", "push").
type Access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// Token signs a token for subject granting access, valid for ttl from
// now (a negative ttl: one that has expired).
func (ts *TokenServer) Token(subject string, access []Access, ttl time.Duration) (string, error) {
	enc := base64.RawURLEncoding
	header, err := json.Marshal(map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(ts.cert)}})
	if err != nil {
		return "", err
	}
	now := time.Now()
	nbf := now.Add(-time.Minute)
	if ttl < 0 {
		nbf = now.Add(2 * ttl)
	}
	if access == nil {
		access = []Access{}
	}
	jti := make([]byte, 8)
	rand.Read(jti)
	claims, err := json.Marshal(map[string]any{
		"iss": Issuer, "sub": subject, "aud": Service,
		"exp": now.Add(ttl).Unix(), "nbf": nbf.Unix(), "iat": nbf.Unix(),
		"jti": fmt.Sprintf("%x", jti), "access": access,
	})
	if err != nil {
		return "", err
	}
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, ts.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64) // JWS ES256: r and s, 32 bytes each
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + enc.EncodeToString(sig), nil
}

// tokenConfig is the registry configuration of token auth.
func (ts *TokenServer) tokenConfig() string {
	return fmt.Sprintf("auth:\n  token:\n    realm: %s/token\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n", ts.URL, Service, Issuer, ts.certPath)
}
