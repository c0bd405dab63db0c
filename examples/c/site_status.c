/*
 * site_status: the example plugin of ../README.md as a C reactor on the C
 * guest SDK (../../guest-sdk/c/wasmhook.h). For a NetBox event it returns
 *
 *     {"site_status": <data.status.value as written>, "name_len": <code points of data.name>}
 *
 * nested under the configuration's "namespace" when that is a string.
 *
 * Build (from the repository root; see README.md):
 *     clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all \
 *         -Iguest-sdk/c -o examples/c/site_status.wasm examples/c/site_status.c
 */
#include "wasmhook.h"

/* The namespace, decoded, read from the configuration on the first event:
 * an instance's configuration never changes. */
static int configured;
static char *ns;     /* NULL: no namespace */
static size_t ns_len; /* may contain NUL bytes ("\u0000") */

static int configure(void)
{
	long n = wh_get_str(WH_DOC_CONFIG, "/namespace", NULL, 0);

	if (n >= 0) {
		if ((ns = malloc((size_t)n + 1)) == NULL)
			return wh_error("site_status: out of memory");
		wh_get_str(WH_DOC_CONFIG, "/namespace", ns, (size_t)n + 1);
		ns_len = (size_t)n;
	}
	configured = 1;
	return 0;
}

int wh_handle(const wh_input *in, wh_writer *out)
{
	wh_span status, name;

	(void)in; /* the fields are looked up by the host: no copy of the input */
	if (!configured && configure() != 0)
		return 1;

	/* Paths from the top of the input: /data/name is data's own member, never
	 * one inside data.tags[0] or data.custom_fields. */
	status = wh_get("/data/status/value");
	name = wh_get("/data/name");

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
