/*
 * W1 callback 2 for Extism (go-sdk v1.7.1 host ABI, see extism.h) on
 * ../plain.h, the byte-by-byte scanner: the same logic as ../plain/cb2.c,
 * the input read 8 bytes per host call as Extism's PDKs read it. Called as
 * plugin.Call("run", input).
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -o cb2_plain.wasm cb2_plain.c
 */
#include "extism.h"

#include "../plain.h"

static unsigned char input[256 * 1024];
static unsigned char output[4096];

__attribute__((export_name("run"))) int32_t run(void) {
	static const char too_big[] = "cb2: input too large";
	uint64_t len = extism_input_length();

	if (len > sizeof input) {
		extism_error(too_big, sizeof too_big - 1);
		return 1;
	}
	extism_load_input(input, len);
	extism_output(output, plain_cb2(input, (size_t)len, output, sizeof output));
	return 0;
}
