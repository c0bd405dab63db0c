//go:build !linux

package main_test

import "os/exec"

// setDeathSignal does nothing where the kernel offers no parent-death
// signal.
func setDeathSignal(cmd *exec.Cmd) {}
