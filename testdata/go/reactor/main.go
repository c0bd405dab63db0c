// Command reactor is a Go (GOOS=wasip1) reactor for the host's tests, written
// against ABI v1 directly, without an SDK. It returns
// {"go_status": data.status.value, "go_name_len": <characters in data.name>,
// "go_config": <its configuration>}; it panics when data.panic is true.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o reactor.wasm .
package main

import (
	"encoding/json"
	"unicode/utf8"
	"unsafe"
)

//go:wasmimport wasmhook_v1 input_read
func inputRead(ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport wasmhook_v1 config_read
func configRead(ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport wasmhook_v1 output_set
func outputSet(ptr unsafe.Pointer, n uint32)

//go:wasmimport wasmhook_v1 error_set
func errorSet(ptr unsafe.Pointer, n uint32)

//go:wasmexport wasmhook_abi_v1
func abiV1() {}

// Buffers live in globals, so they are kept between calls.
var input, config, output []byte

type event struct {
	Data struct {
		Name   string `json:"name"`
		Status struct {
			Value string `json:"value"`
		} `json:"status"`
		Panic bool `json:"panic"`
	} `json:"data"`
}

//go:wasmexport wasmhook_on_event
func onEvent(n uint32) int32 {
	if uint32(cap(input)) < n {
		input = make([]byte, n)
	}
	input = input[:n]
	if n > 0 {
		inputRead(unsafe.Pointer(&input[0]), n)
	}
	if config == nil {
		size := configRead(nil, 0)
		config = make([]byte, size)
		if size > 0 {
			configRead(unsafe.Pointer(&config[0]), size)
		}
	}
	var ev event
	if err := json.Unmarshal(input, &ev); err != nil {
		msg := []byte("reactor: " + err.Error())
		errorSet(unsafe.Pointer(&msg[0]), uint32(len(msg)))
		return 1
	}
	if ev.Data.Panic {
		panic("reactor: asked to panic")
	}
	out := map[string]any{
		"go_status":   ev.Data.Status.Value,
		"go_name_len": utf8.RuneCountInString(ev.Data.Name),
		"go_config":   json.RawMessage(config),
	}
	var err error
	output, err = json.Marshal(out)
	if err != nil {
		return 1
	}
	outputSet(unsafe.Pointer(&output[0]), uint32(len(output)))
	return 0
}

func main() {}
