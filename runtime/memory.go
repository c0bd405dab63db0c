package runtime

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// limitedMemory backs one instance's linear memory and refuses to grow it
// past a limit, which makes memory.grow return -1 in the guest. It records
// that it refused, so that a call that then fails is reported as
// ErrMemoryLimit rather than as the trap the guest turned it into.
//
// Where the platform allows (memory_mmap.go), the whole limit is reserved
// as address space up front, so growing never copies and the pages a guest
// never touches cost nothing; elsewhere the buffer grows geometrically.
type limitedMemory struct {
	buf    []byte
	limit  uint64
	denied atomic.Bool
	peak   atomic.Uint64
	// mapped is the reserved region when buf lives in it.
	mapped []byte
}

func newLimitedMemory(limit uint64) *limitedMemory {
	return &limitedMemory{limit: limit}
}

// Allocate implements experimental.MemoryAllocator; one limitedMemory
// serves exactly one instance.
func (m *limitedMemory) Allocate(capacity, max uint64) experimental.LinearMemory {
	reserve := min(m.limit, max)
	if region, ok := reserveMemory(reserve); ok {
		m.mapped = region
		m.buf = region[:0]
		return m
	}
	m.buf = make([]byte, 0, min(capacity, m.limit))
	return m
}

// Reallocate implements experimental.LinearMemory.
func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		m.denied.Store(true)
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
	} else {
		// Grow geometrically, within the limit, so that a guest growing page
		// by page does not copy its memory on every grow.
		newCap := uint64(cap(m.buf)) * 2
		if newCap < size {
			newCap = size
		}
		if newCap > m.limit {
			newCap = m.limit
		}
		buf := make([]byte, size, newCap)
		copy(buf, m.buf)
		m.buf = buf
	}
	if size > m.peak.Load() {
		m.peak.Store(size)
	}
	return m.buf
}

// Free implements experimental.LinearMemory. wazero calls it when the
// instance is closed, never while the guest runs.
func (m *limitedMemory) Free() {
	if m.mapped != nil {
		releaseMemory(m.mapped)
		m.mapped = nil
	}
	m.buf = nil
}
