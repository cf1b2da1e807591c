package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestExitCodes runs every command's usage error and a failure and holds
// the exit codes to the table in exitcode.go (and to the README's copy).
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"bad.lock": "not a lock\n",
		"env.cue":  "package env\nname: \"x\"\nchannels: [\"nochannel\"]\nplatforms: [\"linux-64\"]\ndependencies: {numpy: \"*\"}\n",
		"key.pub":  "not a key\n",
		"notdir":   "",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(dir, "missing")
	usage := map[string]int{"verify": exitInput, "doctor": exitInput}
	failures := map[string]struct {
		args []string
		code int
	}{
		"init":         {[]string{"init", "-C", dir}, exitFail}, // env.cue exists
		"import":       {[]string{"import", missing}, exitFail},
		"check":        {[]string{"check", "-C", missing}, exitFail},
		"add":          {[]string{"add", "-C", missing, "numpy"}, exitFail},
		"drop":         {[]string{"drop", "-C", dir, "--no-lock", "scipy"}, exitFail},
		"lock":         {[]string{"lock", "-C", missing}, exitFail},
		"diff":         {[]string{"diff", missing, missing}, exitFail},
		"install":      {[]string{"install", "--lock", missing, "-p", filepath.Join(dir, "p")}, exitFail},
		"run":          {[]string{"run", "-p", missing, "--", "true"}, exitFail},
		"shell-hook":   {[]string{"shell-hook", "-p", missing}, exitFail},
		"kernel":       {[]string{"kernel", "remove", "no-such-kernel", "--prefix", dir}, exitFail},
		"module":       {[]string{"module", "-p", missing}, exitFail},
		"remove":       {[]string{"remove", "-p", missing}, exitFail},
		"bundle":       {[]string{"bundle", "--lock", missing, "-o", filepath.Join(dir, "b")}, exitFail},
		"push":         {[]string{"push", "--lock", missing, "oci://127.0.0.1:9/env/demo:v1"}, exitFail},
		"pull":         {[]string{"pull", "oci://127.0.0.1:9/env/demo:v1", "-o", filepath.Join(dir, "pulled")}, exitFail},
		"export":       {[]string{"export", "-C", missing}, exitFail},
		"search":       {[]string{"search", "numpy", "--channel", missing}, exitFail},
		"solve":        {[]string{"solve", "--channel", missing, "numpy"}, exitFail},
		"keygen":       {[]string{"keygen", "--out", filepath.Join(dir, "notdir", "k")}, exitFail},
		"sign":         {[]string{"sign", "--key", missing, filepath.Join(dir, "bad.lock")}, exitFail},
		"verify-lock":  {[]string{"verify-lock", "--key", filepath.Join(dir, "key.pub"), filepath.Join(dir, "bad.lock")}, exitSignature},
		"trusted-root": {[]string{"trusted-root", "--builtin", "--out", filepath.Join(dir, "notdir", "r")}, exitFail},
		"host":         {[]string{"host", "extra"}, exitUsage},
		"doctor":       {[]string{"doctor", "--lock", missing}, exitInput},
		"verify":       {[]string{"verify", "-p", missing}, exitInput},
		"config":       {[]string{"config", "--link", "teleport"}, exitUsage},
		"env":          {[]string{"env", "nothing"}, exitUsage},
		"list":         {[]string{"list", "-p", missing}, exitFail},
		"completion":   {[]string{"completion", "tcsh"}, exitUsage},
	}
	getenv := func(k string) string {
		switch k {
		case "HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME":
			return filepath.Join(dir, "home")
		case "ENVLOCK_OFFLINE":
			return "1"
		}
		return ""
	}
	runCode := func(args []string) (int, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Getenv: getenv, Dir: dir}
		return run(context.Background(), env, args), errb.String()
	}
	for _, c := range commands {
		t.Run(c.Name+"/usage", func(t *testing.T) {
			want := exitUsage
			if w, ok := usage[c.Name]; ok {
				want = w
			}
			code, stderr := runCode([]string{c.Name, "--no-such-flag"})
			if code != want {
				t.Errorf("envlock %s --no-such-flag: exit %d, want %d\n%s", c.Name, code, want, stderr)
			}
			if !strings.Contains(stderr, "flag provided but not defined: -no-such-flag") || !strings.Contains(stderr, "usage: envlock "+c.Name) {
				t.Errorf("envlock %s --no-such-flag: stderr lacks the error and the usage line:\n%s", c.Name, stderr)
			}
		})
		t.Run(c.Name+"/failure", func(t *testing.T) {
			f, ok := failures[c.Name]
			if !ok {
				t.Fatalf("no failure case for %s: add one to TestExitCodes", c.Name)
			}
			code, stderr := runCode(f.args)
			if code != f.code {
				t.Errorf("envlock %s: exit %d, want %d\n%s", strings.Join(f.args, " "), code, f.code, stderr)
			}
			if !strings.HasPrefix(stderr, "envlock ") && !strings.Contains(stderr, "\nenvlock ") && !strings.Contains(stderr, "usage: ") {
				t.Errorf("envlock %s: no error message on stderr:\n%s", strings.Join(f.args, " "), stderr)
			}
		})
	}
	// Outside any command.
	for _, tt := range []struct {
		args []string
		code int
	}{
		{nil, exitUsage},
		{[]string{"instal"}, exitUsage},
		{[]string{"help", "nothing"}, exitUsage},
		{[]string{"help", "exit-codes"}, exitOK},
		{[]string{"version"}, exitOK},
	} {
		if code, stderr := runCode(tt.args); code != tt.code {
			t.Errorf("envlock %s: exit %d, want %d\n%s", strings.Join(tt.args, " "), code, tt.code, stderr)
		}
	}
}

// TestExitCodesDocumented checks that the README's table lists the codes
// of exitcode.go with the same meanings.
func TestExitCodesDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exitCodes {
		row := regexp.MustCompile(`(?m)^\| ` + strconv.Itoa(e.code) + ` \| (.*) \|$`).FindSubmatch(readme)
		if row == nil {
			t.Errorf("README.md has no exit-code row for %d", e.code)
			continue
		}
		if got := strings.ReplaceAll(string(row[1]), "`", ""); got != e.meaning {
			t.Errorf("README.md exit %d:\n got %q\nwant %q (exitcode.go)", e.code, got, e.meaning)
		}
	}
}
