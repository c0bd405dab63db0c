/*
 * W1 callback 2 for wasmhook (ABI v1, abi/SPEC.md), by hand, no SDK:
 * returns {"site_status": data.status.value, "name_len": <characters in
 * data.name>}. The logic is ../w1.h, shared with the Extism build; the input
 * comes in with one input_read call into a static buffer.
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -o cb2.wasm cb2.c
 */
#include <stdint.h>

#include "../w1.h"

__attribute__((import_module("wasmhook_v1"), import_name("input_read")))
uint32_t input_read(void *ptr, uint32_t len);
__attribute__((import_module("wasmhook_v1"), import_name("output_set")))
void output_set(const void *ptr, uint32_t len);
__attribute__((import_module("wasmhook_v1"), import_name("error_set")))
void error_set(const void *ptr, uint32_t len);

__attribute__((export_name("wasmhook_abi_v1"))) void wasmhook_abi_v1(void) {}

/* Static buffers, kept between calls (the instance is reused). */
static unsigned char input[256 * 1024];
static unsigned char output[4096];

static int32_t fail(const char *msg, uint32_t len) {
	error_set(msg, len);
	return 1;
}

__attribute__((export_name("wasmhook_on_event"))) int32_t wasmhook_on_event(uint32_t input_len) {
	static const char too_big[] = "cb2: input larger than its 256 KiB buffer";
	static const char no_data[] = "cb2: the input has no data object";
	static const char overflow[] = "cb2: output larger than its buffer";
	if (input_len > sizeof input)
		return fail(too_big, sizeof too_big - 1);
	input_read(input, input_len);
	size_t n = w1_cb2(input, input_len, output, sizeof output);
	if (n == 0)
		return fail(no_data, sizeof no_data - 1);
	if (n > sizeof output)
		return fail(overflow, sizeof overflow - 1);
	output_set(output, (uint32_t)n);
	return 0;
}
