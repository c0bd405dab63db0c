//go:build unix

package queue

import (
	"errors"
	"os"
	"syscall"
)

// lockDir takes the data directory's lock, file, for as long as the
// returned file stays open: an exclusive, non-blocking flock(2), which the
// kernel lets go when the process ends however it ends. It returns
// errLocked when another open queue holds it.
func lockDir(file string) (*os.File, error) {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}
