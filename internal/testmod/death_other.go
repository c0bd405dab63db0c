//go:build !linux

package testmod

import "os/exec"

// DiesWithTest does nothing where the kernel has no parent-death signal.
func DiesWithTest(*exec.Cmd) {}
