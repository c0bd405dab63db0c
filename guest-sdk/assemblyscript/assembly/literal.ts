// Encodings of string literals, made once per instance.
//
// A string literal lives in the module's static data, below __heap_base,
// for the life of the instance: a path or a key written as one is the
// same string at the same address on every event. Its UTF-8 (for a field
// read's path) or its quoted form (for a Writer key) is made the first
// time and kept in a small table keyed by that address, so that the next
// events copy it instead of encoding it again. A string made at run time
// (on the heap, where a freed string's address may be reused) is never
// kept.

const SLOTS: usize = 32; // a power of two; a plugin uses a few literals
const slotString = memory.data(<i32>(SLOTS * sizeof<usize>()));
const slotBytes = memory.data(<i32>(SLOTS * sizeof<usize>()));
const slotLength = memory.data(<i32>(SLOTS * sizeof<usize>()));

// The two kinds of encoding: a path's plain UTF-8, a key's `"name":`.
export const enum Form {
  Path = 0,
  Key = 1,
}

/** Whether s is a literal: in static data, kept for the instance's life. */
// @ts-ignore: decorator
@inline export function isLiteral(s: string): bool {
  return changetype<usize>(s) < __heap_base;
}

/** The length of the encoding kept() returned last. */
export let keptLength: usize = 0;

// @ts-ignore: decorator
@inline function slot(s: string, form: Form): usize {
  // The form is the index's low bit: a slot holds one form only.
  return ((((changetype<usize>(s) >> 4) << 1) | <usize>form) & (SLOTS - 1)) * sizeof<usize>();
}

/**
 * The kept encoding of the literal s in the given form (its length in
 * keptLength), or 0 when none is kept yet.
 */
export function kept(s: string, form: Form): usize {
  const i = slot(s, form);
  if (load<usize>(slotString + i) != changetype<usize>(s)) return 0;
  keptLength = load<usize>(slotLength + i);
  return load<usize>(slotBytes + i);
}

/** Keeps a copy of the n bytes at p as the encoding of the literal s. */
export function keep(s: string, form: Form, p: usize, n: usize): void {
  const i = slot(s, form);
  let bytes = load<usize>(slotBytes + i);
  bytes = bytes == 0 ? heap.alloc(max<usize>(n, 1)) : heap.realloc(bytes, max<usize>(n, 1));
  memory.copy(bytes, p, n);
  store<usize>(slotBytes + i, bytes);
  store<usize>(slotLength + i, n);
  store<usize>(slotString + i, changetype<usize>(s));
}
