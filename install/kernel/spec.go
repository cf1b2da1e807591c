package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// SpecFile is the file of a kernelspec directory that describes it.
const SpecFile = "kernel.json"

// A Spec is the content of kernel.json, as jupyter_client reads it.
type Spec struct {
	// Argv starts the kernel; "{connection_file}" is replaced by Jupyter.
	Argv []string `json:"argv"`
	// DisplayName is what launchers show.
	DisplayName string `json:"display_name"`
	// Language is the kernel's language ("python", "R").
	Language string `json:"language"`
	// InterruptMode is "signal" (the default when empty) or "message".
	InterruptMode string `json:"interrupt_mode,omitempty"`
	// Env is set for the kernel process, on top of the server's
	// environment; jupyter_client 7+ expands ${VAR} in the values.
	Env map[string]string `json:"env,omitempty"`
	// Metadata is free-form; envlock keeps its own under "envlock".
	Metadata Metadata `json:"metadata"`
}

// Metadata is kernel.json's metadata block. Only envlock's entry is kept
// when a spec is read; other keys are not envlock's to interpret.
type Metadata struct {
	Envlock *Origin `json:"envlock,omitempty"`
}

// An Origin says which environment and lock an envlock kernel runs.
type Origin struct {
	// Prefix is the environment's path.
	Prefix string `json:"prefix"`
	// Env is the environment's name from its manifest.
	Env string `json:"env"`
	// Lock is the path of the lock it was installed from, and LockSHA256
	// the hash of that lock's bytes.
	Lock       string `json:"lock"`
	LockSHA256 string `json:"lock_sha256"`
}

// Encode returns kernel.json's bytes: two-space indented, keys in a
// fixed order, a trailing newline.
func (s *Spec) Encode() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		// A Spec holds only strings, slices and string maps.
		panic(fmt.Sprintf("encoding a kernel spec: %v", err))
	}
	return buf.Bytes()
}

// Parse reads kernel.json. It checks what Jupyter needs to start a kernel
// (a JSON object with a non-empty argv of strings and a display_name) and
// ignores what it does not know.
func Parse(data []byte) (*Spec, error) {
	var s Spec
	if err := json.Unmarshal(data, &s); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not valid JSON at byte %d: %v", se.Offset, err)
		}
		return nil, fmt.Errorf("not a kernelspec: %v", err)
	}
	if len(s.Argv) == 0 {
		return nil, errors.New(`not a kernelspec: no "argv"`)
	}
	if s.DisplayName == "" {
		return nil, errors.New(`not a kernelspec: no "display_name"`)
	}
	return &s, nil
}
