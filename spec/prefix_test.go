package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrefix: env.cue's prefix is kept as written with its position,
// resolved against the manifest's directory by PrefixIn, refused with a
// message that says what to write when it cannot mean what it seems, and
// left out of the hash (moving the environment does not make the lock
// stale).
func TestPrefix(t *testing.T) {
	const base = "package env\n\nname: \"p\"\n"
	tests := []struct {
		field   string // the prefix line, "" for none
		in      string // PrefixIn's directory
		want    string // PrefixIn's answer
		wantErr string
	}{
		{field: "", in: "/proj", want: ""},
		{field: `prefix: "/blue/mygroup/envs/p"`, in: "/proj", want: "/blue/mygroup/envs/p"},
		{field: `prefix: "/blue/mygroup/envs/p/"`, in: "/proj", want: "/blue/mygroup/envs/p"},
		{field: `prefix: ".env"`, in: "/proj", want: "/proj/.env"},
		{field: `prefix: "../envs/p"`, in: "/home/u/proj", want: "/home/u/envs/p"},
		{field: `prefix: "/blue/\(name)/env"`, in: "/proj", want: "/blue/p/env"},
		{field: `prefix: "~/envs/p"`, wantErr: `env.cue:4:9: prefix: "~/envs/p": ~ is not expanded here; write the absolute path, or a path relative to the directory of env.cue`},
		{field: `prefix: "$HOME/envs/p"`, wantErr: `env.cue:4:9: prefix: "$HOME/envs/p": environment variables are not expanded here; write the absolute path, or a path relative to the directory of env.cue`},
		{field: `prefix: "a\u0000b"`, wantErr: `env.cue:4:9: prefix: "a\x00b": a path cannot hold a NUL byte`},
		{field: `prefix: ""`, wantErr: `env.cue:4:9: prefix: the prefix is empty; write a path, or leave prefix out (schemas/env.cue:`},
		{field: `prefix: ["/a"]`, wantErr: `env.cue:4:9: prefix: the prefix is a path, written as a string in quotes: prefix: "/blue/mygroup/envs/project" (schemas/env.cue:`},
	}
	var noPrefixHash string
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "env.cue"), []byte(base+tt.field+"\n"), 0o666); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			m, err := Load(".", &LoadOptions{Host: "linux-64"})
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Load: %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.PrefixIn(tt.in); got != tt.want {
				t.Errorf("PrefixIn(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.field != "" && (m.PrefixPos.Filename != "env.cue" || m.PrefixPos.Line != 4 || m.PrefixPos.Column != 9) {
				t.Errorf("PrefixPos = %v, want env.cue:4:9", m.PrefixPos)
			}
			if bytes.Contains(m.Normalized(), []byte("prefix")) {
				t.Errorf("the normalized form holds the prefix:\n%s", m.Normalized())
			}
			h := m.Hash()
			if noPrefixHash == "" {
				noPrefixHash = h
			} else if h != noPrefixHash {
				t.Errorf("hash %s with %s, %s without a prefix", h, tt.field, noPrefixHash)
			}
		})
	}
}
