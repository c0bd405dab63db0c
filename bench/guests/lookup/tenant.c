/*
 * A lookup module for the bench's lookups section (ABI v1, abi/SPEC.md),
 * by hand, no SDK, doing what the NetBox tenant example does: reads
 * data.tenant.id with a field read, GETs BASE/api/tenancy/tenants/<id>/
 * (BASE is the configuration's "base"; the grant injects the token, the
 * module never sees it), copies the body out, picks its name and slug and
 * returns {"tenant_info":{"name":...,"slug":...}} (tokens copied as they
 * are). A site with no tenant returns nothing.
 *
 * Built four times: tenant.wasm; tenant_fields.wasm with -DRESPONSE_FIELDS,
 * which reads the name and slug with field reads of the response's body
 * (document 4: the host's index of it, made once per cached response)
 * instead of copying the body and picking them out itself;
 * tenant_const.wasm with -DCONSTANT_BODY,
 * the same module with the HTTP call replaced by a constant body (the
 * recorded tenant.json), to set the lookup's cost apart from the module's
 * own work; and tenant_scan.wasm with -DSCAN_INPUT, which finds the id by
 * copying its input and scanning it (as W1's cb2 does) instead of a field
 * read: the first field read of an event indexes the whole input, a cost
 * W1's hand-tuned callbacks, which all scan, do not otherwise pay.
 *
 * clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all -o tenant.wasm tenant.c
 */
#include <stdint.h>

#include "../w1.h"

#define IMPORT(name) __attribute__((import_module("wasmhook_v1"), import_name(name)))

IMPORT("output_set") void output_set(const void *ptr, uint32_t len);
IMPORT("error_set") void error_set(const void *ptr, uint32_t len);
IMPORT("input_read") uint32_t input_read(void *ptr, uint32_t len);
IMPORT("field_read") int32_t field_read(int32_t doc, const void *path, uint32_t path_len, void *ptr, uint32_t len);
IMPORT("field_string") int32_t field_string(int32_t doc, const void *path, uint32_t path_len, void *ptr, uint32_t len);
#ifndef CONSTANT_BODY
IMPORT("http_request")
int32_t http_request(const void *method, uint32_t method_len, const void *url, uint32_t url_len,
                     const void *headers, uint32_t headers_len, const void *body, uint32_t body_len);
IMPORT("http_response_read") int32_t http_response_read(int32_t part, void *ptr, uint32_t len);
#else
static const char recorded[] =
#include "tenant_body.h"
    ;
#endif

__attribute__((export_name("wasmhook_abi_v1"))) void wasmhook_abi_v1(void) {}

static const char tenants[] = "/api/tenancy/tenants/";
/* The URL: the configuration's base, then tenants, made on the first call
 * (the configuration does not change), then the id and a slash. */
static char url[1024];
static uint32_t url_base;
static unsigned char body[16 * 1024];
static unsigned char output[1024];
#ifdef SCAN_INPUT
static unsigned char input[256 * 1024];

/* The JSON text of the input's data.tenant.id into dst (at most cap
 * bytes): its length, -1 when there is none, -2 when it does not fit. */
static int32_t tenant_id(uint32_t input_len, char *dst, uint32_t cap) {
	if (input_len > sizeof input)
		return -2;
	input_read(input, input_len);
	cursor end = input + input_len;
	cursor data = W1_MEMBER(input, end, "data");
	cursor tenant = data ? W1_MEMBER(data, end, "tenant") : 0;
	cursor id = tenant ? W1_MEMBER(tenant, end, "id") : 0;
	cursor id_end = id ? w1_skip_value(id, end) : 0;
	if (!id_end)
		return -1;
	if ((uint32_t)(id_end - id) > cap)
		return -2;
	__builtin_memcpy(dst, id, (size_t)(id_end - id));
	return (int32_t)(id_end - id);
}
#endif

#ifdef RESPONSE_FIELDS
/* append_field appends the JSON text of the value at path in the response's
 * body (document 4) to output at o: the new end, or more than the buffer
 * (w1_append's mark) when there is no such value or it does not fit. */
static size_t append_field(size_t o, const char *path, uint32_t path_len) {
	if (o > sizeof output)
		return o;
	int32_t k = field_read(4, path, path_len, output + o, (uint32_t)(sizeof output - o));
	if (k < 0 || (size_t)k > sizeof output - o)
		return sizeof output + 1;
	return o + (size_t)k;
}
#endif

static int32_t fail(const char *msg, uint32_t len) {
	error_set(msg, len);
	return 1;
}
#define FAIL(lit) fail((lit), sizeof(lit) - 1)

__attribute__((export_name("wasmhook_on_event"))) int32_t wasmhook_on_event(uint32_t input_len) {
	if (url_base == 0) {
		int32_t n = field_string(1, "/base", 5, url, sizeof url - sizeof tenants - 24);
		if (n < 0 || (uint32_t)n > sizeof url - sizeof tenants - 24)
			return FAIL("tenant: the configuration has no base URL, or a longer one than 1000 bytes");
		__builtin_memcpy(url + n, tenants, sizeof tenants - 1);
		url_base = (uint32_t)n + sizeof tenants - 1;
	}
	/* The id's JSON text, a number: straight into the URL. */
#ifdef SCAN_INPUT
	int32_t idlen = tenant_id(input_len, url + url_base, 21);
#else
	(void)input_len;
	int32_t idlen = field_read(0, "/data/tenant/id", 15, url + url_base, 21);
#endif
	if (idlen == -1)
		return 0; /* no tenant */
	if (idlen <= 0 || idlen > 20)
		return FAIL("tenant: data.tenant.id is not a number");
	for (int32_t i = 0; i < idlen; i++)
		if (url[url_base + i] < '0' || url[url_base + i] > '9')
			return FAIL("tenant: data.tenant.id is not a number");
	url[url_base + idlen] = '/';
	uint32_t url_len = url_base + (uint32_t)idlen + 1;

#ifndef CONSTANT_BODY
	int32_t status = http_request(0, 0, url, url_len, 0, 0, 0, 0);
	if (status < 0)
		return FAIL("tenant: the lookup failed");
	if (status != 200)
		return FAIL("tenant: the API did not answer 200");
#ifdef RESPONSE_FIELDS
	/* Straight into the output: the host copies each token, as written. */
	size_t o = W1_LIT(output, 0, sizeof output, "{\"tenant_info\":{\"name\":");
	o = append_field(o, "/name", 5);
	o = W1_LIT(output, o, sizeof output, ",\"slug\":");
	o = append_field(o, "/slug", 5);
	o = W1_LIT(output, o, sizeof output, "}}");
	if (o > sizeof output)
		return FAIL("tenant: the body has no name or no slug, or they are longer than the output buffer");
	output_set(output, (uint32_t)o);
	return 0;
#else
	int32_t n = http_response_read(0, body, sizeof body);
	if (n < 0 || (uint32_t)n > sizeof body)
		return FAIL("tenant: the body is larger than 16 KiB");
	cursor in = body, end = body + n;
#endif
#else
	(void)url_len;
	cursor in = (cursor)recorded, end = in + sizeof recorded - 1;
#endif
#ifndef RESPONSE_FIELDS
	static const char *const keys[] = {"name", "slug"};
	static const size_t lens[] = {4, 4};
	cursor found[2];
	if (!w1_members(in, end, 2, keys, lens, found) || !found[0] || !found[1])
		return FAIL("tenant: the body has no name or no slug");
	cursor name_end = w1_skip_value(found[0], end), slug_end = w1_skip_value(found[1], end);
	if (!name_end || !slug_end)
		return FAIL("tenant: the body is not JSON");
	size_t o = W1_LIT(output, 0, sizeof output, "{\"tenant_info\":{\"name\":");
	o = w1_append(output, o, sizeof output, found[0], (size_t)(name_end - found[0]));
	o = W1_LIT(output, o, sizeof output, ",\"slug\":");
	o = w1_append(output, o, sizeof output, found[1], (size_t)(slug_end - found[1]));
	o = W1_LIT(output, o, sizeof output, "}}");
	if (o > sizeof output)
		return FAIL("tenant: the name and slug are longer than the output buffer");
	output_set(output, (uint32_t)o);
	return 0;
#endif
}
