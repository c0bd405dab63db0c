//go:build wasip1

// Command site_status is a wasmhook reactor in standard Go, written against
// ABI v1 directly (abi/SPEC.md). For a NetBox event it returns
//
//	{"site_status": data.status.value, "name_len": <characters in data.name>}
//
// with the keys under the "namespace" of its configuration when one is set.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o site_status.wasm .
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

// Kept in globals: the instance serves many events.
var (
	input, output []byte
	namespace     string
	configured    bool
)

type event struct {
	Data struct {
		Name   *string `json:"name"`
		Status struct {
			Value *string `json:"value"`
		} `json:"status"`
	} `json:"data"`
}

func fail(msg string) int32 {
	b := []byte(msg)
	errorSet(unsafe.Pointer(&b[0]), uint32(len(b)))
	return 1
}

//go:wasmexport wasmhook_on_event
func onEvent(n uint32) int32 {
	if !configured {
		size := configRead(nil, 0)
		cfg := make([]byte, size)
		configRead(unsafe.Pointer(unsafe.SliceData(cfg)), size)
		var c struct {
			Namespace string `json:"namespace"`
		}
		if err := json.Unmarshal(cfg, &c); err != nil {
			return fail("site_status: configuration: " + err.Error())
		}
		namespace, configured = c.Namespace, true
	}
	if uint32(cap(input)) < n {
		input = make([]byte, n)
	}
	input = input[:n]
	inputRead(unsafe.Pointer(unsafe.SliceData(input)), n)

	var ev event
	if err := json.Unmarshal(input, &ev); err != nil {
		return fail("site_status: " + err.Error())
	}
	out := map[string]any{}
	if ev.Data.Status.Value != nil {
		out["site_status"] = *ev.Data.Status.Value
	}
	if ev.Data.Name != nil {
		out["name_len"] = utf8.RuneCountInString(*ev.Data.Name)
	}
	var result any = out
	if namespace != "" {
		result = map[string]any{namespace: out}
	}
	var err error
	if output, err = json.Marshal(result); err != nil {
		return fail("site_status: " + err.Error())
	}
	outputSet(unsafe.Pointer(unsafe.SliceData(output)), uint32(len(output)))
	return 0
}

func main() {}
