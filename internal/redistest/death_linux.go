package redistest

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the server when the test process dies, so that a
// crashed or killed test leaves no redis-server behind.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
