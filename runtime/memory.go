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
// Where the platform allows (memory_mmap.go) and the host's memory budget
// has room (budget.go), the whole limit is reserved as address space up
// front, so growing never copies and the pages a guest never touches cost
// nothing; elsewhere the buffer grows geometrically on the heap, charged
// to the budget as it grows.
type limitedMemory struct {
	buf    []byte
	limit  uint64
	denied atomic.Bool
	// overBudget: the refusal was the host's budget's, not the limit's.
	overBudget atomic.Bool
	peak       atomic.Uint64
	// mapped is the reserved region when buf lives in it.
	mapped []byte
	// charged is what the memory holds of the host's budget.
	charged uint64
}

func newLimitedMemory(limit uint64) *limitedMemory {
	return &limitedMemory{limit: limit}
}

// prepay charges the budget for the memory an instance starts with,
// before it is made: wazero cannot take a refusal of the initial memory.
func (m *limitedMemory) prepay(n uint64) bool {
	if !memoryBudget.take(n) {
		return false
	}
	m.charged = n
	return true
}

// Allocate implements experimental.MemoryAllocator; one limitedMemory
// serves exactly one instance.
func (m *limitedMemory) Allocate(capacity, max uint64) experimental.LinearMemory {
	reserve := min(m.limit, max)
	if reserve > m.charged && memoryBudget.reserve(reserve-m.charged) {
		if region, ok := reserveMemory(reserve); ok {
			m.mapped = region
			m.buf = region[:0]
			m.charged = reserve
			return m
		}
		memoryBudget.give(reserve - m.charged)
	}
	m.buf = make([]byte, 0, min(capacity, m.limit, m.charged))
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
		// by page does not copy its memory on every grow; within the
		// budget too, or by just what is asked for, or not at all.
		newCap := min(max(uint64(cap(m.buf))*2, size), m.limit)
		if !m.charge(newCap) {
			newCap = size
			if !m.charge(size) {
				m.denied.Store(true)
				m.overBudget.Store(true)
				return nil
			}
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

// charge makes the memory's charge to the budget at least n bytes.
func (m *limitedMemory) charge(n uint64) bool {
	if n <= m.charged {
		return true
	}
	if !memoryBudget.take(n - m.charged) {
		return false
	}
	m.charged = n
	return true
}

// Free implements experimental.LinearMemory. wazero calls it when the
// instance is closed, never while the guest runs.
func (m *limitedMemory) Free() {
	if m.mapped != nil {
		releaseMemory(m.mapped)
		m.mapped = nil
	}
	m.buf = nil
	memoryBudget.give(m.charged)
	m.charged = 0
}
