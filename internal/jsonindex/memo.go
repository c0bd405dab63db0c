package jsonindex

import (
	"sync/atomic"
	"unsafe"
)

// A memo keeps answers of an index's lookups, for an index that is asked
// the same few paths again and again: a cached HTTP response's,
// which every call the cache answers reads (a module asking for a
// tenant's /name and /slug on each event), or a module's configuration.
// A lookup walks every member of each object on its path (the last of
// duplicate keys wins, so it cannot stop at the first match): about
// 60-70 ns for a NetBox object of 20-30 members, where a remembered answer
// costs a hash of the path and one comparison.
//
// It is safe for concurrent use, as the index is: each slot holds one
// immutable answer, set once, by the first path that hashes to it. Slots
// are few and paths short, so the memory is bounded (memoBytes); a path
// that is long, or whose slot an earlier path took, is looked up as
// without a memo.
type memo struct {
	slots [memoSlots]atomic.Pointer[memoEntry]
}

type memoEntry struct {
	path string
	v    []byte // the document's bytes: the memo holds no copy of values
	st   Status
}

const (
	memoSlots   = 8
	memoMaxPath = 128
	// memoBytes bounds what a memo holds: its slots, and in each an
	// answer with a path of at most memoMaxPath bytes.
	memoBytes = int(unsafe.Sizeof(memo{})) + memoSlots*(int(unsafe.Sizeof(memoEntry{}))+memoMaxPath)
)

// Memoize makes ix remember the answers of its lookups of paths of up to
// 128 bytes, a few at a time: for an index that answers the same paths
// many times. Call it after a Build, before the index is shared; the next
// Build or Reset forgets the answers. It counts toward Size.
func (ix *Index) Memoize() {
	if ix.memo == nil {
		ix.memo = new(memo)
	}
}

// lookup answers from the path's slot, or walks and keeps the answer in
// the slot if it is empty: a slot keeps the first path that took it, so
// that two paths asked in turn that share a slot do not replace each
// other on every lookup (an allocation each time, and no answer kept).
func (m *memo) lookup(ix *Index, path []byte, scratch *[]byte) ([]byte, Status) {
	slot := &m.slots[memoHash(path)]
	e := slot.Load()
	if e != nil && e.path == string(path) {
		return e.v, e.st
	}
	v, st := ix.lookup(path, scratch)
	if e == nil {
		slot.CompareAndSwap(nil, &memoEntry{path: string(path), v: v, st: st})
	}
	return v, st
}

// memoHash picks a path's slot from its length and its last two bytes,
// where paths asked of one document differ most ("/name", "/slug").
func memoHash(path []byte) uint {
	h := uint(len(path))
	if n := len(path); n >= 2 {
		h = h*31 + uint(path[n-1])*7 + uint(path[n-2])
	}
	return h % memoSlots
}
