/*
 * netbox_tenant: the lookup example of ../README.md as a C reactor on the C
 * guest SDK (../../guest-sdk/c/wasmhook.h). For an event whose object has a
 * tenant (a dcim.site, say), it asks NetBox's REST API for the tenant and
 * attaches
 *
 *     {"tenant_info":{"id":7,"name":"Acme Corp","slug":"acme","group":{"name":"Customers","slug":"customers"}}}
 *
 * The base URL comes from the configuration ({"netbox_url":
 * "https://netbox.example.com"}); the API token is not the module's to know:
 * the operator's grant makes the host add it to the request.
 *
 * Build (from the repository root; see README.md):
 *     clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all \
 *         -Iguest-sdk/c -o examples/c/netbox_tenant.wasm examples/c/netbox_tenant.c
 */
#include "wasmhook.h"

#define TENANTS_PATH "/api/tenancy/tenants/"
#define MAX_ID 18 /* digits of an id */

/* The URL of a tenant: the configuration's netbox_url without its trailing
 * slashes, TENANTS_PATH, then room for an id, "/" and the NUL. Built on the
 * first event: an instance's configuration never changes. */
static char *url;
static size_t url_base; /* where the id goes */

static int configure(void)
{
	long n = wh_get_str(WH_DOC_CONFIG, "/netbox_url", NULL, 0);
	size_t len;

	if (n < 0)
		return wh_error("netbox_tenant: the configuration has no netbox_url string");
	len = (size_t)n;
	if ((url = malloc(len + sizeof TENANTS_PATH + MAX_ID + 2)) == NULL)
		return wh_error("netbox_tenant: out of memory");
	wh_get_str(WH_DOC_CONFIG, "/netbox_url", url, len + 1);
	while (len > 0 && url[len - 1] == '/')
		len--;
	memcpy(url + len, TENANTS_PATH, sizeof TENANTS_PATH - 1);
	url_base = len + sizeof TENANTS_PATH - 1;
	return 0;
}

/* is_id reports whether v is a NetBox object id: a positive integer written
 * in at most MAX_ID digits, without a sign or a leading zero. */
static int is_id(wh_span v)
{
	size_t i;

	if (v.type != WH_JSON_NUMBER || v.len == 0 || v.len > MAX_ID || v.ptr[0] == '0')
		return 0;
	for (i = 0; i < v.len; i++)
		if (v.ptr[i] < '0' || v.ptr[i] > '9')
			return 0;
	return 1;
}

/* lookup_error names a failed lookup's class (examples/README.md). */
static const char *lookup_error(int status)
{
	switch (status) {
	case WH_ERR_NOT_ALLOWED: return "not_allowed";
	case WH_ERR_TIMEOUT: return "timeout";
	case WH_ERR_TOO_LARGE: return "too_large";
	case WH_ERR_UPSTREAM: return "upstream";
	}
	return "lookup_failed";
}

int wh_handle(const wh_input *in, wh_writer *out)
{
	wh_span tenant, id, name, slug, gname, gslug;
	wh_response resp;
	int status;
	char http[16];

	(void)in; /* field reads: the input is never copied */
	if (url == NULL && configure() != 0)
		return 1;

	wh_write_object_begin(out);
	tenant = wh_get("/data/tenant");
	if (tenant.type == WH_JSON_NONE) { /* an object without a tenant field */
		wh_write_object_end(out);
		return 0;
	}
	id = wh_get("/data/tenant/id");
	wh_write_key(out, "tenant_info");
	if (tenant.type != WH_JSON_OBJECT || !is_id(id)) { /* no tenant: a clear null */
		wh_write_null(out);
		wh_write_object_end(out);
		return 0;
	}

	memcpy(url + url_base, id.ptr, id.len);
	memcpy(url + url_base + id.len, "/", 2);
	status = wh_http_get(url, "{\"Accept\":\"application/json\"}", &resp);

	wh_write_object_begin(out);
	wh_write_key(out, "id");
	wh_write_raw(out, id.ptr, id.len);
	if (status < 0) {
		wh_write_key(out, "error");
		wh_write_string(out, lookup_error(status));
	} else if (status != 200) {
		memcpy(http, "http_", 5);
		http[5] = (char)('0' + status / 100);
		http[6] = (char)('0' + status / 10 % 10);
		http[7] = (char)('0' + status % 10);
		wh_write_key(out, "error");
		wh_write_stringn(out, http, 8);
	} else {
		/* The body's fields, read from the host's index of it (made once
		 * per response, and kept with a cached one): no parse here. */
		name = wh_get_in(WH_DOC_RESPONSE, "/name");
		slug = wh_get_in(WH_DOC_RESPONSE, "/slug");
		if (name.type != WH_JSON_STRING || slug.type != WH_JSON_STRING) {
			wh_write_key(out, "error");
			wh_write_string(out, "bad_response");
		} else {
			wh_write_key(out, "name");
			wh_write_raw(out, name.ptr, name.len); /* the token as NetBox wrote it */
			wh_write_key(out, "slug");
			wh_write_raw(out, slug.ptr, slug.len);
			gname = wh_get_in(WH_DOC_RESPONSE, "/group/name");
			gslug = wh_get_in(WH_DOC_RESPONSE, "/group/slug");
			wh_write_key(out, "group");
			if (gname.type == WH_JSON_STRING && gslug.type == WH_JSON_STRING) {
				wh_write_object_begin(out);
				wh_write_key(out, "name");
				wh_write_raw(out, gname.ptr, gname.len);
				wh_write_key(out, "slug");
				wh_write_raw(out, gslug.ptr, gslug.len);
				wh_write_object_end(out);
			} else {
				wh_write_null(out);
			}
		}
	}
	wh_write_object_end(out);
	wh_write_object_end(out);
	return 0;
}
