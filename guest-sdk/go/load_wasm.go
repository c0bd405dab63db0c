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
