/*
 * W1 callback 1 on the C SDK (../../../guest-sdk/c/wasmhook.h), as a plugin
 * author writes it: returns {"foo": 123} without reading its input.
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -I../../../guest-sdk/c -o cb1.wasm cb1.c
 */
#include "wasmhook.h"

int wh_handle(const wh_input *in, wh_writer *out)
{
	(void)in;
	wh_write_object_begin(out);
	wh_write_key(out, "foo");
	wh_write_int(out, 123);
	wh_write_object_end(out);
	return 0;
}
