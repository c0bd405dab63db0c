// Byte tests on 8 bytes at once in a u64 (SWAR, "SIMD within a register").
// The SDK's scans use them to take 8 bytes per loop iteration: the host checks
// its deadline on every loop iteration, which costs far more than the few
// instructions these take.

export const LOW_BITS: u64 = 0x0101010101010101;
export const HIGH_BITS: u64 = 0x8080808080808080;

/**
 * A mask with the high bit set in the bytes of v equal to c. The lowest set
 * bit is exact (higher ones may be false positives after a match), so
 * `ctz(mask) >> 3` is the index of the first match and `mask == 0` means none.
 */
export function bytesEqual(v: u64, c: u64): u64 {
  const x = v ^ (c * LOW_BITS);
  return (x - LOW_BITS) & ~x & HIGH_BITS;
}

/** Like bytesEqual, with no false positives (7-bit sums cannot carry into the next byte). */
export function bytesEqualExact(v: u64, c: u64): u64 {
  const x = v ^ (c * LOW_BITS);
  const low7: u64 = 0x7f7f7f7f7f7f7f7f;
  return ~(((x & low7) + low7) | x | low7);
}

/** Like bytesEqual for the bytes of v below c (c at most 0x80). */
export function bytesBelow(v: u64, c: u64): u64 {
  return (v - c * LOW_BITS) & ~v & HIGH_BITS;
}
