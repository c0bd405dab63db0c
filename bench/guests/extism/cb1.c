/*
 * W1 callback 1 for Extism (go-sdk v1.7.1 host ABI, see extism.h), the same
 * logic as ../wasmhook/cb1.c: returns {"foo":123} without reading its input.
 * Called as plugin.Call("run", input).
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -o cb1.wasm cb1.c
 */
#include "extism.h"

static const char out[] = "{\"foo\":123}";

__attribute__((export_name("run"))) int32_t run(void) {
	extism_output(out, sizeof out - 1);
	return 0;
}
