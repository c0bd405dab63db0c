/*
 * W1 callback 2 for Extism (go-sdk v1.7.1 host ABI, see extism.h), the same
 * logic as ../wasmhook/cb2.c (../w1.h): returns {"site_status":
 * data.status.value, "name_len": <characters in data.name>}. The input comes
 * in 8 bytes per host call, as Extism's PDKs read it. Called as
 * plugin.Call("run", input).
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -o cb2.wasm cb2.c
 */
#include "extism.h"

#include "../w1.h"

static unsigned char input[256 * 1024];
static unsigned char output[4096];

static int32_t fail(const char *msg, uint64_t len) {
	extism_error(msg, len);
	return 1;
}

__attribute__((export_name("run"))) int32_t run(void) {
	static const char too_big[] = "cb2: input larger than its 256 KiB buffer";
	static const char no_data[] = "cb2: the input has no data object";
	static const char overflow[] = "cb2: output larger than its buffer";
	uint64_t len = extism_input_length();
	if (len > sizeof input)
		return fail(too_big, sizeof too_big - 1);
	extism_load_input(input, len);
	size_t n = w1_cb2(input, (size_t)len, output, sizeof output);
	if (n == 0)
		return fail(no_data, sizeof no_data - 1);
	if (n > sizeof output)
		return fail(overflow, sizeof overflow - 1);
	extism_output(output, n);
	return 0;
}
