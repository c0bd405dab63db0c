//go:build !wasm

package wasmhook

// load64 returns the eight bytes at s[p:] as a little-endian uint64; the
// compiler turns it into one load.
func load64[T string | []byte](s T, p int) uint64 {
	_ = s[p+7]
	return uint64(s[p]) | uint64(s[p+1])<<8 | uint64(s[p+2])<<16 | uint64(s[p+3])<<24 |
		uint64(s[p+4])<<32 | uint64(s[p+5])<<40 | uint64(s[p+6])<<48 | uint64(s[p+7])<<56
}

// tail64 returns the last eight bytes of s, which holds at least one, as
// a little-endian uint64. When s is shorter than eight bytes its bytes
// are the high ones and the low ones are zero (in wasm they are whatever
// precedes s: the caller shifts them out).
func tail64(s string) uint64 {
	if len(s) >= 8 {
		return load64(s, len(s)-8)
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * (8 - len(s) + i))
	}
	return w
}

// store64 writes w at b[p:p+8], little-endian.
func store64(b []byte, p int, w uint64) {
	_ = b[p+7]
	b[p], b[p+1], b[p+2], b[p+3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
	b[p+4], b[p+5], b[p+6], b[p+7] = byte(w>>32), byte(w>>40), byte(w>>48), byte(w>>56)
}
