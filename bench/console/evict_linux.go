package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/wasmhook/wasmhook/relay/queue"
)

// errNoEvict: this system cannot drop a file from its page cache.
var errNoEvict = errors.New("not evicted")

// evict drops the queue's files from the operating system's page cache
// (posix_fadvise DONTNEED: no privilege needed, other files untouched).
func evict(dir string) error {
	if dir == "" {
		return nil
	}
	for _, name := range []string{queue.FileName, queue.FileName + "-wal"} {
		f, err := os.Open(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
		if err != nil {
			return fmt.Errorf("evicting %s from the page cache: %w", name, err)
		}
	}
	return nil
}
