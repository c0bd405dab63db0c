/*
 * W1 callback 3 for Extism (go-sdk v1.7.1 host ABI, see extism.h), the same
 * logic as ../wasmhook/cb3.c: returns {"my_plugin":{"foo":123,"bar":456}}
 * without reading its input. Called as plugin.Call("run", input).
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -o cb3.wasm cb3.c
 */
#include "extism.h"

static const char out[] = "{\"my_plugin\":{\"foo\":123,\"bar\":456}}";

__attribute__((export_name("run"))) int32_t run(void) {
	extism_output(out, sizeof out - 1);
	return 0;
}
