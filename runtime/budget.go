package runtime

import (
	"math"
	"sync"
	"sync/atomic"
)

// The host's memory budget.
//
// Every instance's linear memory takes address space: where the platform
// allows, its whole limit is reserved up front (memory_mmap.go), so that
// growing never copies; elsewhere it lives on the Go heap. A process whose
// address space is limited (ulimit -v, RLIMIT_AS) or whose kernel counts
// every writable mapping against a commit limit (vm.overcommit_memory=2)
// died in Go's allocator once the reservations had used the room: Go
// cannot recover from a failed allocation of its own. So instance
// memories take address space from one process-wide budget: half of what
// the limit leaves when the first instance is made, less 512 MiB, the
// rest left to the Go heap, wazero's compiled code and thread stacks (a
// host of 300 modules peaked at 700 MiB of address space of its own). Within the
// first half of the budget an instance reserves its whole limit; past it,
// an instance's memory grows on the heap, charged as it grows; when even that does not
// fit, memory.grow fails (ErrMemoryLimit) or, for an instance's initial
// memory, the instance is not made: a load error or a failed call, never
// a crash. Where nothing limits the address space, the budget is
// unlimited and costs one atomic add per instance.

// memoryBudget is the process-wide budget of instance memory.
var memoryBudget budget

type budget struct {
	once  sync.Once
	limit uint64 // bytes; math.MaxUint64 for no limit
	used  atomic.Uint64
}

// take charges n bytes to the budget, or reports that they do not fit.
func (b *budget) take(n uint64) bool { return b.takeWithin(n, 1) }

// reserve charges n bytes for a reservation of a whole memory limit, which
// may use only half of the budget: the other half stays for memories that
// grow on the heap, which take only what they use.
func (b *budget) reserve(n uint64) bool { return b.takeWithin(n, 2) }

// takeWithin charges n bytes if the budget's used part stays within
// limit/div.
func (b *budget) takeWithin(n, div uint64) bool {
	b.once.Do(func() { b.limit = hostMemoryBudget() })
	limit := b.limit / div
	if b.limit == unlimited {
		limit = unlimited
	}
	for {
		used := b.used.Load()
		if n > limit || used > limit-n {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// give returns n bytes taken before.
func (b *budget) give(n uint64) {
	if n > 0 {
		b.used.Add(^(n - 1))
	}
}

// Limit returns the budget in bytes (unlimited: no budget).
func (b *budget) Limit() uint64 {
	b.once.Do(func() { b.limit = hostMemoryBudget() })
	return b.limit
}

// budgetShare is the part of the room left under a limit that instance
// memories may take.
func budgetShare(room uint64) uint64 { return (room - min(room, goReserve)) / 2 }

// goReserve is the room under a limit kept for Go and wazero before any
// is shared with instance memories.
const goReserve = 512 << 20

const unlimited = math.MaxUint64
