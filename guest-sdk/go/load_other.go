//go:build !wasm

package wasmhook

// load64 returns the eight bytes at s[p:] as a little-endian uint64; the
// compiler turns it into one load.
func load64[T string | []byte](s T, p int) uint64 {
	_ = s[p+7]
	return uint64(s[p]) | uint64(s[p+1])<<8 | uint64(s[p+2])<<16 | uint64(s[p+3])<<24 |
		uint64(s[p+4])<<32 | uint64(s[p+5])<<40 | uint64(s[p+6])<<48 | uint64(s[p+7])<<56
}
