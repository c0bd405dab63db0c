/*
 * wasmhook.h: the C guest SDK for wasmhook ABI v1 (abi/SPEC.md).
 *
 * A single C99 header for `clang --target=wasm32-wasi -mexec-model=reactor`.
 * A plugin includes it and defines
 *
 *     int wh_handle(const wh_input *in, wh_writer *out);
 *
 * which the header's `wasmhook_on_event` export calls once per event: read the
 * fields it wants with wh_get("/data/status/value") (the host looks each one up
 * and copies only its bytes; the input is never copied), write the result
 * object with the wh_write_* functions, return 0 (or wh_error(...) to fail).
 * A plugin that wants the whole input asks for it with wh_input_json(in) and
 * reads it with wh_json_get / wh_json_find. The SDK hands the output to the
 * host with one output_set call after wh_handle returns 0 (nothing is set
 * when nothing was written: an empty result).
 *
 * How the header is organised
 * ---------------------------
 * Every helper is `static inline`: unused ones cost nothing, and the header can
 * be included by several .c files of one plugin. The two exports
 * (`wasmhook_abi_v1`, `wasmhook_on_event`) and their buffers are defined in
 * every file that includes the header, so a multi-file plugin defines
 * WASMHOOK_NO_ENTRY before including it in all files but one. A one-file
 * plugin needs nothing.
 *
 * The host imports, the exports and everything that calls the host exist only
 * when compiling for WebAssembly (`__wasm__`); the JSON reader and writer also
 * compile natively (gcc/clang, C99), so they can be unit-tested on the build
 * machine (test/test_json.c).
 *
 * Buffers are globals reused for every event the instance serves: the input
 * buffer and the output buffer grow (malloc/realloc) and never shrink, and
 * nothing big lives on the stack (the wasm stack is 64 KiB with no guard page).
 *
 * The JSON reader
 * ---------------
 * The reader finds values in the input bytes without building a tree: a value
 * is a wh_span (pointer, length, type) into the document. It trusts the host
 * to hand it valid JSON and does not validate; on any input, valid or not, it
 * never reads outside the bytes it was given, uses no recursion and runs in
 * time linear in the size of the document for each key of a path. On
 * malformed input a value may read as missing (WH_JSON_NONE) and a walk over
 * an object or array stops at its first malformed member. Keys are compared
 * after decoding their escapes; when a key repeats, the last one wins (as in
 * Go, JavaScript and Python).
 *
 * Strings are decoded as Go's encoding/json does: a \uD83D\uDE00 surrogate
 * pair is one code point, a lone surrogate and each byte of invalid UTF-8
 * become U+FFFD, so decoded text is always valid UTF-8.
 */
#ifndef WASMHOOK_H
#define WASMHOOK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

/* The type of a JSON value. WH_JSON_NONE means missing or malformed. */
typedef enum {
	WH_JSON_NONE = 0,
	WH_JSON_NULL,
	WH_JSON_FALSE,
	WH_JSON_TRUE,
	WH_JSON_NUMBER,
	WH_JSON_STRING,
	WH_JSON_ARRAY,
	WH_JSON_OBJECT
} wh_json_type;

/*
 * wh_span is one JSON value inside a document: `len` bytes at `ptr`, the whole
 * token with no surrounding whitespace (a string with its quotes and escapes
 * as written, an object with its braces). A missing value is {NULL, 0,
 * WH_JSON_NONE}. Spans point into the document and live as long as it does
 * (for the input: until wh_handle returns).
 */
typedef struct {
	const char *ptr;
	size_t len;
	wh_json_type type;
} wh_span;

/* wh_json_iter walks the members of an object or the elements of an array. */
typedef struct {
	const char *p, *end; /* next byte to read; bound (the walk stops at the closing bracket) */
	int object;          /* 1 for an object (members have keys) */
	size_t count;        /* members read so far */
} wh_json_iter;

/* ------------------------------------------------------------------------ */
/* Reader internals (names with a double underscore are not API)            */
/* ------------------------------------------------------------------------ */

/*
 * Why the scanning loops step 8 bytes at a time: when the host enforces a
 * time limit, wazero leaves guest code at every loop back-edge to check it
 * (tens of nanoseconds each), so the cost of a scan is its number of loop
 * iterations. The loops below find the next interesting byte in 8-byte words
 * (SWAR: bit tricks on a uint64_t), which also makes them fast natively.
 * They are used on little-endian targets (wasm always is); elsewhere the
 * bytewise tail loops do all the work.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WH__SWAR 1
#else
#define WH__SWAR 0
#endif

#define WH__ONES 0x0101010101010101ULL
#define WH__HIGHS 0x8080808080808080ULL

static inline uint64_t wh__load8(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* wh__below8 flags (in the high bit of each byte) the bytes of v below c
 * (c <= 0x80). Only the lowest flag is exact, which is all the callers use. */
static inline uint64_t wh__below8(uint64_t v, unsigned char c)
{
	return (v - WH__ONES * c) & ~v & WH__HIGHS;
}

/* wh__eq8 flags the bytes of v equal to c (the lowest flag is exact). */
static inline uint64_t wh__eq8(uint64_t v, unsigned char c)
{
	return wh__below8(v ^ (WH__ONES * c), 1);
}

/* wh__first is the index of the byte of the lowest flag of a non-zero mask. */
static inline size_t wh__first(uint64_t mask)
{
#if WH__SWAR
	return (size_t)__builtin_ctzll(mask) / 8;
#else
	(void)mask; /* never called */
	return 0;
#endif
}

static inline wh_span wh__none(void)
{
	wh_span s = {NULL, 0, WH_JSON_NONE};
	return s;
}

static inline int wh__is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline const char *wh__skip_ws(const char *p, const char *end)
{
	/* No whitespace, or the one space of ", " and ": ", needs no loop. */
	if (p < end && *p == ' ')
		p++;
	while (p < end && wh__is_ws(*p))
		p++;
	return p;
}

/* wh__string_end returns the byte after the closing quote of the string whose
 * opening quote is at p, or NULL when it is not closed before end. */
static inline const char *wh__string_end(const char *p, const char *end)
{
	uint64_t v, m;

	for (p++;;) {
		for (; WH__SWAR && end - p >= 8; p += 8) {
			v = wh__load8(p);
			if ((m = wh__eq8(v, '"') | wh__eq8(v, '\\')) != 0) {
				p += wh__first(m);
				break;
			}
		}
		if (p >= end)
			return NULL;
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			if (end - p < 2)
				return NULL;
			p += 2; /* the escaped byte cannot end the string */
		} else {
			p++;
		}
	}
}

static inline int wh__literal(const char *p, const char *end, const char *word, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

/* wh__container_end returns the byte after the bracket closing the object or
 * array opened at p, or NULL when it is not closed before end. Brackets are
 * counted outside strings, without telling '{' from '[' (the reader does not
 * validate): no recursion, no stack. */
static inline const char *wh__container_end(const char *p, const char *end)
{
	size_t depth = 0;
	uint64_t v, w, m;
	char c;

	for (;;) {
		for (; WH__SWAR && end - p >= 8; p += 8) {
			v = wh__load8(p);
			w = v | WH__ONES * 0x20; /* '[' -> '{' and ']' -> '}' */
			if ((m = wh__eq8(v, '"') | wh__eq8(w, '{') | wh__eq8(w, '}')) != 0) {
				p += wh__first(m);
				break;
			}
		}
		if (p >= end)
			return NULL;
		c = *p;
		if (c == '"') {
			if ((p = wh__string_end(p, end)) == NULL)
				return NULL;
			continue;
		}
		p++;
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return p;
	}
}

/* wh__value reads the value starting at p (after optional whitespace) into *v
 * and returns the byte after it, or NULL when there is none. */
static inline const char *wh__value(const char *p, const char *end, wh_span *v)
{
	const char *start;

	p = wh__skip_ws(p, end);
	if (p >= end)
		return NULL;
	start = p;
	switch (*p) {
	case '"':
		v->type = WH_JSON_STRING;
		p = wh__string_end(p, end);
		break;
	case '{':
	case '[':
		v->type = *p == '{' ? WH_JSON_OBJECT : WH_JSON_ARRAY;
		p = wh__container_end(p, end);
		break;
	case 't':
		v->type = WH_JSON_TRUE;
		p = wh__literal(p, end, "true", 4) ? p + 4 : NULL;
		break;
	case 'f':
		v->type = WH_JSON_FALSE;
		p = wh__literal(p, end, "false", 5) ? p + 5 : NULL;
		break;
	case 'n':
		v->type = WH_JSON_NULL;
		p = wh__literal(p, end, "null", 4) ? p + 4 : NULL;
		break;
	default:
		if (*p != '-' && (*p < '0' || *p > '9'))
			return NULL;
		v->type = WH_JSON_NUMBER;
		while (p < end && ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' ||
		                   *p == '.' || *p == 'e' || *p == 'E'))
			p++;
	}
	if (p == NULL)
		return NULL;
	v->ptr = start;
	v->len = (size_t)(p - start);
	return p;
}

/* wh__utf8 decodes one UTF-8 sequence at *pp (before end) like Go's
 * utf8.DecodeRune: an invalid or truncated sequence, an overlong form or an
 * encoded surrogate yields U+FFFD and consumes one byte. */
static inline uint32_t wh__utf8(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	uint32_t c = p[0], cp;
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c < 0x80) {
		*pp = p + 1;
		return c;
	}
	if (c < 0xC2) {
		goto bad;
	} else if (c < 0xE0) {
		n = 1, cp = c & 0x1F;
	} else if (c < 0xF0) {
		n = 2, cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* no overlong forms */
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c < 0xF5) {
		n = 3, cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90; /* no overlong forms */
		else if (c == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
	} else {
		goto bad;
	}
	if ((size_t)(end - p) <= n)
		goto bad;
	for (i = 1; i <= n; i++) {
		if (p[i] < lo || p[i] > hi)
			goto bad;
		lo = 0x80, hi = 0xBF;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	*pp = p + n + 1;
	return cp;
bad:
	*pp = p + 1;
	return 0xFFFD;
}

static inline long wh__hex4(const unsigned char *p, const unsigned char *end)
{
	long v = 0;
	int i;
	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* wh__str_next decodes the next code point of a string token's contents
 * [*pp, end), escapes included. */
static inline uint32_t wh__str_next(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	long u, lo;

	if (*p != '\\')
		return wh__utf8(pp, end);
	if (end - p < 2) {
		*pp = end;
		return 0xFFFD;
	}
	*pp = p + 2;
	switch (p[1]) {
	case '"': return '"';
	case '\\': return '\\';
	case '/': return '/';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'u':
		if ((u = wh__hex4(p + 2, end)) < 0)
			return 0xFFFD;
		*pp = p + 6;
		if (u < 0xD800 || u > 0xDFFF)
			return (uint32_t)u;
		/* A surrogate: one code point with a following low surrogate,
		 * else U+FFFD (and the next escape is read on its own). */
		if (u <= 0xDBFF && end - p >= 12 && p[6] == '\\' && p[7] == 'u' &&
		    (lo = wh__hex4(p + 8, end)) >= 0xDC00 && lo <= 0xDFFF) {
			*pp = p + 12;
			return 0x10000 + (((uint32_t)u - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
		}
		return 0xFFFD;
	default:
		return 0xFFFD; /* not a JSON escape */
	}
}

/* wh__put_utf8 encodes a code point (at most U+10FFFF, no surrogates) into b
 * and returns its length. */
static inline size_t wh__put_utf8(unsigned char *b, uint32_t cp)
{
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (unsigned char)(0xF0 | cp >> 18);
	b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	b[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* wh__str_range sets [*p, *end) to the contents of a string span (between the
 * quotes); it returns 0 when s is not a string. */
static inline int wh__str_range(wh_span s, const unsigned char **p, const unsigned char **end)
{
	if (s.type != WH_JSON_STRING || s.ptr == NULL || s.len < 2)
		return 0;
	*p = (const unsigned char *)s.ptr + 1;
	*end = (const unsigned char *)s.ptr + s.len - 1;
	return 1;
}

/* ------------------------------------------------------------------------ */
/* Reader                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * wh_json_value returns the JSON value at the start of the len bytes at json
 * (leading whitespace skipped, anything after the value ignored), or a
 * WH_JSON_NONE span when there is none.
 */
static inline wh_span wh_json_value(const char *json, size_t len)
{
	wh_span v;
	if (json == NULL || wh__value(json, json + len, &v) == NULL)
		return wh__none();
	return v;
}

/*
 * wh_json_iter_begin starts a walk over the members of object c or the
 * elements of array c; for any other span the walk is empty.
 */
static inline wh_json_iter wh_json_iter_begin(wh_span c)
{
	wh_json_iter it = {NULL, NULL, 0, 0};
	if ((c.type == WH_JSON_OBJECT || c.type == WH_JSON_ARRAY) && c.ptr != NULL && c.len >= 2) {
		it.p = c.ptr + 1;
		it.end = c.ptr + c.len;
		it.object = c.type == WH_JSON_OBJECT;
	}
	return it;
}

/*
 * wh_json_iter_next reads the next member into *key (the key's string token;
 * WH_JSON_NONE for array elements) and *value, and returns 1; it returns 0 at
 * the end, or at the first malformed member (the walk then stays ended).
 * key may be NULL when the caller does not need it.
 */
static inline int wh_json_iter_next(wh_json_iter *it, wh_span *key, wh_span *value)
{
	const char *p = wh__skip_ws(it->p, it->end), *q;
	wh_span k = wh__none();

	/* The walk ends at the closing bracket, so that it needs no end found
	 * beforehand (see wh_json_get). */
	if (p >= it->end || *p == '}' || *p == ']')
		goto done;
	if (it->count > 0) {
		if (*p != ',')
			goto done;
		p = wh__skip_ws(p + 1, it->end);
	}
	if (it->object) {
		if (p >= it->end || *p != '"' || (q = wh__string_end(p, it->end)) == NULL)
			goto done;
		k.ptr = p, k.len = (size_t)(q - p), k.type = WH_JSON_STRING;
		p = wh__skip_ws(q, it->end);
		if (p >= it->end || *p != ':')
			goto done;
		p++;
	}
	if ((q = wh__value(p, it->end, value)) == NULL)
		goto done;
	if (key != NULL)
		*key = k;
	it->p = q;
	it->count++;
	return 1;
done:
	it->p = it->end;
	return 0;
}

/*
 * wh_json_str_eqn reports whether string token s, decoded, is exactly the n
 * bytes at text. It returns 0 when s is not a string.
 */
static inline int wh_json_str_eqn(wh_span s, const char *text, size_t n)
{
	const unsigned char *p, *end, *t = (const unsigned char *)text;
	unsigned char b[4];
	size_t i = 0, k;

	if (!wh__str_range(s, &p, &end))
		return 0;
	while (p < end) {
		k = wh__put_utf8(b, wh__str_next(&p, end));
		if (k > n - i || memcmp(b, t + i, k) != 0)
			return 0;
		i += k;
	}
	return i == n;
}

/* wh_json_str_eq is wh_json_str_eqn with a NUL-terminated text. */
static inline int wh_json_str_eq(wh_span s, const char *text)
{
	const unsigned char *p, *end;
	size_t i;

	if (!wh__str_range(s, &p, &end))
		return 0;
	/* Keys are compared often and are mostly plain ASCII: compare the bytes
	 * as written while they are, and decode only from the first escape or
	 * non-ASCII byte. A difference in plain ASCII is a difference. */
	for (i = 0; p + i < end && p[i] != '\\' && p[i] < 0x80; i++)
		if (text[i] == '\0' || text[i] != (char)p[i])
			return 0;
	if (p + i == end)
		return text[i] == '\0';
	s.ptr += i, s.len -= i; /* the rest, as a string token of its own */
	return wh_json_str_eqn(s, text + i, strlen(text + i));
}

/*
 * wh_json_member returns the value of the member named key (NUL-terminated,
 * UTF-8, compared with the decoded key) of object obj: the last one when the
 * key repeats, WH_JSON_NONE when there is none or obj is not an object.
 */
static inline wh_span wh_json_member(wh_span obj, const char *key)
{
	wh_json_iter it = wh_json_iter_begin(obj);
	wh_span k, v, found = wh__none();

	if (!it.object)
		return found;
	while (wh_json_iter_next(&it, &k, &v))
		if (wh_json_str_eq(k, key))
			found = v;
	return found;
}

/*
 * wh_json_pick looks up n members of object obj in one pass: values[i] is
 * what wh_json_member(obj, keys[i]) would return. Use it rather than several
 * wh_json_member calls when reading several members of a large object.
 */
static inline void wh_json_pick(wh_span obj, size_t n, const char *const keys[], wh_span values[])
{
	wh_json_iter it = wh_json_iter_begin(obj);
	wh_span k, v;
	size_t i;

	for (i = 0; i < n; i++)
		values[i] = wh__none();
	if (!it.object)
		return;
	while (wh_json_iter_next(&it, &k, &v))
		for (i = 0; i < n; i++)
			if (wh_json_str_eq(k, keys[i]))
				values[i] = v;
}

/*
 * wh_json_index returns element i (from 0) of array arr, or WH_JSON_NONE when
 * there is none or arr is not an array.
 */
static inline wh_span wh_json_index(wh_span arr, size_t i)
{
	wh_json_iter it = wh_json_iter_begin(arr);
	wh_span v;

	if (arr.type != WH_JSON_ARRAY)
		return wh__none();
	while (wh_json_iter_next(&it, NULL, &v))
		if (it.count == i + 1)
			return v;
	return wh__none();
}

/* wh_json_vfind is wh_json_find with a va_list of keys ending with NULL. */
static inline wh_span wh_json_vfind(wh_span v, va_list keys)
{
	const char *key;
	while ((key = va_arg(keys, const char *)) != NULL && v.type != WH_JSON_NONE)
		v = wh_json_member(v, key);
	return v;
}

/*
 * wh_json_find follows a path of object keys from v, the list ending with
 * NULL: wh_json_find(data, "status", "value", NULL) is data.status.value.
 * It returns WH_JSON_NONE when a key is missing or a step is not an object;
 * with no keys it returns v.
 */
static inline wh_span wh_json_find(wh_span v, ...)
{
	va_list keys;
	va_start(keys, v);
	v = wh_json_vfind(v, keys);
	va_end(keys);
	return v;
}

/*
 * wh_json_get is wh_json_find from the value at the start of the len bytes
 * at json: wh_json_get(in->json, in->len, "data", "status", "value", NULL).
 * With at least one key, the document is read once: the top-level object is
 * walked up to its closing brace without being measured first.
 */
static inline wh_span wh_json_get(const char *json, size_t len, ...)
{
	va_list keys;
	wh_span v = wh__none();
	const char *p = json == NULL ? NULL : wh__skip_ws(json, json + len);

	va_start(keys, len);
	if (p != NULL && p < json + len && *p == '{') {
		/* The object runs at most to the end of the bytes; its walk stops at
		 * its closing brace. */
		v.ptr = p, v.len = (size_t)(json + len - p), v.type = WH_JSON_OBJECT;
		v = wh_json_vfind(v, keys);
		if (v.ptr == p) /* no keys: the object itself, measured */
			v = wh_json_value(json, len);
	} else if (va_arg(keys, const char *) == NULL) {
		v = wh_json_value(json, len);
	}
	va_end(keys);
	return v;
}

/*
 * wh_json_str_count returns the number of Unicode code points of string
 * token s after decoding its escapes ("Z\u00fcrich" and "Zürich" count 6,
 * "\ud83d\ude00" counts 1), or -1 when s is not a string.
 */
static inline long wh_json_str_count(wh_span s)
{
	const unsigned char *p, *end;
	uint64_t v;
	long n = 0;

	if (!wh__str_range(s, &p, &end))
		return -1;
	while (p < end) {
		/* Eight plain ASCII bytes at once: no escape, no multi-byte code point. */
		if (WH__SWAR && end - p >= 8 &&
		    ((v = wh__load8(p)) & WH__HIGHS) == 0 && wh__eq8(v, '\\') == 0) {
			p += 8, n += 8;
			continue;
		}
		wh__str_next(&p, end);
		n++;
	}
	return n;
}

/*
 * wh_json_str_decode decodes string token s (escapes, surrogate pairs) into
 * buf as UTF-8 and returns the decoded length in bytes, like snprintf: when
 * it is below cap, buf holds the whole text followed by a NUL; otherwise the
 * contents of buf are unspecified: call again with cap at least the result
 * plus 1 (wh_json_str_decode(s, NULL, 0) only measures). It returns
 * (size_t)-1 when s is not a string. The text may contain NUL bytes ("\u0000").
 */
static inline size_t wh_json_str_decode(wh_span s, char *buf, size_t cap)
{
	const unsigned char *p, *end;
	unsigned char b[4];
	size_t n = 0, k;

	if (!wh__str_range(s, &p, &end))
		return (size_t)-1;
	while (p < end) {
		k = wh__put_utf8(b, wh__str_next(&p, end));
		if (n < cap && k < cap - n)
			memcpy(buf + n, b, k);
		n += k;
	}
	if (n < cap)
		buf[n] = '\0';
	return n;
}

/*
 * wh_json_int64 reads number token v into *out when it is an integer (no
 * fraction, no exponent) that fits in int64_t, and returns 1; else it returns
 * 0 and leaves *out alone.
 */
static inline int wh_json_int64(wh_span v, int64_t *out)
{
	const char *p = v.ptr, *end = v.ptr + v.len;
	uint64_t u = 0, limit;
	int neg;

	if (v.type != WH_JSON_NUMBER || v.len == 0)
		return 0;
	neg = *p == '-';
	p += neg;
	if (p == end)
		return 0;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || u > (limit - (uint64_t)(*p - '0')) / 10)
			return 0;
		u = u * 10 + (uint64_t)(*p - '0');
	}
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 1;
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * wh_writer builds compact JSON in a buffer that grows with realloc. Commas
 * and colons are inserted for you: write a key, then its value. The writer
 * does not check the structure (a key where a value belongs, unbalanced
 * brackets): the host rejects malformed output with ErrOutputNotJSON.
 * When memory runs out `nomem` is set, later writes do nothing, and the SDK
 * fails the call. Zero-initialise a writer of your own (`wh_writer w = {0};`)
 * and free(w.buf) after use; the one given to wh_handle is the SDK's.
 */
typedef struct {
	char *buf;
	size_t len, cap;
	int comma; /* the last thing written was a value: the next needs a ',' */
	int nomem;
} wh_writer;

/* WH__COLD declares a rarely taken path kept out of line, so that it is not
 * copied into every caller (smaller modules). */
#if defined(__GNUC__) || defined(__clang__)
#define WH__COLD static __attribute__((noinline, cold, unused))
#else
#define WH__COLD static inline
#endif

/* wh__grow makes room for n more bytes by reallocating; it returns 0 (and
 * sets nomem) when it cannot. */
WH__COLD int wh__grow(wh_writer *w, size_t n)
{
	size_t cap;
	char *b;

	for (cap = w->cap ? w->cap : 256; cap - w->len < n; cap *= 2) {
		if (cap > SIZE_MAX / 2) {
			w->nomem = 1;
			return 0;
		}
	}
	if ((b = realloc(w->buf, cap)) == NULL) {
		w->nomem = 1;
		return 0;
	}
	w->buf = b;
	w->cap = cap;
	return 1;
}

/* wh__reserve makes room for n more bytes and returns 0 when it cannot. */
static inline int wh__reserve(wh_writer *w, size_t n)
{
	if (w->nomem)
		return 0;
	return n <= w->cap - w->len || wh__grow(w, n);
}

static inline void wh__put(wh_writer *w, const char *s, size_t n)
{
	if (wh__reserve(w, n)) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	}
}

/* wh__sep writes the ',' a value or key needs after a previous value. */
static inline void wh__sep(wh_writer *w)
{
	if (w->comma)
		wh__put(w, ",", 1);
}

/* wh__quoted writes s as a JSON string: '"' and '\' escaped by a backslash,
 * control characters as \u00xx, everything else raw UTF-8 (each byte of
 * invalid UTF-8 as U+FFFD, so that the output stays valid). */
static inline void wh__quoted(wh_writer *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run;
	char esc[6] = {'\\', 'u', '0', '0', 0, 0};
	uint64_t v, m;

	wh__put(w, "\"", 1);
	while (p < end) {
		/* The run of bytes that need no escaping, 8 at a time. */
		for (run = p;; p++) {
			for (; WH__SWAR && end - p >= 8; p += 8) {
				v = wh__load8(p);
				if ((m = wh__eq8(v, '"') | wh__eq8(v, '\\') | wh__below8(v, 0x20) |
				         (v & WH__HIGHS)) != 0) {
					p += wh__first(m);
					break;
				}
			}
			if (p >= end || *p < 0x20 || *p >= 0x80 || *p == '"' || *p == '\\')
				break;
		}
		wh__put(w, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p == '"' || *p == '\\') {
			esc[1] = (char)*p++;
			wh__put(w, esc, 2);
			esc[1] = 'u';
		} else if (*p < 0x20) {
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			wh__put(w, esc, 6);
			p++;
		} else {
			run = p;
			if (wh__utf8(&p, end) == 0xFFFD && p - run == 1)
				wh__put(w, "\xEF\xBF\xBD", 3);
			else
				wh__put(w, (const char *)run, (size_t)(p - run));
		}
	}
	wh__put(w, "\"", 1);
}

/* wh_write_object_begin writes '{' (as a value: after a key, or at the top). */
static inline void wh_write_object_begin(wh_writer *w)
{
	wh__sep(w);
	wh__put(w, "{", 1);
	w->comma = 0;
}

/* wh_write_object_end writes '}'. */
static inline void wh_write_object_end(wh_writer *w)
{
	wh__put(w, "}", 1);
	w->comma = 1;
}

/* wh_write_array_begin writes '['. */
static inline void wh_write_array_begin(wh_writer *w)
{
	wh__sep(w);
	wh__put(w, "[", 1);
	w->comma = 0;
}

/* wh_write_array_end writes ']'. */
static inline void wh_write_array_end(wh_writer *w)
{
	wh__put(w, "]", 1);
	w->comma = 1;
}

/* wh__plain reports whether s needs no escaping: printable ASCII without
 * '"' or '\\'. For a key written as a literal the compiler works it out
 * itself, and the check costs nothing at run time. */
static inline int wh__plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

/* wh__key_quoted writes a key that needs escaping, and its ':'. */
WH__COLD void wh__key_quoted(wh_writer *w, const char *key, size_t n)
{
	wh__quoted(w, key, n);
	wh__put(w, ":", 1);
}

/* WH__INLINE asks the compiler to inline a small writer wherever it is
 * used, so that a key written as a literal is checked and measured at
 * compile time and goes into the buffer as a few stores. */
#if defined(__GNUC__) || defined(__clang__)
#define WH__INLINE static inline __attribute__((always_inline, unused))
#else
#define WH__INLINE static inline
#endif

/* wh_write_keyn writes the key of a member (n bytes of UTF-8, escaped as
 * wh_write_stringn does) and its ':'. The value comes next. A key that
 * needs no escaping goes in with one copy. */
WH__INLINE void wh_write_keyn(wh_writer *w, const char *key, size_t n)
{
	char *b;

	wh__sep(w);
	if (!wh__plain(key, n)) {
		wh__key_quoted(w, key, n);
	} else if (wh__reserve(w, n + 3)) {
		b = w->buf + w->len;
		b[0] = '"';
		memcpy(b + 1, key, n);
		b[n + 1] = '"';
		b[n + 2] = ':';
		w->len += n + 3;
	}
	w->comma = 0;
}

/* wh_write_key is wh_write_keyn with a NUL-terminated key. */
WH__INLINE void wh_write_key(wh_writer *w, const char *key)
{
	wh_write_keyn(w, key, strlen(key));
}

/* wh_write_stringn writes n bytes of UTF-8 as a JSON string: '"' and '\'
 * escaped by a backslash, control characters as \u00xx (lowercase hex),
 * everything else raw; each byte of invalid UTF-8 becomes U+FFFD. */
static inline void wh_write_stringn(wh_writer *w, const char *s, size_t n)
{
	wh__sep(w);
	wh__quoted(w, s, n);
	w->comma = 1;
}

/* wh_write_string is wh_write_stringn with a NUL-terminated string. */
static inline void wh_write_string(wh_writer *w, const char *s)
{
	wh_write_stringn(w, s, strlen(s));
}

/* wh_write_raw writes n bytes as one value, unchanged: a token copied from
 * the input (wh_write_raw(out, v.ptr, v.len)) or JSON you built yourself. */
static inline void wh_write_raw(wh_writer *w, const char *json, size_t n)
{
	wh__sep(w);
	wh__put(w, json, n);
	w->comma = 1;
}

/* wh_write_int writes an integer in decimal. */
static inline void wh_write_int(wh_writer *w, int64_t v)
{
	char digits[20];
	size_t i = sizeof digits;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		digits[--i] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		digits[--i] = '-';
	wh_write_raw(w, digits + i, sizeof digits - i);
}

/* wh_write_null writes null. */
static inline void wh_write_null(wh_writer *w)
{
	wh_write_raw(w, "null", 4);
}

/* wh_write_bool writes true when b is non-zero, else false. */
static inline void wh_write_bool(wh_writer *w, int b)
{
	if (b)
		wh_write_raw(w, "true", 4);
	else
		wh_write_raw(w, "false", 5);
}

/* wh_input is the event given to wh_handle. `len` is the length of the input
 * JSON (abi/SPEC.md §4); the input itself is copied into the guest only when
 * wh_input_json asks for it. Read fields with wh_get, which needs no copy. */
typedef struct {
	size_t len;
} wh_input;

/* ------------------------------------------------------------------------ */
/* Lookup statuses (abi/SPEC.md, "Lookups")                                 */
/* ------------------------------------------------------------------------ */

/*
 * The negative statuses of wh_http_request, wh_kv_get, wh_kv_set and
 * wh_kv_delete: the host's (a failure is always a status, never a trap),
 * and WH_ERR_NOMEM, the SDK's own when the guest runs out of memory.
 */
enum {
	WH_ERR_NOT_ALLOWED = -1, /* no grant covers the URL, or the call made its max_requests */
	WH_ERR_TIMEOUT = -2,     /* no answer within the request's timeout or the call's limit */
	WH_ERR_TOO_LARGE = -3,   /* a response over max_response; a key or value over its bound */
	WH_ERR_UPSTREAM = -4,    /* refused, reset, bad certificate, too many redirects; the store failed */
	WH_ERR_BAD_REQUEST = -5, /* a method, headers, key or TTL the host refuses */
	WH_ERR_NO_RESPONSE = -6, /* a response read before any request answered */
	WH_ERR_NOT_FOUND = -7,   /* wh_kv_get: no such key (never set, deleted or expired) */
	WH_ERR_FULL = -8,        /* wh_kv_set: the module's store is full */
	WH_ERR_NOMEM = -100      /* the SDK could not allocate a buffer for the response */
};

/* wh_status_name names a WH_ERR_* status ("not allowed", "timeout", ...),
 * "unknown status" for any other negative value and "ok" for the rest. */
static inline const char *wh_status_name(int status)
{
	switch (status) {
	case WH_ERR_NOT_ALLOWED: return "not allowed";
	case WH_ERR_TIMEOUT: return "timeout";
	case WH_ERR_TOO_LARGE: return "too large";
	case WH_ERR_UPSTREAM: return "upstream error";
	case WH_ERR_BAD_REQUEST: return "bad request";
	case WH_ERR_NO_RESPONSE: return "no response";
	case WH_ERR_NOT_FOUND: return "not found";
	case WH_ERR_FULL: return "full";
	case WH_ERR_NOMEM: return "out of memory";
	}
	return status < 0 ? "unknown status" : "ok";
}

/* ------------------------------------------------------------------------ */
/* Host functions (WebAssembly only)                                        */
/* ------------------------------------------------------------------------ */

#ifdef __wasm__

#define WH__IMPORT(name) __attribute__((import_module("wasmhook_v1"), import_name(name)))
WH__IMPORT("input_read") int32_t wh__input_read(void *ptr, int32_t len);
WH__IMPORT("config_read") int32_t wh__config_read(void *ptr, int32_t len);
WH__IMPORT("output_set") void wh__output_set(const void *ptr, int32_t len);
WH__IMPORT("error_set") void wh__error_set(const void *ptr, int32_t len);
WH__IMPORT("log") void wh__log(int32_t level, const void *ptr, int32_t len);
WH__IMPORT("field_read")
int32_t wh__field_read(int32_t doc, const void *path, int32_t path_len, void *ptr, int32_t len);
WH__IMPORT("field_string")
int32_t wh__field_string(int32_t doc, const void *path, int32_t path_len, void *ptr, int32_t len);
WH__IMPORT("http_request")
int32_t wh__http_request(const void *method, int32_t method_len, const void *url, int32_t url_len,
                         const void *headers, int32_t headers_len, const void *body, int32_t body_len);
WH__IMPORT("http_response_read") int32_t wh__http_response_read(int32_t part, void *ptr, int32_t len);
WH__IMPORT("kv_get") int32_t wh__kv_get(const void *key, int32_t key_len, void *ptr, int32_t len);
WH__IMPORT("kv_set")
int32_t wh__kv_set(const void *key, int32_t key_len, const void *value, int32_t value_len, int64_t ttl_ms);
WH__IMPORT("kv_delete") int32_t wh__kv_delete(const void *key, int32_t key_len);
#undef WH__IMPORT

/* Log levels of wh_log (slog's). */
enum { WH_LOG_DEBUG = -4, WH_LOG_INFO = 0, WH_LOG_WARN = 4, WH_LOG_ERROR = 8 };

/* wh_logn logs n bytes of UTF-8 at a WH_LOG_* level through the host's
 * logger (the host caps the bytes a call may log). */
static inline void wh_logn(int level, const char *msg, size_t n)
{
	wh__log(level, msg, (int32_t)n);
}

/* wh_log is wh_logn with a NUL-terminated message. */
static inline void wh_log(int level, const char *msg)
{
	wh_logn(level, msg, strlen(msg));
}

/* wh_errorn sets the failure message (n bytes of UTF-8; the host keeps 1 KiB)
 * and returns 1, so that `return wh_errorn(msg, n);` fails the event. The
 * message alone does not fail it: a non-zero return from wh_handle does. */
static inline int wh_errorn(const char *msg, size_t n)
{
	wh__error_set(msg, (int32_t)n);
	return 1;
}

/* wh_error is wh_errorn with a NUL-terminated message: return wh_error("…"). */
static inline int wh_error(const char *msg)
{
	return wh_errorn(msg, strlen(msg));
}

/*
 * wh_config returns the module's configuration (a JSON object, "{}" when the
 * operator gave none), sets *len to its length, and keeps it: the host is
 * asked once per instance, as the configuration never changes. The text is
 * followed by a NUL. It returns NULL (and *len 0) when memory runs out.
 * Read fields with wh_json_get(cfg, len, "key", NULL). (Each .c file that
 * calls it keeps its own copy.)
 */
static inline const char *wh_config(size_t *len)
{
	static char *cfg;
	static size_t cfg_len;

	if (cfg == NULL) {
		size_t n = (size_t)(uint32_t)wh__config_read(NULL, 0);
		char *b = malloc(n + 1);
		if (b == NULL) {
			*len = 0;
			return NULL;
		}
		wh__config_read(b, (int32_t)n);
		b[n] = '\0';
		cfg = b;
		cfg_len = n;
	}
	*len = cfg_len;
	return cfg;
}

/* ------------------------------------------------------------------------ */
/* Field reads (abi/SPEC.md, "Field reads")                                 */
/* ------------------------------------------------------------------------ */

/* The documents wh_get_in and wh_get_str look paths up in. */
enum {
	WH_DOC_INPUT = 0,     /* the input JSON: "/data/name", "/request/user" */
	WH_DOC_CONFIG = 1,    /* the module's configuration */
	WH_DOC_PRECHANGE = 2, /* the event's snapshots (null when it has none) */
	WH_DOC_POSTCHANGE = 3,
	WH_DOC_RESPONSE = 4   /* the body of the last wh_http_request's response */
};

/* Values read during the current event, in blocks that stay put until the
 * event ends (spans point into them): the newest block first. */
typedef struct wh__block {
	struct wh__block *next;
	size_t cap, used;
	char data[];
} wh__block;

#ifdef WASMHOOK_NO_ENTRY
extern wh__block *wh__blocks;
#else
wh__block *wh__blocks;
#endif

/* wh__fields_reset keeps the newest (largest) block for the next event. */
static inline void wh__fields_reset(void)
{
	wh__block *b = wh__blocks, *next;

	if (b == NULL)
		return;
	for (next = b->next, b->next = NULL; next != NULL;) {
		wh__block *n = next->next;
		free(next);
		next = n;
	}
	b->used = 0;
}

/*
 * wh_get_in returns the value that path, a JSON Pointer (RFC 6901), names in
 * document doc: the host looks it up and copies its bytes (followed by a NUL)
 * into memory the SDK keeps until wh_handle returns. Paths start at the
 * document's top: "/data/status/value", "/data/tags/0/name"; a key holding
 * "/" or "~" is written with "~1" or "~0". When a key appears more than once,
 * the last one counts (as in Python and Go). The result is {NULL, 0,
 * WH_JSON_NONE} when there is no such value, the path is not a JSON Pointer,
 * or memory runs out. One host call, two when the value does not fit in the
 * room left. Read the span with the wh_json_* functions.
 */
static inline wh_span wh_get_in(int doc, const char *path)
{
	wh__block *b = wh__blocks;
	size_t plen = strlen(path), room = b != NULL ? b->cap - b->used : 0;
	char *p = b != NULL ? b->data + b->used : NULL;
	int32_t n = wh__field_read(doc, path, (int32_t)plen, p, (int32_t)(room > 0 ? room - 1 : 0));

	if (n < 0)
		return wh__none();
	if ((size_t)n + 1 > room) {
		size_t cap = b != NULL ? 2 * b->cap : 4096;
		if (cap < (size_t)n + 1)
			cap = (size_t)n + 1;
		if ((b = malloc(sizeof *b + cap)) == NULL)
			return wh__none();
		b->next = wh__blocks, b->cap = cap, b->used = 0;
		wh__blocks = b;
		p = b->data;
		wh__field_read(doc, path, (int32_t)plen, p, (int32_t)cap);
	}
	p[n] = '\0';
	b->used += (size_t)n + 1;
	return wh_json_value(p, (size_t)n);
}

/* wh_get is wh_get_in on the input: wh_get("/data/status/value"). */
static inline wh_span wh_get(const char *path)
{
	return wh_get_in(WH_DOC_INPUT, path);
}

/*
 * wh_get_str decodes the string at path in document doc (escapes resolved,
 * as wh_json_str_decode does) into buf, with one host call, and returns its
 * length in bytes, like snprintf: when it is below cap, buf holds the whole
 * text followed by a NUL; otherwise call again with cap at least the result
 * plus 1 (wh_get_str(doc, path, NULL, 0) only measures). It returns -1 when
 * there is no such value and -2 when it is not a string.
 */
static inline long wh_get_str(int doc, const char *path, char *buf, size_t cap)
{
	int32_t n = wh__field_string(doc, path, (int32_t)strlen(path), buf, (int32_t)(cap > 0 ? cap - 1 : 0));

	if (n < 0)
		return n == -2 ? -2 : -1;
	if ((size_t)n < cap)
		buf[n] = '\0';
	return n;
}

/* ------------------------------------------------------------------------ */
/* Lookups (abi/SPEC.md, "Lookups")                                         */
/* ------------------------------------------------------------------------ */

/*
 * wh_response is what wh_http_request got. A non-2xx status is a response
 * like any other. `body` is the body (decoded from its transfer and content
 * encodings), `headers` the headers as a JSON object (lowercase names,
 * sorted, each a string of its values joined with ", "; read it with
 * wh_json_get). Both are followed by a NUL and live in buffers of the SDK
 * that the next wh_http_request reuses. To read a few fields of a JSON body,
 * ask the host rather than parse it: wh_get_in(WH_DOC_RESPONSE, "/name") looks
 * the path up in the host's index of the body (made once per response, and
 * kept with a cached one), until the next wh_http_request. It finds nothing
 * when the body is not JSON.
 */
typedef struct {
	int status;
	const char *body;
	size_t body_len;
	const char *headers;
	size_t headers_len;
} wh_response;

/* wh__part is one part of the last response, in a buffer kept for the life of
 * the instance. */
typedef struct {
	char *buf;
	size_t cap;
} wh__part;

/* wh__read_part copies part (0 body, 1 headers) of the last response into p,
 * NUL-terminated: one host call when it fits, two when the buffer must grow.
 * It returns the length or a negative status. */
static inline long wh__read_part(int part, wh__part *p)
{
	int32_t n = wh__http_response_read(part, p->buf, (int32_t)(p->cap > 0 ? p->cap - 1 : 0));

	if (n < 0)
		return n;
	if ((size_t)n + 1 > p->cap) {
		/* The old contents are not needed: free, then allocate. */
		size_t cap = ((size_t)n + 1 + 4095) & ~(size_t)4095;
		free(p->buf);
		if ((p->buf = malloc(cap)) == NULL) {
			p->cap = 0;
			return WH_ERR_NOMEM;
		}
		p->cap = cap;
		if ((n = wh__http_response_read(part, p->buf, (int32_t)(cap - 1))) < 0)
			return n;
	}
	p->buf[n] = '\0';
	return n;
}

/*
 * wh_http_request asks the host for one HTTP request under the module's
 * grants (the operator's settings file: nothing is allowed without a grant,
 * and the host adds the credentials a grant injects, which the module never
 * sees). method is "GET", "POST", ... (NULL or "": GET); url is absolute;
 * headers_json is a JSON object of strings ({"Accept":"application/json"};
 * NULL: none); body is body_len bytes (NULL, 0: none). It returns the HTTP
 * status (100-599) and fills *resp, or a negative WH_ERR_* status (resp then
 * holds status and NULL parts). The time waited counts against the call's
 * time limit.
 */
static inline int wh_http_request(const char *method, const char *url, const char *headers_json,
                                  const void *body, size_t body_len, wh_response *resp)
{
	static wh__part body_part, header_part;
	size_t mlen = method != NULL ? strlen(method) : 0;
	size_t hlen = headers_json != NULL ? strlen(headers_json) : 0;
	int32_t status = wh__http_request(method, (int32_t)mlen, url, (int32_t)strlen(url), headers_json,
	                                  (int32_t)hlen, body, (int32_t)body_len);
	long n;

	memset(resp, 0, sizeof *resp);
	resp->status = status;
	if (status < 0)
		return status;
	if ((n = wh__read_part(1, &header_part)) < 0)
		return resp->status = (int)n;
	resp->headers = header_part.buf, resp->headers_len = (size_t)n;
	if ((n = wh__read_part(0, &body_part)) < 0) {
		resp->headers = NULL, resp->headers_len = 0;
		return resp->status = (int)n;
	}
	resp->body = body_part.buf, resp->body_len = (size_t)n;
	return status;
}

/* wh_http_get is wh_http_request with GET and no body. */
static inline int wh_http_get(const char *url, const char *headers_json, wh_response *resp)
{
	return wh_http_request(NULL, url, headers_json, NULL, 0, resp);
}

/*
 * wh_kv_get copies the module's value for key (NUL-terminated) into buf, at
 * most cap bytes, and returns its whole size, like snprintf but without a NUL:
 * when the result is above cap, call again with a larger buffer
 * (wh_kv_get(key, NULL, 0) only measures; the host answers the second call
 * of the same key from the first). It returns WH_ERR_NOT_FOUND when there is
 * no value, or another negative WH_ERR_* status. A module's keys are its own;
 * a value may change between two events (another instance may set it).
 */
static inline long wh_kv_get(const char *key, void *buf, size_t cap)
{
	return wh__kv_get(key, (int32_t)strlen(key), buf, (int32_t)cap);
}

/* wh_kv_set sets key to the len bytes at value for ttl_ms milliseconds (0: no
 * expiry); it returns 0 or a negative WH_ERR_* status (WH_ERR_FULL past the
 * module's bound). */
static inline int wh_kv_set(const char *key, const void *value, size_t len, int64_t ttl_ms)
{
	return wh__kv_set(key, (int32_t)strlen(key), value, (int32_t)len, ttl_ms);
}

/* wh_kv_delete deletes key; it returns 0 (also when there was none) or a
 * negative WH_ERR_* status. */
static inline int wh_kv_delete(const char *key)
{
	return wh__kv_delete(key, (int32_t)strlen(key));
}

/*
 * wh_input_json returns the input JSON, in->len bytes followed by a NUL,
 * copied from the host with one input_read on the first call of the event
 * and kept for the life of the instance (the buffer is reused by the next
 * event). It returns NULL when memory runs out. Read it with wh_json_get.
 */
const char *wh_input_json(const wh_input *in);

#ifndef WASMHOOK_NO_ENTRY

/* wh_handle is the plugin's function, called once per event. It returns 0 on
 * success (the SDK then sets the output to what was written to out, if
 * anything) or non-zero to fail the event (see wh_error). */
int wh_handle(const wh_input *in, wh_writer *out);

/* The ABI version marker: the host checks the export, never calls it. */
__attribute__((export_name("wasmhook_abi_v1"))) void wasmhook_abi_v1(void);
void wasmhook_abi_v1(void) {}

/* Kept for the life of the instance, which serves many events. */
static char *wh__in_buf;
static size_t wh__in_cap;
static int wh__in_read; /* the input of this event is in wh__in_buf */
static wh_writer wh__out;

const char *wh_input_json(const wh_input *in)
{
	size_t n = in->len;

	if (wh__in_read)
		return wh__in_buf;
	if (n + 1 > wh__in_cap) {
		/* The old contents are not needed: free, then allocate, rather than
		 * realloc (which would copy them). Rounded up to 4 KiB so that
		 * inputs of similar sizes do not reallocate every time. */
		size_t cap = (n + 1 + 4095) & ~(size_t)4095;
		free(wh__in_buf);
		if ((wh__in_buf = malloc(cap)) == NULL) {
			wh__in_cap = 0;
			return NULL;
		}
		wh__in_cap = cap;
	}
	wh__input_read(wh__in_buf, (int32_t)n);
	wh__in_buf[n] = '\0';
	wh__in_read = 1;
	return wh__in_buf;
}

/* wasmhook_on_event is the reactor entry: it calls wh_handle (which asks for
 * the input or its fields as it needs them) and sets the output with one
 * output_set. */
__attribute__((export_name("wasmhook_on_event"))) int32_t wasmhook_on_event(int32_t input_len);
int32_t wasmhook_on_event(int32_t input_len)
{
	wh_input in;
	int status;

	in.len = (size_t)(uint32_t)input_len;
	wh__in_read = 0;
	wh__fields_reset();

	wh__out.len = 0;
	wh__out.comma = 0;
	wh__out.nomem = 0;
	if ((status = wh_handle(&in, &wh__out)) != 0)
		return status;
	if (wh__out.nomem)
		return wh_error("wasmhook: out of memory for the output");
	if (wh__out.len > 0)
		wh__output_set(wh__out.buf, (int32_t)wh__out.len);
	return 0;
}

#endif /* WASMHOOK_NO_ENTRY */
#endif /* __wasm__ */
#endif /* WASMHOOK_H */
