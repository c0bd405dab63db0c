/*
 * W1 callback 2 for wasmhook (ABI v1) on ../plain.h, the byte-by-byte
 * scanner: one input_read into a static buffer, the scan, one output_set.
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -o cb2.wasm cb2.c
 */
#include <stdint.h>

#include "../plain.h"

__attribute__((import_module("wasmhook_v1"), import_name("input_read")))
uint32_t input_read(void *ptr, uint32_t len);
__attribute__((import_module("wasmhook_v1"), import_name("output_set")))
void output_set(const void *ptr, uint32_t len);
__attribute__((import_module("wasmhook_v1"), import_name("error_set")))
void error_set(const void *ptr, uint32_t len);

__attribute__((export_name("wasmhook_abi_v1"))) void wasmhook_abi_v1(void) {}

static unsigned char input[256 * 1024];
static unsigned char output[4096];

__attribute__((export_name("wasmhook_on_event"))) int32_t wasmhook_on_event(uint32_t len) {
	static const char too_big[] = "cb2: input too large";

	if (len > sizeof input) {
		error_set(too_big, sizeof too_big - 1);
		return 1;
	}
	input_read(input, len);
	output_set(output, (uint32_t)plain_cb2(input, len, output, sizeof output));
	return 0;
}
