package testmod

import (
	"fmt"
	"os"
	"os/exec"
)

// BuildGo builds the Go guest whose main package is in dir into out, for
// GOOS=wasip1 GOARCH=wasm: a reactor (-buildmode=c-shared) or, when
// reactor is false, a command. It is the one place the tests build Go
// guests.
func BuildGo(dir, out string, reactor bool) error {
	args := []string{"build", "-o", out}
	if reactor {
		args = append(args, "-buildmode=c-shared")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the Go guest %s: %v\n%s", dir, err, b)
	}
	return nil
}
