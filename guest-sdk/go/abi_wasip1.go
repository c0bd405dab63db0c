//go:build wasip1

package wasmhook

import "unsafe"

// The host functions of ABI v1 (abi/SPEC.md, section 3).

//go:wasmimport wasmhook_v1 input_read
func inputRead(ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport wasmhook_v1 config_read
func configRead(ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport wasmhook_v1 output_set
func outputSet(ptr unsafe.Pointer, n uint32)

//go:wasmimport wasmhook_v1 error_set
func errorSet(ptr unsafe.Pointer, n uint32)

//go:wasmimport wasmhook_v1 log
func logLine(level int32, ptr unsafe.Pointer, n uint32)

// abiV1 declares ABI v1; the host checks the export and never calls it.
//
//go:wasmexport wasmhook_abi_v1
func abiV1() {}

// inputBuf holds the event input. It is kept between events (an instance
// serves many) and only grows; Go's garbage collector does not move it,
// so the host may write into it.
var inputBuf []byte

// onEvent is the reactor entry point: one input_read, the handler, then
// one output_set or one error_set.
//
//go:wasmexport wasmhook_on_event
func onEvent(n uint32) int32 {
	if uint32(cap(inputBuf)) < n {
		inputBuf = make([]byte, n)
	}
	inputBuf = inputBuf[:n]
	if n > 0 {
		inputRead(unsafe.Pointer(unsafe.SliceData(inputBuf)), n)
	}
	out, err := call(inputBuf)
	if err != nil {
		msg := err.Error()
		errorSet(unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
		return 1
	}
	if out != nil {
		outputSet(unsafe.Pointer(unsafe.SliceData(out)), uint32(len(out)))
	}
	return 0
}

// hostConfig reads the configuration, once per instance.
func hostConfig() []byte {
	n := configRead(nil, 0)
	b := make([]byte, n)
	if n > 0 {
		configRead(unsafe.Pointer(unsafe.SliceData(b)), n)
	}
	return b
}

func hostLog(level Level, msg string) {
	logLine(int32(level), unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
}
