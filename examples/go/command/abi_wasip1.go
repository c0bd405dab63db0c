//go:build wasip1

package main

import "unsafe"

// The two wasmhook symbols a command needs; no SDK.

// abiV1 declares ABI v1: the host checks the export and never calls it.
// go:wasmexport works in a command too (without -buildmode=c-shared).
//
//go:wasmexport wasmhook_abi_v1
func abiV1() {}

// configRead is wasmhook_v1.config_read, which commands may import.
//
//go:wasmimport wasmhook_v1 config_read
func configRead(ptr unsafe.Pointer, n uint32) uint32

// readConfig returns the configuration: a JSON object, {} when none.
func readConfig() []byte {
	n := configRead(nil, 0)
	b := make([]byte, n)
	if n > 0 {
		configRead(unsafe.Pointer(unsafe.SliceData(b)), n)
	}
	return b
}
