//go:build wasm

package wasmhook

import "unsafe"

// load64 returns the eight bytes at s[p:] as a little-endian uint64 (wasm
// is little-endian and allows unaligned loads): one bounds check and one
// i64.load. Go's wasm back end neither merges byte loads into one nor
// drops their bounds checks, so the portable form (load_other.go) costs a
// guest eight loads, eight checks and eight branches per word.
func load64[T string | []byte](s T, p int) uint64 {
	_ = s[p+7]
	// A string's header and the start of a slice's are the same: the
	// data pointer, then the length.
	data := unsafe.StringData(*(*string)(unsafe.Pointer(&s)))
	return *(*uint64)(unsafe.Add(unsafe.Pointer(data), p))
}

// tail64 returns the last eight bytes of s, which holds at least one, as
// a little-endian uint64: one load. When s is shorter than eight bytes,
// the low bytes are whatever precedes it in linear memory (the caller
// shifts them out): reading them is safe in wasm, where every address
// below the memory's size is readable, and a string's data is never in
// its first eight bytes (Go's data starts above 4096). Reading past the
// end instead could cross the end of the memory. The pointer before s is
// dereferenced at once and never kept: the garbage collector never sees
// it.
func tail64(s string) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), len(s)-8))
}

// store64 writes w at b[p:p+8], little-endian: one bounds check and one
// i64.store.
func store64(b []byte, p int, w uint64) {
	_ = b[p+7]
	*(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), p)) = w
}
