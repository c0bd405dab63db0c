//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package runtime

// reserveMemory is not available here: the buffer grows on the heap.
func reserveMemory(size uint64) ([]byte, bool) { return nil, false }

func releaseMemory([]byte) {}
