/*
 * w1.h: the logic of workload W1's callbacks, shared by the wasmhook and the
 * Extism builds so that both run exactly the same guest code. Only the way
 * input comes in and output goes out differs (see wasmhook/ and extism/).
 *
 * No libc: a small JSON scanner over the input bytes. It finds members by
 * comparing the key's raw bytes (keys with escapes do not match), skips
 * every other value without decoding it, and copies tokens as they are.
 */
#ifndef W1_H
#define W1_H

#include <stddef.h>
#include <stdint.h>

typedef const unsigned char *cursor;

static cursor w1_ws(cursor p, cursor end) {
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/*
 * Eight bytes at a time (SWAR): a guest pays per loop iteration (its host
 * may add a check to each), so the scans below look at a 64-bit word per
 * iteration where they can and finish byte by byte.
 */
#define W1_ONES 0x0101010101010101ULL
#define W1_HIGHS 0x8080808080808080ULL

static inline uint64_t w1_load64(cursor p) {
	uint64_t x;
	__builtin_memcpy(&x, p, 8);
	return x;
}

/* The high bit of each byte of x equal to c; exact for the lowest one. */
static inline uint64_t w1_bytes_eq(uint64_t x, unsigned char c) {
	uint64_t y = x ^ (W1_ONES * c);
	return (y - W1_ONES) & ~y & W1_HIGHS;
}

/* p at the opening quote; returns the byte after the closing one, or 0. */
static cursor w1_skip_string(cursor p, cursor end) {
	p++;
	for (;;) {
		while (end - p >= 8) {
			uint64_t x = w1_load64(p);
			uint64_t m = w1_bytes_eq(x, '"') | w1_bytes_eq(x, '\\');
			if (m) {
				p += __builtin_ctzll(m) >> 3;
				break;
			}
			p += 8;
		}
		while (p < end && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return 0;
		if (*p == '"')
			return p + 1;
		p += 2; /* a backslash and the byte it escapes */
	}
}

/* Skips one value at p (after white space); returns the byte after it, or 0. */
static cursor w1_skip_value(cursor p, cursor end) {
	p = w1_ws(p, end);
	if (p >= end)
		return 0;
	if (*p == '"')
		return w1_skip_string(p, end);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		while (p < end) {
			unsigned char c = *p;
			if (c == '"') {
				p = w1_skip_string(p, end);
				if (!p)
					return 0;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']') {
				if (--depth == 0)
					return p + 1;
			}
			p++;
		}
		return 0;
	}
	/* number, true, false, null */
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
	       *p != '\t' && *p != '\n' && *p != '\r')
		p++;
	return p;
}

/*
 * p at an object's '{'. Finds the members named keys[0..n) (lens[i] bytes
 * each) in one pass and stops when all are found: vals[i] is the first
 * member of that name's value (its first byte), or 0. Keys are compared as
 * raw bytes, so keys with escapes do not match. Returns 0 when p is not an
 * object.
 */
static int w1_members(cursor p, cursor end, size_t n, const char *const *keys, const size_t *lens,
                      cursor *vals) {
	size_t left = n;
	for (size_t i = 0; i < n; i++)
		vals[i] = 0;
	p = w1_ws(p, end);
	if (p >= end || *p != '{')
		return 0;
	p = w1_ws(p + 1, end);
	while (left > 0 && p < end && *p == '"') {
		cursor k = p + 1;
		cursor q = w1_skip_string(p, end);
		if (!q)
			return 1;
		size_t klen = (size_t)(q - 1 - k);
		q = w1_ws(q, end);
		if (q >= end || *q != ':')
			return 1;
		q = w1_ws(q + 1, end);
		for (size_t i = 0; i < n; i++) {
			if (!vals[i] && klen == lens[i] && __builtin_memcmp(k, keys[i], klen) == 0) {
				vals[i] = q;
				left--;
			}
		}
		if (left == 0)
			break;
		q = w1_skip_value(q, end);
		if (!q)
			return 1;
		q = w1_ws(q, end);
		if (q < end && *q == ',')
			q = w1_ws(q + 1, end);
		p = q;
	}
	return 1;
}

/* The value of p's first member named key (a string literal), or 0. */
static cursor w1_member(cursor p, cursor end, const char *key, size_t klen) {
	cursor v;
	w1_members(p, end, 1, &key, &klen, &v);
	return v;
}

#define W1_MEMBER(p, end, lit) w1_member((p), (end), (lit), sizeof(lit) - 1)

static int w1_hex4(cursor p, cursor end, unsigned *v) {
	if (end - p < 4)
		return 0;
	unsigned x = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= c - '0';
		else if (c >= 'a' && c <= 'f')
			x |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			x |= c - 'A' + 10;
		else
			return 0;
	}
	*v = x;
	return 1;
}

/*
 * The number of characters (code points) of the JSON string token at p,
 * decoding escapes: \uD83D\uDE00 is one character, as is each raw UTF-8
 * sequence. Returns -1 when p is not a string.
 */
static long w1_string_chars(cursor p, cursor end) {
	if (p >= end || *p != '"')
		return -1;
	long n = 0;
	for (p++; p < end; p++) {
		/* Whole words with no quote or backslash: count the bytes that
		 * are not UTF-8 continuation bytes (10xxxxxx). */
		while (end - p >= 8) {
			uint64_t x = w1_load64(p);
			if (w1_bytes_eq(x, '"') | w1_bytes_eq(x, '\\'))
				break;
			uint64_t cont = x & ~(x << 1) & W1_HIGHS; /* bit 7 set, bit 6 clear */
			n += 8 - __builtin_popcountll(cont);
			p += 8;
		}
		if (p >= end)
			break;
		unsigned char c = *p;
		if (c == '"')
			return n;
		if (c == '\\') {
			unsigned hi, lo;
			if (p + 1 < end && p[1] == 'u' && w1_hex4(p + 2, end, &hi)) {
				p += 5;
				if (hi >= 0xD800 && hi < 0xDC00 && end - p > 6 && p[1] == '\\' &&
				    p[2] == 'u' && w1_hex4(p + 3, end, &lo) && lo >= 0xDC00 && lo < 0xE000)
					p += 6;
			} else {
				p++;
			}
			n++;
		} else if ((c & 0xC0) != 0x80) {
			n++;
		}
	}
	return -1;
}

static size_t w1_append(unsigned char *dst, size_t at, size_t cap, const void *src, size_t n) {
	if (at + n > cap)
		return cap + 1; /* overflow marker: more than cap */
	const unsigned char *s = src;
	for (size_t i = 0; i < n; i++)
		dst[at + i] = s[i];
	return at + n;
}

#define W1_LIT(dst, at, cap, lit) w1_append((dst), (at), (cap), (lit), sizeof(lit) - 1)

static size_t w1_append_long(unsigned char *dst, size_t at, size_t cap, long v) {
	char buf[24];
	int i = sizeof buf;
	int neg = v < 0;
	unsigned long u = neg ? 0UL - (unsigned long)v : (unsigned long)v;
	do {
		buf[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		buf[--i] = '-';
	return w1_append(dst, at, cap, buf + i, sizeof buf - (size_t)i);
}

/*
 * cb2: {"site_status": data.status.value, "name_len": <characters in
 * data.name>}. The status value's token is copied as it is; a missing one
 * is null, and so is name_len when data.name is not a string. Returns the
 * output length, or more than cap when it does not fit, or 0 when the input
 * has no data object.
 */
static size_t w1_cb2(cursor in, size_t len, unsigned char *out, size_t cap) {
	cursor end = in + len;
	cursor data = W1_MEMBER(in, end, "data");
	if (!data || *data != '{')
		return 0;
	static const char *const keys[] = {"status", "name"};
	static const size_t lens[] = {6, 4};
	cursor found[2];
	w1_members(data, end, 2, keys, lens, found);
	cursor status = found[0], name = found[1];
	cursor value = status ? W1_MEMBER(status, end, "value") : 0;
	cursor value_end = value ? w1_skip_value(value, end) : 0;
	long chars = name ? w1_string_chars(name, end) : -1;

	size_t n = W1_LIT(out, 0, cap, "{\"site_status\":");
	if (value_end)
		n = w1_append(out, n, cap, value, (size_t)(value_end - value));
	else
		n = W1_LIT(out, n, cap, "null");
	n = W1_LIT(out, n, cap, ",\"name_len\":");
	if (chars >= 0)
		n = w1_append_long(out, n, cap, chars);
	else
		n = W1_LIT(out, n, cap, "null");
	return W1_LIT(out, n, cap, "}");
}

#endif
