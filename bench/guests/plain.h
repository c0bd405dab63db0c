/*
 * plain.h: W1 callback 2 written the way ordinary code is: one byte per
 * loop iteration, no SWAR, no tricks, shared by the wasmhook build
 * (plain/cb2.c) and the Extism one (extism/cb2_plain.c). It returns
 * {"site_status": data.status.value, "name_len": <characters in
 * data.name>}, as w1.h does, scanning the input it is given. The guest on
 * which the cost of the host's time-limit checks is measured against bare
 * wazero (a check at every loop iteration is a large share of a loop this
 * small), and the one Extism runs in the comparison with wasmhook's
 * SDK-written plugins.
 */
#ifndef PLAIN_H
#define PLAIN_H

#include <stddef.h>
#include <stdint.h>

typedef const unsigned char *cursor;

static cursor plain_ws(cursor p, cursor end) {
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at the opening quote; returns the byte after the closing one, or 0. */
static cursor skip_string(cursor p, cursor end) {
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return 0;
}

/* Skips any value; returns the byte after it, or 0. */
static cursor skip_value(cursor p, cursor end) {
	int depth = 0;
	while (p < end) {
		unsigned char c = *p;
		if (depth == 0 && (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r'))
			return p; /* the end of a scalar */
		if (c == '"') {
			if ((p = skip_string(p, end)) == 0)
				return 0;
		} else {
			if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']')
				depth--;
			p++;
		}
		if (depth == 0 && (c == '"' || c == '}' || c == ']'))
			return p;
	}
	return depth == 0 ? p : 0;
}

/* The value of member key (raw bytes compared) of the object at p, or 0. */
static cursor member(cursor p, cursor end, const char *key, size_t n, cursor *vend) {
	cursor found = 0;
	if (p == 0 || p >= end || *p != '{')
		return 0;
	p = plain_ws(p + 1, end);
	while (p < end && *p == '"') {
		cursor k = p + 1, ke = skip_string(p, end);
		if (ke == 0)
			return 0;
		p = plain_ws(ke, end);
		if (p >= end || *p != ':')
			return 0;
		p = plain_ws(p + 1, end);
		cursor v = p, ve = skip_value(p, end);
		if (ve == 0)
			return 0;
		if ((size_t)(ke - 1 - k) == n) {
			size_t i = 0;
			while (i < n && k[i] == (unsigned char)key[i])
				i++;
			if (i == n) {
				found = v;
				*vend = ve;
			}
		}
		p = plain_ws(ve, end);
		if (p < end && *p == ',')
			p = plain_ws(p + 1, end);
	}
	return found;
}

/* Code points of the string token [p, e): escapes count one (a surrogate pair two halves: one). */
static long count(cursor p, cursor e) {
	long n = 0;
	for (p++, e--; p < e; p++) {
		if (*p == '\\') {
			if (p[1] == 'u' && (p[2] == 'd' || p[2] == 'D') && p[3] >= '8' && p[3] <= 'b' && p + 7 < e && p[6] == '\\')
				p += 6; /* a high surrogate: the pair is one */
			p += p[1] == 'u' ? 5 : 1;
			n++;
		} else if ((*p & 0xc0) != 0x80) {
			n++;
		}
	}
	return n;
}

static unsigned char *put(unsigned char *o, const char *s) {
	while (*s)
		*o++ = (unsigned char)*s++;
	return o;
}

/* Writes the result for the input [in, in+len) to out (cap bytes, at
 * least 64 more than the status token) and returns its length. */
static size_t plain_cb2(cursor in, size_t len, unsigned char *out, size_t cap) {
	cursor end = in + len, data, dend, st, stend, v, vend, name, nend;
	unsigned char *o = out;

	data = member(plain_ws(in, end), end, "data", 4, &dend);
	st = member(data, dend, "status", 6, &stend);
	v = st && *st == '{' ? member(st, stend, "value", 5, &vend) : 0;
	name = member(data, dend, "name", 4, &nend);
	*o++ = '{';
	if (v && *v == '"' && (size_t)(vend - v) < cap - 64) {
		o = put(o, "\"site_status\":");
		for (cursor p = v; p < vend; p++)
			*o++ = *p;
	}
	if (name && *name == '"') {
		char digits[24];
		int k = 0;
		long n = count(name, nend);
		if (o > out + 1)
			*o++ = ',';
		o = put(o, "\"name_len\":");
		do
			digits[k++] = (char)('0' + n % 10);
		while ((n /= 10) > 0);
		while (k > 0)
			*o++ = (unsigned char)digits[--k];
	}
	*o++ = '}';
	return (size_t)(o - out);
}

#endif
