/*
 * W1 callback 3 on the C SDK (../../../guest-sdk/c/wasmhook.h), as a plugin
 * author writes it: returns {"my_plugin": {"foo": 123, "bar": 456}}
 * without reading its input.
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -I../../../guest-sdk/c -o cb3.wasm cb3.c
 */
#include "wasmhook.h"

int wh_handle(const wh_input *in, wh_writer *out)
{
	(void)in;
	wh_write_object_begin(out);
	wh_write_key(out, "my_plugin");
	wh_write_object_begin(out);
	wh_write_key(out, "foo");
	wh_write_int(out, 123);
	wh_write_key(out, "bar");
	wh_write_int(out, 456);
	wh_write_object_end(out);
	wh_write_object_end(out);
	return 0;
}
