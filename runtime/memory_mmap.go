//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package runtime

import "syscall"

// reserveMemory maps size bytes of zeroed, private address space. The
// kernel backs pages only when the guest touches them (MAP_NORESERVE), so
// reserving a 64 MiB limit for a guest that uses 2 MiB costs 2 MiB.
func reserveMemory(size uint64) ([]byte, bool) {
	if size == 0 || size > maxMemoryBytes {
		return nil, false
	}
	b, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return nil, false
	}
	return b, true
}

func releaseMemory(b []byte) { _ = syscall.Munmap(b) }
