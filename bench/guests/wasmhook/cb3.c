/*
 * W1 callback 3 for wasmhook (ABI v1, abi/SPEC.md), by hand, no SDK:
 * returns {"my_plugin":{"foo":123,"bar":456}} without reading its input.
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -o cb3.wasm cb3.c
 */
#include <stdint.h>

__attribute__((import_module("wasmhook_v1"), import_name("output_set")))
void output_set(const void *ptr, uint32_t len);

__attribute__((export_name("wasmhook_abi_v1"))) void wasmhook_abi_v1(void) {}

static const char out[] = "{\"my_plugin\":{\"foo\":123,\"bar\":456}}";

__attribute__((export_name("wasmhook_on_event"))) int32_t wasmhook_on_event(uint32_t input_len) {
	(void)input_len;
	output_set(out, sizeof out - 1);
	return 0;
}
