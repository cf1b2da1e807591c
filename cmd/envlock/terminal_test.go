package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/envlock/envlock/internal/condapkg"
	"github.com/envlock/envlock/internal/testenv"
)

// terminal runs envlock (this test binary as envlock) in a tmux session,
// so that stderr is a real terminal: the screen tmux keeps is what a user
// sees.
type terminal struct {
	t      *testing.T
	tmux   string
	socket string
}

func newTerminal(t *testing.T) *terminal {
	tm := &terminal{t: t, tmux: testenv.Tool(t, "tmux", "apt-get install tmux"), socket: fmt.Sprintf("envlock-test-%d", os.Getpid())}
	t.Cleanup(func() { exec.Command(tm.tmux, "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *terminal) cmd(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tm.tmux, append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// start runs shell in a new 100x24 window; bash, so that a Ctrl-C the
// command handles (exit 130) does not end the shell before it reports.
func (tm *terminal) start(name, shell string) {
	tm.cmd("new-session", "-d", "-s", name, "-x", "100", "-y", "24", "bash -c '"+shell+"'")
}

// screen is what the window shows, lines wrapped at its width joined
// (-J) as the program wrote them.
func (tm *terminal) screen(name string) string { return tm.cmd("capture-pane", "-p", "-J", "-t", name) }

// waitFor polls the screen until it matches re, returning it.
func (tm *terminal) waitFor(name string, re *regexp.Regexp, within time.Duration) string {
	tm.t.Helper()
	deadline := time.Now().Add(within)
	var s string
	for time.Now().Before(deadline) {
		s = tm.screen(name)
		if re.MatchString(s) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	tm.t.Fatalf("screen never showed %s; last screen:\n%s", re, s)
	return ""
}

// slowChannel serves the demo channel, sending each package's bytes in
// small pieces (so the bar is on screen a while), greet-py's a second
// after the others, or half of each and then nothing until the client
// goes away when stall is set.
func slowChannel(t *testing.T, stall bool) (url, lockDir string) {
	dir := t.TempDir()
	if err := condapkg.WriteDemoChannel(filepath.Join(dir, "channel"), ".conda"); err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(filepath.Join(dir, "channel")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, ".conda") {
			files.ServeHTTP(w, r)
			return
		}
		data, err := os.ReadFile(filepath.Join(dir, "channel", filepath.FromSlash(r.URL.Path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if !stall && strings.Contains(r.URL.Path, "/greet-py-") {
			// The last package to link comes a second late: the
			// others are extracted and linked meanwhile.
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		send := data
		if stall {
			send = data[:len(data)/2]
		}
		for len(send) > 0 {
			n := min(len(send), 128)
			w.Write(send[:n])
			w.(http.Flusher).Flush()
			send = send[n:]
			select {
			case <-time.After(40 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		if stall {
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	proj := filepath.Join(dir, "proj")
	os.MkdirAll(proj, 0o777)
	cue := fmt.Sprintf("package env\nname: \"demo\"\nchannels: [%q]\nplatforms: [\"linux-64\"]\ndependencies: \"greet-py\": \"*\"\n", srv.URL)
	if err := os.WriteFile(filepath.Join(proj, "env.cue"), []byte(cue), 0o644); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	env := &Env{Stdout: &errb, Stderr: &errb, Getenv: func(k string) string {
		if k == "XDG_CACHE_HOME" || k == "XDG_CONFIG_HOME" {
			return filepath.Join(dir, k)
		}
		return ""
	}, Dir: proj}
	if code := run(context.Background(), env, []string{"lock"}); code != 0 {
		t.Fatalf("envlock lock: exit %d\n%s", code, errb.String())
	}
	return srv.URL, proj
}

func installShell(t *testing.T, proj string) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`cd %s && %s=1 XDG_CACHE_HOME=%s XDG_CONFIG_HOME=%s ENVLOCK_PKGS_DIRS=%s %s install -p %s; echo "exit=$?"; sleep 60`,
		proj, hostileMainEnv, filepath.Join(proj, "cache"), filepath.Join(proj, "config"), filepath.Join(proj, "pkgs"), exe, filepath.Join(proj, "env"))
}

// TestTerminalInstall: on a terminal, install shows one display of its
// stages — bytes fetched (IEC units), packages extracted and linked —
// redrawn in place while downloads, extraction and linking overlap, and
// the screen ends with one summary line alone: no bar left behind, no
// half-drawn line.
func TestTerminalInstall(t *testing.T) {
	tm := newTerminal(t)
	_, proj := slowChannel(t, false)
	tm.start("install", installShell(t, proj))
	// Three packages extracted and linked while greet-py still
	// downloads: the three stages on screen at once, the display's three
	// lines and nothing else.
	const (
		fetchLine   = `fetching +\d+% \|[█ ]+\| \( *\d+(\.\d)?( B| KiB)?/\d+(\.\d)? (B|KiB)(, *\d+(\.\d)? (B|KiB)/s)?\)`
		extractLine = `extracting +75% \|[█ ]+\| \(3/4\)`
		linkLine    = `linking +75% \|[█ ]+\| \(3/4\)`
	)
	mid := tm.waitFor("install", regexp.MustCompile(`^`+fetchLine+`\s*\n`+extractLine+`\s*\n`+linkLine+`\s*\n\s*$`), 30*time.Second)
	if regexp.MustCompile(`\d (kB|KB|MB)\b`).MatchString(mid) {
		t.Errorf("the display is not in IEC units:\n%s", mid)
	}
	if m := regexp.MustCompile(`fetching +(\d+)%`).FindStringSubmatch(mid); m[1] == "100" {
		t.Errorf("no package was extracted while others downloaded:\n%s", mid)
	}
	screen := tm.waitFor("install", regexp.MustCompile(`exit=\d+`), 60*time.Second)
	var lines []string
	for _, l := range strings.Split(screen, "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			lines = append(lines, l)
		}
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^installed 4 packages \(16 files; 5\.\d KiB fetched in \d+(\.\d)?m?s\) into ` + regexp.QuoteMeta(filepath.Join(proj, "env")) + `$`),
		regexp.MustCompile(`^exit=0$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("screen has %d lines, want %d:\n%s", len(lines), len(want), screen)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("screen line %d = %q, want %s", i+1, lines[i], re)
		}
	}
}

// TestTerminalInterrupt: Ctrl-C during the download exits 130, the bar is
// erased so "interrupted" stands on its own line, and no environment is
// left behind.
func TestTerminalInterrupt(t *testing.T) {
	tm := newTerminal(t)
	_, proj := slowChannel(t, true)
	tm.start("stall", installShell(t, proj))
	tm.waitFor("stall", regexp.MustCompile(`fetching .*KiB|fetching .*\d B`), 30*time.Second)
	tm.cmd("send-keys", "-t", "stall", "C-c")
	screen := tm.waitFor("stall", regexp.MustCompile(`exit=\d+`), 30*time.Second)
	if !regexp.MustCompile(`(?m)^exit=130$`).MatchString(screen) {
		t.Fatalf("Ctrl-C: want exit=130; screen:\n%s", screen)
	}
	if !regexp.MustCompile(`(?m)^envlock install: interrupted\s*$`).MatchString(screen) {
		t.Errorf("Ctrl-C: want 'envlock install: interrupted' on a clean line; screen:\n%s", screen)
	}
	if strings.Contains(screen, "%") {
		t.Errorf("Ctrl-C: the bar was left on screen:\n%s", screen)
	}
	if _, err := os.Stat(filepath.Join(proj, "env", "conda-meta")); !os.IsNotExist(err) {
		t.Errorf("Ctrl-C left an environment behind: stat conda-meta: %v", err)
	}
}
