// Package registrytest runs a real OCI registry for tests: Debian's
// docker-registry (the CNCF distribution registry), on a free loopback
// port with its storage in a temporary directory, stopped when the test
// ends. Tests reach it through Start, which goes through testenv when
// the registry is not installed.
package registrytest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envlock/envlock/internal/testenv"
)

// Command is the registry binary.
const Command = "docker-registry"

// How says how to get it.
const How = "apt-get install docker-registry; .ci/run installs it"

// A Registry is a running registry.
type Registry struct {
	Host    string // 127.0.0.1:PORT
	Storage string // its storage directory
	cmd     *exec.Cmd
	done    chan struct{}
}

// Start starts a registry for t and stops it when t ends.
func Start(t testing.TB) *Registry {
	t.Helper()
	bin := testenv.Tool(t, Command, How)
	r, err := Run(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// Run starts the registry binary bin with its storage and config in
// dir; the caller stops it.
func Run(bin, dir string) (*Registry, error) { return RunAuth(bin, dir, "") }

// RunAuth is Run with basic auth from an htpasswd file (bcrypt entries)
// when htpasswd is not empty.
func RunAuth(bin, dir, htpasswd string) (*Registry, error) {
	auth := ""
	if htpasswd != "" {
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: envlock-test\n    path: %s\n", htpasswd)
	}
	return run(bin, dir, auth)
}

// RunToken is Run with token auth (Bearer challenges) by the token
// server ts.
// Its Host is the token server's, which passes requests through.
func RunToken(bin, dir string, ts *TokenServer) (*Registry, error) {
	r, err := run(bin, dir, ts.tokenConfig())
	if err != nil {
		return nil, err
	}
	ts.backend.Store(httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: r.Host}))
	r.Host = strings.TrimPrefix(ts.URL, "http://")
	return r, nil
}

func run(bin, dir, auth string) (*Registry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	host := l.Addr().String()
	l.Close()
	storage := filepath.Join(dir, "storage")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, storage, host)
	cfg += auth
	cfgPath := filepath.Join(dir, "registry.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %v", bin, err)
	}
	r := &Registry{Host: host, Storage: storage, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(r.done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil { // 200, or 401 asking for credentials
			resp.Body.Close()
			return r, nil
		}
		select {
		case <-r.done:
			log, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("%s exited: %s", bin, log)
		case <-ctx.Done():
			r.Stop()
			return nil, fmt.Errorf("%s did not answer on %s within 15s", bin, host)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Blob returns the path of a blob's data in the registry's storage
// (the filesystem driver's layout), for tests that damage it.
func (r *Registry) Blob(digest string) string {
	hex := digest[len("sha256:"):]
	return filepath.Join(r.Storage, "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}

// Stop stops the registry and waits for it.
func (r *Registry) Stop() {
	select {
	case <-r.done:
		return
	default:
	}
	r.cmd.Process.Kill()
	<-r.done
}
