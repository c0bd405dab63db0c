// Package serveproc starts the real `wasmhook serve` binary for the
// benchmark programs and tells them where it listens.
package serveproc

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// Process is a started relay.
type Process struct {
	URL string // http://127.0.0.1:PORT, from serve's "listening" log line
	Pid int
}

// Start runs bin serve --config config and returns once it listens (or,
// after wait, an error with its log); stop sends SIGTERM and waits.
func Start(bin, config string, wait time.Duration) (Process, func(), error) {
	cmd := exec.Command(bin, "serve", "--config", config)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return Process{}, nil, err
	}
	stop := func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }
	url := make(chan string, 1)
	var log bytes.Buffer
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`url=(\S+)`)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case url <- m[1]:
				default: // one address is all the caller waits for
				}
			}
		}
	}()
	select {
	case u := <-url:
		return Process{u, cmd.Process.Pid}, stop, nil
	case <-time.After(wait):
		stop()
		mu.Lock()
		defer mu.Unlock()
		return Process{}, nil, fmt.Errorf("serve did not start:\n%s", log.String())
	}
}
