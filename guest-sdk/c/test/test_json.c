/*
 * Native tests of the JSON reader and writer of ../wasmhook.h (the parts that
 * do not call the host). From the repository root:
 *
 *     gcc -std=c99 -Wall -Wextra -Werror -o bin/test_json guest-sdk/c/test/test_json.c && bin/test_json
 *
 * Add -fsanitize=address,undefined to catch a read past the end of a buffer:
 * the hostile-input tests give the reader every prefix of every document in a
 * buffer of exactly that size.
 */
#include "../wasmhook.h"

#include <assert.h>
#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                    \
		}                                                                      \
	} while (0)

/* V is the value of a NUL-terminated JSON text. */
#define V(text) wh_json_value(text, strlen(text))
/* G is wh_json_get on a NUL-terminated JSON text. */
#define G(text, ...) wh_json_get(text, strlen(text), __VA_ARGS__)

/* span_is reports whether v is a value of type t whose token is exactly text. */
static int span_is(wh_span v, wh_json_type t, const char *text)
{
	return v.type == t && v.len == strlen(text) && memcmp(v.ptr, text, v.len) == 0;
}

/* writer_is reports whether w holds exactly text, and empties it. */
static int writer_is(wh_writer *w, const char *text)
{
	int ok = !w->nomem && w->len == strlen(text) && memcmp(w->buf, text, w->len) == 0;
	if (!ok)
		fprintf(stderr, "writer holds %.*s\n   expected %s\n", (int)w->len, w->buf, text);
	w->len = 0;
	w->comma = 0;
	return ok;
}

/* site_status is examples/README.md's plugin on the SDK, written natively. */
static void site_status(const char *json, const char *ns, size_t ns_len, wh_writer *out)
{
	wh_span data = wh_json_get(json, strlen(json), "data", NULL);
	wh_span status = wh_json_find(data, "status", "value", NULL);
	wh_span name = wh_json_find(data, "name", NULL);

	if (ns != NULL) {
		wh_write_object_begin(out);
		wh_write_keyn(out, ns, ns_len);
	}
	wh_write_object_begin(out);
	if (status.type == WH_JSON_STRING) {
		wh_write_key(out, "site_status");
		wh_write_raw(out, status.ptr, status.len);
	}
	if (name.type == WH_JSON_STRING) {
		wh_write_key(out, "name_len");
		wh_write_int(out, wh_json_str_count(name));
	}
	wh_write_object_end(out);
	if (ns != NULL)
		wh_write_object_end(out);
}

/* The events of examples/testdata/events/ (data as written there) and the
 * outputs examples/README.md gives for them. */
static const struct {
	const char *name, *json, *want;
} events[] = {
	{"job-completed",
	 "{\"object_type\": \"core.job\", \"event_type\": \"job_completed\", \"username\": \"scheduler\",\n"
	 " \"data\": {\"id\": 31, \"name\": \"Nightly sync\", \"status\": {\"value\": \"completed\", \"label\": \"Completed\"}, \"data\": {\"log\": []}}}",
	 "{\"site_status\":\"completed\",\"name_len\":12}"},
	{"job-failed",
	 "{\"object_type\": \"core.job\", \"event_type\": \"job_failed\",\n"
	 " \"data\": {\"name\": \"\", \"status\": {\"value\": \"failed\", \"label\": \"Failed\"}, \"error\": \"Traceback ...\"}}",
	 "{\"site_status\":\"failed\",\"name_len\":0}"},
	{"site-created",
	 "{\"object_type\": \"dcim.site\", \"event_type\": \"object_created\", \"username\": \"jstretch\",\n"
	 " \"request\": {\"id\": \"6f1c7b4e-2a55-4b8e-9c1d-0e4c1f7a9b21\", \"method\": \"POST\", \"path\": \"/api/dcim/sites/\", \"user\": \"jstretch\"},\n"
	 " \"data\": {\"id\": 7, \"name\": \"Berlin DC 1\", \"slug\": \"berlin-dc-1\", \"status\": {\"value\": \"planned\", \"label\": \"Planned\"}, "
	 "\"tags\": [{\"name\": \"x\", \"status\": {\"value\": \"wrong\"}}], \"custom_fields\": {\"name\": \"not this one\"}}}",
	 "{\"site_status\":\"planned\",\"name_len\":11}"},
	{"site-deleted",
	 "{\"object_type\": \"dcim.site\", \"event_type\": \"object_deleted\", \"username\": \"admin\",\n"
	 " \"request\": null,\n"
	 " \"data\": {\"id\": 9, \"name\": \"T\xC5\x8Dky\xC5\x8D \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x97\xBC\", "
	 "\"status\": {\"label\": \"Retired\", \"value\": \"retired\"}}}",
	 "{\"site_status\":\"retired\",\"name_len\":10}"},
	{"site-emoji-escaped",
	 "{\"object_type\": \"dcim.site\", \"event_type\": \"object_updated\",\n"
	 " \"data\": {\"status\": {\"value\": \"act\\\"ive\\\\\"}, \"name\": \"\\ud83d\\ude00 caf\\u00e9 \\\"q\\\" \\\\ \\n\\t\"}}",
	 "{\"site_status\":\"act\\\"ive\\\\\",\"name_len\":15}"},
	{"site-missing-fields",
	 "{\"object_type\": \"dcim.site\", \"event_type\": \"object_updated\",\n"
	 " \"data\": {\"id\": 12, \"slug\": \"no-name\", \"status\": \"active\"}}",
	 "{}"},
	{"site-updated",
	 "{\"object_type\": \"dcim.site\", \"event_type\": \"object_updated\", \"username\": \"jstretch\",\n"
	 " \"request\": {\"id\": \"17af32f0-852a-46ca-a7d4-33ecd0c13de6\", \"method\": \"PATCH\", \"path\": \"/api/dcim/sites/4/\", \"user\": \"jstretch\"},\n"
	 " \"data\": {\"id\": 4, \"url\": \"/api/dcim/sites/4/\", \"display\": \"Z\\u00fcrich <1>\", \"name\": \"Z\\u00fcrich <1>\", \"slug\": \"zurich-1\", "
	 "\"status\": {\"value\": \"active\", \"label\": \"Active\"}, \"region\": null, \"latitude\": 47.3769},\n"
	 " \"snapshots\": {\"prechange\": {\"name\": \"Site 1\", \"status\": \"planned\"}, \"postchange\": {\"name\": \"Z\\u00fcrich <1>\", \"status\": \"active\"}}}",
	 "{\"site_status\":\"active\",\"name_len\":10}"},
	{"whitespace",
	 "{\"object_type\": \"dcim.site\", \"event_type\": \"object_updated\",\n"
	 " \"data\": {  \"name\"  :   \"\xC3\x9Cn\xC3\xAF\x63\xC3\xB6\x64\xC3\xA9  spaces\" ,\n"
	 "   \"status\" : { \"label\" : \"Active\" , \"value\" :  \"active\"  } } }",
	 "{\"site_status\":\"active\",\"name_len\":15}"},
};
#define NEVENTS (sizeof events / sizeof events[0])

static void test_events(void)
{
	wh_writer w = {0};
	char want[256];
	size_t i;

	for (i = 0; i < NEVENTS; i++) {
		site_status(events[i].json, NULL, 0, &w);
		if (!writer_is(&w, events[i].want)) {
			fprintf(stderr, "  on %s\n", events[i].name);
			failures++;
		}
		site_status(events[i].json, "geo", 3, &w);
		snprintf(want, sizeof want, "{\"geo\":%s}", events[i].want);
		if (!writer_is(&w, want)) {
			fprintf(stderr, "  on %s with namespace geo\n", events[i].name);
			failures++;
		}
	}
	free(w.buf);
}

static void test_reader(void)
{
	const char *doc = " {\"a\": {\"b\": [1, {\"c\": true}], \"d\": -12.5e3}, \"e\": null, "
	                  "\"f\": false, \"k\\u0065y\": \"x\", \"dup\": 1, \"dup\": 2} trailing";
	size_t n = strlen(doc);
	wh_span v, k, arr;
	wh_json_iter it;
	int64_t i64 = 7;

	CHECK(span_is(wh_json_get(doc, n, "a", "d", NULL), WH_JSON_NUMBER, "-12.5e3"));
	CHECK(span_is(wh_json_get(doc, n, "e", NULL), WH_JSON_NULL, "null"));
	CHECK(span_is(wh_json_get(doc, n, "f", NULL), WH_JSON_FALSE, "false"));
	CHECK(span_is(wh_json_get(doc, n, "key", NULL), WH_JSON_STRING, "\"x\"")); /* escaped key */
	CHECK(span_is(wh_json_get(doc, n, "dup", NULL), WH_JSON_NUMBER, "2"));     /* last wins */
	CHECK(wh_json_get(doc, n, "missing", NULL).type == WH_JSON_NONE);
	CHECK(wh_json_get(doc, n, "e", "x", NULL).type == WH_JSON_NONE); /* through a non-object */
	CHECK(wh_json_get(doc, n, NULL).type == WH_JSON_OBJECT);
	CHECK(wh_json_get(NULL, 0, "a", NULL).type == WH_JSON_NONE);
	CHECK(wh_json_get(NULL, 0, NULL).type == WH_JSON_NONE);
	CHECK(span_is(G(" [1] ", NULL), WH_JSON_ARRAY, "[1]"));
	CHECK(G("[1]", "a", NULL).type == WH_JSON_NONE);
	CHECK(span_is(G(" {\"a\":1} x", NULL), WH_JSON_OBJECT, "{\"a\":1}"));

	arr = wh_json_get(doc, n, "a", "b", NULL);
	CHECK(span_is(arr, WH_JSON_ARRAY, "[1, {\"c\": true}]"));
	CHECK(span_is(wh_json_index(arr, 0), WH_JSON_NUMBER, "1"));
	CHECK(span_is(wh_json_find(wh_json_index(arr, 1), "c", NULL), WH_JSON_TRUE, "true"));
	CHECK(wh_json_index(arr, 2).type == WH_JSON_NONE);
	{
		static const char *const keys[] = {"e", "dup", "nope", "key"};
		wh_span got[4];
		wh_json_pick(wh_json_value(doc, n), 4, keys, got);
		CHECK(span_is(got[0], WH_JSON_NULL, "null"));
		CHECK(span_is(got[1], WH_JSON_NUMBER, "2"));
		CHECK(got[2].type == WH_JSON_NONE);
		CHECK(span_is(got[3], WH_JSON_STRING, "\"x\""));
		wh_json_pick(arr, 1, keys, got);
		CHECK(got[0].type == WH_JSON_NONE);
	}
	CHECK(wh_json_member(arr, "c").type == WH_JSON_NONE);

	it = wh_json_iter_begin(wh_json_value(doc, n));
	CHECK(wh_json_iter_next(&it, &k, &v) && wh_json_str_eq(k, "a") && v.type == WH_JSON_OBJECT);
	CHECK(wh_json_iter_next(&it, &k, &v) && wh_json_str_eq(k, "e"));
	CHECK(wh_json_iter_next(&it, &k, &v) && wh_json_str_eq(k, "f"));
	CHECK(wh_json_iter_next(&it, &k, &v) && wh_json_str_eq(k, "key"));
	CHECK(wh_json_iter_next(&it, &k, &v) && wh_json_str_eq(k, "dup"));
	CHECK(wh_json_iter_next(&it, &k, &v) && wh_json_str_eq(k, "dup"));
	CHECK(!wh_json_iter_next(&it, &k, &v));
	CHECK(!wh_json_iter_next(&it, &k, &v));
	it = wh_json_iter_begin(V("{ }"));
	CHECK(!wh_json_iter_next(&it, &k, &v));
	it = wh_json_iter_begin(V("[1,]")); /* stops at the malformed element */
	CHECK(wh_json_iter_next(&it, NULL, &v) && !wh_json_iter_next(&it, NULL, &v));

	CHECK(wh_json_int64(V("-9223372036854775808"), &i64) && i64 == INT64_MIN);
	CHECK(wh_json_int64(V("9223372036854775807"), &i64) && i64 == INT64_MAX);
	i64 = 7;
	CHECK(!wh_json_int64(V("9223372036854775808"), &i64) && i64 == 7);
	CHECK(!wh_json_int64(V("1.5"), &i64));
	CHECK(!wh_json_int64(V("-"), &i64));
	CHECK(!wh_json_int64(V("\"1\""), &i64));

	/* Strings inside containers hide their brackets and quotes. */
	CHECK(span_is(G("{\"a\":\"}\\\"]\",\"b\":1}", "b", NULL), WH_JSON_NUMBER, "1"));
}

static void test_strings(void)
{
	wh_span s;
	char buf[64];

	/* Code points after decoding, as README.md counts them. */
	CHECK(wh_json_str_count(V("\"Z\\u00fcrich\"")) == 6);
	CHECK(wh_json_str_count(V("\"Z\xC3\xBCrich\"")) == 6);
	CHECK(wh_json_str_count(V("\"\\ud83d\\ude00\"")) == 1);
	CHECK(wh_json_str_count(V("\"\\uD83D\\uDE00\"")) == 1);
	CHECK(wh_json_str_count(V("\"\xF0\x9F\x98\x80\"")) == 1);
	CHECK(wh_json_str_count(V("\"\"")) == 0);
	CHECK(wh_json_str_count(V("12")) == -1);
	CHECK(wh_json_str_count(V("\"\\\"q\\\" \\\\ \\n\\t\\/\"")) == 9);
	/* As Go decodes them: a lone surrogate is one U+FFFD, and so is each byte
	 * of invalid UTF-8. */
	CHECK(wh_json_str_count(V("\"\\ud83d\"")) == 1);
	CHECK(wh_json_str_count(V("\"\\ude00\\ud83d\"")) == 2);
	CHECK(wh_json_str_count(V("\"\\ud83d\\u0041\"")) == 2);
	CHECK(wh_json_str_count(V("\"\\ud83dx\"")) == 2);
	CHECK(wh_json_str_count(V("\"\xC3\"")) == 1);
	CHECK(wh_json_str_count(V("\"\xE6\x9D\"")) == 2);
	CHECK(wh_json_str_count(V("\"\xC0\xAF\"")) == 2);     /* overlong */
	CHECK(wh_json_str_count(V("\"\xED\xA0\x80\"")) == 3); /* encoded surrogate */
	CHECK(wh_json_str_count(V("\"\xF4\x90\x80\x80\"")) == 4); /* above U+10FFFF */

	s = V("\"\\ud83d\\ude00 caf\\u00e9 \\\"q\\\" \\\\ \\n\\t\"");
	CHECK(s.type == WH_JSON_STRING && wh_json_str_count(s) == 15);
	CHECK(wh_json_str_decode(s, NULL, 0) == 19);
	CHECK(wh_json_str_decode(s, buf, sizeof buf) == 19 &&
	      memcmp(buf, "\xF0\x9F\x98\x80 caf\xC3\xA9 \"q\" \\ \n\t", 20) == 0);
	CHECK(wh_json_str_decode(s, buf, 19) == 19);                 /* no room for the NUL */
	CHECK(wh_json_str_eq(s, "\xF0\x9F\x98\x80 caf\xC3\xA9 \"q\" \\ \n\t"));
	CHECK(!wh_json_str_eq(s, "\xF0\x9F\x98\x80 caf\xC3\xA9"));
	CHECK(!wh_json_str_eq(s, "\xF0\x9F\x98\x80 caf\xC3\xA9 \"q\" \\ \n\t!"));
	CHECK(wh_json_str_decode(V("\"a\\u0000b\""), buf, sizeof buf) == 3 &&
	      memcmp(buf, "a\0b", 4) == 0);
	CHECK(wh_json_str_eqn(V("\"a\\u0000b\""), "a\0b", 3));
	/* A raw NUL (invalid JSON) neither ends the token nor matches the end of text. */
	CHECK(!wh_json_str_eq(wh_json_value("\"a\0b\"", 5), "a"));
	CHECK(wh_json_str_eqn(wh_json_value("\"a\0b\"", 5), "a\0b", 3));
	/* Escapes and non-ASCII after a plain prefix. */
	CHECK(wh_json_str_eq(V("\"name\\u00e9\xC3\xA9\""), "name\xC3\xA9\xC3\xA9"));
	CHECK(!wh_json_str_eq(V("\"name\\u00e9\""), "name"));
	CHECK(!wh_json_str_eq(V("\"nam\""), "name"));
	CHECK(wh_json_str_decode(V("\"\\ud83d\xFF\""), buf, sizeof buf) == 6 &&
	      memcmp(buf, "\xEF\xBF\xBD\xEF\xBF\xBD", 7) == 0);
	CHECK(wh_json_str_decode(V("null"), buf, sizeof buf) == (size_t)-1);
}

static void test_writer(void)
{
	wh_writer w = {0};
	size_t i;

	wh_write_object_begin(&w);
	wh_write_object_end(&w);
	CHECK(writer_is(&w, "{}"));

	wh_write_object_begin(&w);
	wh_write_key(&w, "a");
	wh_write_array_begin(&w);
	wh_write_int(&w, 0);
	wh_write_int(&w, -42);
	wh_write_int(&w, INT64_MIN);
	wh_write_int(&w, INT64_MAX);
	wh_write_array_end(&w);
	wh_write_key(&w, "b");
	wh_write_object_begin(&w);
	wh_write_object_end(&w);
	wh_write_key(&w, "c");
	wh_write_null(&w);
	wh_write_key(&w, "d");
	wh_write_bool(&w, 1);
	wh_write_key(&w, "e");
	wh_write_bool(&w, 0);
	wh_write_key(&w, "f");
	wh_write_raw(&w, "\"r\\u00e9\"", 9);
	wh_write_key(&w, "g");
	wh_write_array_begin(&w);
	wh_write_array_end(&w);
	wh_write_object_end(&w);
	CHECK(writer_is(&w, "{\"a\":[0,-42,-9223372036854775808,9223372036854775807],\"b\":{},"
	                    "\"c\":null,\"d\":true,\"e\":false,\"f\":\"r\\u00e9\",\"g\":[]}"));

	/* README.md's namespace escaping: '"' and '\' by a backslash, control
	 * characters as \u00xx, the rest raw; invalid UTF-8 as U+FFFD. */
	wh_write_object_begin(&w);
	wh_write_keyn(&w, "Z\xC3\xBCrich \"ns\" \\ \t\x01\x1F\x7F\0", 20);
	wh_write_object_begin(&w);
	wh_write_object_end(&w);
	wh_write_object_end(&w);
	CHECK(writer_is(&w, "{\"Z\xC3\xBCrich \\\"ns\\\" \\\\ \\u0009\\u0001\\u001f\x7F\\u0000\":{}}"));
	wh_write_string(&w, "\xF0\x9F\x98\x80\xFF\xC3(\xEF\xBF\xBD");
	CHECK(writer_is(&w, "\"\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD(\xEF\xBF\xBD\""));

	/* Growth well past the first 256 bytes keeps every byte. */
	wh_write_array_begin(&w);
	for (i = 0; i < 10000; i++)
		wh_write_int(&w, (int64_t)i);
	wh_write_array_end(&w);
	CHECK(!w.nomem && w.len == 48891 && w.buf[w.len - 1] == ']' &&
	      memcmp(w.buf + w.len - 6, ",9999]", 6) == 0);
	free(w.buf);

	/* A plain key larger than the first buffer grows it on its own. */
	{
		wh_writer k = {0};
		char key[301];

		memset(key, 'k', 300);
		key[300] = '\0';
		wh_write_object_begin(&k);
		wh_write_key(&k, key);
		wh_write_int(&k, 1);
		wh_write_object_end(&k);
		CHECK(!k.nomem && k.len == 306 && memcmp(k.buf, "{\"kkk", 5) == 0 &&
		      memcmp(k.buf + 301, "k\":1}", 5) == 0);
		free(k.buf);
	}
}

/* test_positions puts each kind of special character at every position of
 * strings of 0 to 24 bytes, so that both the 8-bytes-at-a-time scans and
 * their bytewise tails meet it. */
static void test_positions(void)
{
	static const struct {
		const char *raw, *token; /* the character, and as the writer escapes it */
	} specials[] = {
		{"\"", "\\\""}, {"\\", "\\\\"}, {"\x01", "\\u0001"}, {"\x1f", "\\u001f"},
		{"{", "{"}, {"]", "]"}, {"\xC3\xA9", "\xC3\xA9"}, {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
	};
	char text[64], token[64], doc[128], dec[64];
	wh_writer w = {0};
	wh_span s;
	size_t len, pos, k;

	for (k = 0; k < sizeof specials / sizeof specials[0]; k++) {
		for (len = 1; len <= 24; len++) {
			for (pos = 0; pos < len; pos++) {
				snprintf(text, sizeof text, "%.*s%s%.*s", (int)pos, "abcdefghijklmnopqrstuvwxyz",
				         specials[k].raw, (int)(len - pos - 1), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
				snprintf(token, sizeof token, "\"%.*s%s%.*s\"", (int)pos, "abcdefghijklmnopqrstuvwxyz",
				         specials[k].token, (int)(len - pos - 1), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
				snprintf(doc, sizeof doc, "{\"k\":[{\"s\":%s}],\"n\":1}", token);

				CHECK(span_is(G(doc, "n", NULL), WH_JSON_NUMBER, "1"));
				s = wh_json_find(wh_json_index(G(doc, "k", NULL), 0), "s", NULL);
				CHECK(span_is(s, WH_JSON_STRING, token));
				CHECK(wh_json_str_count(s) == (long)len);
				CHECK(wh_json_str_decode(s, dec, sizeof dec) == strlen(text) && strcmp(dec, text) == 0);
				CHECK(wh_json_str_eq(s, text));
				text[len - 1 == pos ? 0 : len - 1] ^= 1;
				CHECK(!wh_json_str_eq(s, text));
				text[len - 1 == pos ? 0 : len - 1] ^= 1;
				wh_write_string(&w, text);
				CHECK(writer_is(&w, token));
			}
		}
	}
	free(w.buf);
}

/* read_everything runs every reader function over json; the results do not
 * matter, only that nothing reads outside json's len bytes. */
static void read_everything(const char *json, size_t len)
{
	wh_span v = wh_json_value(json, len), k, e;
	wh_json_iter it;
	char buf[16];
	int64_t i64;
	int depth;

	(void)wh_json_get(json, len, "data", "status", "value", NULL);
	(void)wh_json_str_count(wh_json_get(json, len, "data", "name", NULL));
	for (depth = 0; depth < 4 && (v.type == WH_JSON_OBJECT || v.type == WH_JSON_ARRAY); depth++) {
		it = wh_json_iter_begin(v);
		while (wh_json_iter_next(&it, &k, &e)) {
			(void)wh_json_str_count(k);
			(void)wh_json_str_decode(k, buf, sizeof buf);
			(void)wh_json_str_eq(k, "name");
			(void)wh_json_str_count(e);
			(void)wh_json_str_decode(e, buf, sizeof buf);
			(void)wh_json_int64(e, &i64);
			v = e;
		}
	}
}

/* read_exactly copies n bytes of s into a buffer of exactly that size (so
 * that a sanitizer sees any read past it) and reads it. */
static void read_exactly(const char *s, size_t n)
{
	char *b = malloc(n ? n : 1);
	assert(b != NULL);
	memcpy(b, s, n);
	read_everything(b, n);
	free(b);
}

static void test_hostile(void)
{
	static const char *docs[] = {
		"{\"data\":{\"name\":\"\\ud83d\\u",
		"{\"data\":{\"name\":\"abc\\",
		"{\"data\":{\"name\":\"\xF0\x9F\x98",
		"{\"data\":{\"status\":{\"value\":\"x\"}]]]}",
		"{\"data\":}}}}{{{{\"name\":1",
		"{\"data\":{\"name\":tru",
		"{\"data\":{\"name\" \"x\"}}",
		"{\"data\":{,\"name\":\"x\"}}",
		"{\"data\":[\"name\",\"x\"]}",
		"\"\\",
		"-",
		"{\"a\\",
	};
	const size_t deep = 1 << 20;
	char *b;
	size_t i, n;

	for (i = 0; i < NEVENTS; i++)
		for (n = 0; n <= strlen(events[i].json); n++)
			read_exactly(events[i].json, n);
	for (i = 0; i < sizeof docs / sizeof docs[0]; i++)
		for (n = 0; n <= strlen(docs[i]); n++)
			read_exactly(docs[i], n);

	CHECK(G("{\"data\":{\"name\":\"abc\\", "data", "name", NULL).type == WH_JSON_NONE);
	CHECK(G("{\"data\":}}}}{{{{\"name\":1", "data", NULL).type == WH_JSON_NONE);

	/* Deep nesting needs no stack: a million open brackets, unclosed and
	 * then closed. */
	b = malloc(2 * deep);
	assert(b != NULL);
	memset(b, '[', deep);
	CHECK(wh_json_value(b, deep).type == WH_JSON_NONE);
	memset(b + deep, ']', deep);
	CHECK(wh_json_value(b, 2 * deep).len == 2 * deep);
	free(b);
}

/* The lookup statuses are the host's (abi/SPEC.md, "Lookups"); the calls
 * themselves run in the host, in examples/lookup_test.go. */
static void test_statuses(void)
{
	CHECK(WH_ERR_NOT_ALLOWED == -1 && WH_ERR_TIMEOUT == -2 && WH_ERR_TOO_LARGE == -3);
	CHECK(WH_ERR_UPSTREAM == -4 && WH_ERR_BAD_REQUEST == -5 && WH_ERR_NO_RESPONSE == -6);
	CHECK(WH_ERR_NOT_FOUND == -7 && WH_ERR_FULL == -8);
	CHECK(strcmp(wh_status_name(WH_ERR_NOT_ALLOWED), "not allowed") == 0);
	CHECK(strcmp(wh_status_name(WH_ERR_TIMEOUT), "timeout") == 0);
	CHECK(strcmp(wh_status_name(WH_ERR_FULL), "full") == 0);
	CHECK(strcmp(wh_status_name(WH_ERR_NOMEM), "out of memory") == 0);
	CHECK(strcmp(wh_status_name(-9), "unknown status") == 0);
	CHECK(strcmp(wh_status_name(200), "ok") == 0);
}

int main(void)
{
	test_events();
	test_reader();
	test_strings();
	test_writer();
	test_positions();
	test_hostile();
	test_statuses();
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("ok: wasmhook.h reader and writer\n");
	return 0;
}
