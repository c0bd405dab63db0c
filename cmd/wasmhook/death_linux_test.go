package main_test

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the command when the test process dies, so that a
// test binary that panics or times out leaves no serve running.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
