/*
 * site_status_scan: site_status.c with the C SDK's scanner instead of field
 * reads: it copies the whole input (wh_input_json) and scans it for
 * data.status.value and data.name. The benchmarks compare the two; the
 * conformance test requires the same output from both. For a NetBox event it
 * returns
 *
 *     {"site_status": <data.status.value as written>, "name_len": <code points of data.name>}
 *
 * nested under the configuration's "namespace" when that is a string.
 *
 * Build (from the repository root; see README.md):
 *     clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all \
 *         -Iguest-sdk/c -o examples/c/site_status_scan.wasm examples/c/site_status_scan.c
 */
#include "wasmhook.h"

/* The namespace, decoded, read from the configuration on the first event:
 * an instance's configuration never changes. */
static int configured;
static char *ns;     /* NULL: no namespace */
static size_t ns_len; /* may contain NUL bytes ("\u0000") */

static int configure(void)
{
	size_t len;
	const char *cfg = wh_config(&len);
	wh_span v;

	if (cfg == NULL)
		return wh_error("site_status: out of memory");
	v = wh_json_get(cfg, len, "namespace", NULL);
	if (v.type == WH_JSON_STRING) {
		ns_len = wh_json_str_decode(v, NULL, 0);
		if ((ns = malloc(ns_len + 1)) == NULL)
			return wh_error("site_status: out of memory");
		wh_json_str_decode(v, ns, ns_len + 1);
	}
	configured = 1;
	return 0;
}

int wh_handle(const wh_input *in, wh_writer *out)
{
	static const char *const keys[] = {"status", "name"};
	wh_span data, found[2], status, name;
	const char *json = wh_input_json(in);

	if (json == NULL)
		return wh_error("site_status: out of memory");
	if (!configured && configure() != 0)
		return 1;

	/* Only data's own members: a "name" in data.tags[0] or
	 * data.custom_fields is not data.name. Both are picked in one pass. */
	data = wh_json_get(json, in->len, "data", NULL);
	wh_json_pick(data, 2, keys, found);
	status = wh_json_member(found[0], "value");
	name = found[1];

	if (ns != NULL) {
		wh_write_object_begin(out);
		wh_write_keyn(out, ns, ns_len);
	}
	wh_write_object_begin(out);
	if (status.type == WH_JSON_STRING) {
		wh_write_key(out, "site_status");
		wh_write_raw(out, status.ptr, status.len); /* the token as written, escapes kept */
	}
	if (name.type == WH_JSON_STRING) {
		wh_write_key(out, "name_len");
		wh_write_int(out, wh_json_str_count(name));
	}
	wh_write_object_end(out);
	if (ns != NULL)
		wh_write_object_end(out);
	return 0;
}
