package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envlock/envlock/internal/testenv"
)

// TestCompletionShells loads each completion script into the real shell
// and asks it to complete a command name and a flag.
func TestCompletionShells(t *testing.T) {
	tests := []struct {
		shell  string
		script string // run after the completion file is loaded from $F
		want   []string
	}{
		{"bash", `source "$F"
complete -p envlock
COMP_WORDS=(envlock instal); COMP_CWORD=1; _envlock; echo "cmd:${COMPREPLY[*]}"
COMP_WORDS=(envlock list --js); COMP_CWORD=2; _envlock; echo "flag:${COMPREPLY[*]}"
COMP_WORDS=(envlock help verify-); COMP_CWORD=2; _envlock; echo "help:${COMPREPLY[*]}"
`, []string{"complete -o filenames -F _envlock envlock", "cmd:install", "flag:--json", "help:verify-lock"}},
		{"zsh", `autoload -U compinit; compinit -u -d "$TMP/zcompdump"
source "$F"
print "registered:${_comps[envlock]}"
whence -w _envlock
`, []string{"registered:_envlock", "_envlock: function"}},
		{"fish", `source $F
complete -C 'envlock instal'
complete -C 'envlock list --js'
complete -C 'envlock env'
`, []string{"install\treplay a lock into an environment at PATH", "--json\tprint JSON (schemas/cli.cue #List)", "env\tlist the named environments in envs_dirs"}},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			sh := testenv.Tool(t, tt.shell, "apt-get install "+tt.shell)
			var out, errb bytes.Buffer
			env := &Env{Stdout: &out, Stderr: &errb, Getenv: os.Getenv, Dir: t.TempDir()}
			if code := run(context.Background(), env, []string{"completion", tt.shell}); code != 0 {
				t.Fatalf("envlock completion %s: exit %d: %s", tt.shell, code, errb.String())
			}
			f := filepath.Join(t.TempDir(), "envlock."+tt.shell)
			if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(sh, "-c", tt.script)
			cmd.Env = append(os.Environ(), "F="+f, "TMP="+t.TempDir(), "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
			got, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", tt.shell, err, got)
			}
			lines := strings.Split(strings.TrimSpace(string(got)), "\n")
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					if l == w {
						found = true
					}
				}
				if !found {
					t.Errorf("%s output lacks the line %q; got:\n%s", tt.shell, w, got)
				}
			}
		})
	}
}
