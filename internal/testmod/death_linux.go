package testmod

import (
	"os/exec"
	"syscall"
)

// DiesWithTest has cmd killed when the test process dies, however it
// dies (a panic, a timeout, SIGKILL), so that no server a test started
// outlives it: the kernel's parent-death signal, SIGKILL. Call it before
// cmd starts.
func DiesWithTest(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
