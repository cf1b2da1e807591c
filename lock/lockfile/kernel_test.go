package lockfile

import (
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/google/go-cmp/cmp"

	"github.com/envlock/envlock/schemas"
)

// TestKernel checks that the manifest's kernel rides in the lock: after
// env, before platforms, absent when there is none (so locks without a
// kernel keep their bytes), read back the same, and valid under
// schemas/lock.cue.
func TestKernel(t *testing.T) {
	plain, err := sample(0).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), `"kernel"`) {
		t.Errorf("a lock without a kernel has a kernel field:\n%s", plain)
	}

	l := sample(0)
	l.Env = map[string]string{"OMP_NUM_THREADS": "1"}
	l.Kernel = &Kernel{Name: "demo", DisplayName: "Demo (py3.11)", Env: map[string]string{"MPLBACKEND": "agg"}}
	data, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `  "env": {
    "OMP_NUM_THREADS": "1"
  },
  "kernel": {
    "name": "demo",
    "display_name": "Demo (py3.11)",
    "env": {
      "MPLBACKEND": "agg"
    }
  },
  "platforms": [`
	if !strings.Contains(string(data), want) {
		t.Errorf("encoded lock lacks\n%s\nin\n%s", want, data)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l.Kernel, back.Kernel); diff != "" {
		t.Errorf("kernel after a round trip (-want +got):\n%s", diff)
	}
	again, _ := back.Encode()
	if string(again) != string(data) {
		t.Error("re-encoding a parsed lock with a kernel changed its bytes")
	}

	ctx := cuecontext.New()
	def := ctx.CompileString(schemas.Lock, cue.Filename("schemas/lock.cue")).LookupPath(cue.ParsePath("#Lock"))
	if err := def.Unify(ctx.CompileBytes(data)).Validate(cue.Concrete(true)); err != nil {
		t.Errorf("a lock with a kernel does not satisfy #Lock: %v", err)
	}
	bad := strings.Replace(string(data), `"name": "demo",
    "display_name"`, `"name": "de mo",
    "display_name"`, 1)
	if err := def.Unify(ctx.CompileString(bad)).Validate(cue.Concrete(true)); err == nil {
		t.Error("a kernel name with a space passed the schema")
	}
}
