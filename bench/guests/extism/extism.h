/*
 * extism.h: the Extism host ABI ("extism:host/env") as github.com/extism/go-sdk
 * v1.7.1 defines it (host.go, instantiateEnvModule), declared by hand since
 * the Extism C PDK header is not reachable here. Offsets and lengths are
 * i64 handles into the Extism kernel's memory, not this module's.
 *
 * The helpers read input and write output the way Extism's PDKs do: input
 * 8 bytes per input_load_u64 call (input_load_u8 for the tail), output into
 * a block from alloc, 8 bytes per store_u64 call, then output_set.
 */
#ifndef W1_EXTISM_H
#define W1_EXTISM_H

#include <stdint.h>

#define EXTISM_IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(name)))

EXTISM_IMPORT("input_length") uint64_t extism_input_length(void);
EXTISM_IMPORT("input_load_u8") uint32_t extism_input_load_u8(uint64_t offset);
EXTISM_IMPORT("input_load_u64") uint64_t extism_input_load_u64(uint64_t offset);
EXTISM_IMPORT("alloc") uint64_t extism_alloc(uint64_t len);
EXTISM_IMPORT("store_u8") void extism_store_u8(uint64_t offset, uint32_t value);
EXTISM_IMPORT("store_u64") void extism_store_u64(uint64_t offset, uint64_t value);
EXTISM_IMPORT("output_set") void extism_output_set(uint64_t offset, uint64_t len);
EXTISM_IMPORT("error_set") void extism_error_set(uint64_t offset);

/* Copies the input's first len bytes to dst, as the PDKs' extism_load_input. */
static void extism_load_input(unsigned char *dst, uint64_t len) {
	uint64_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t v = extism_input_load_u64(i);
		__builtin_memcpy(dst + i, &v, 8);
	}
	for (; i < len; i++)
		dst[i] = (unsigned char)extism_input_load_u8(i);
}

/* Copies len bytes of src into a new kernel block and returns its offset. */
static uint64_t extism_store(const unsigned char *src, uint64_t len) {
	uint64_t offset = extism_alloc(len);
	uint64_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t v;
		__builtin_memcpy(&v, src + i, 8);
		extism_store_u64(offset + i, v);
	}
	for (; i < len; i++)
		extism_store_u8(offset + i, src[i]);
	return offset;
}

static void extism_output(const void *src, uint64_t len) {
	extism_output_set(extism_store(src, len), len);
}

/* Sets the call's error message (copied into a kernel block). */
static void extism_error(const char *msg, uint64_t len) {
	extism_error_set(extism_store((const unsigned char *)msg, len));
}

#endif
