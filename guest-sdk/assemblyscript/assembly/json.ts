// A small JSON reader that works in place on the bytes of a buffer: a Value is
// the byte range of one JSON token (a string with its quotes, a whole object,
// ...), and nothing is decoded until asked for.
//
// The input and the configuration come from the host, which hands over valid
// JSON, so the reader does not validate: it finds where values end (strings,
// brackets) and never reads outside the buffer, but on malformed JSON it
// returns missing values or nonsense rather than an error.

import { Buffer } from "./buffer";
import { bytesBelow, bytesEqual, bytesEqualExact, HIGH_BITS, LOW_BITS } from "./swar";

/** What a Value holds, from its first byte. */
export enum Kind {
  Missing,
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/**
 * One JSON value: the bytes [start, end) of its token. A Value read from the
 * event's input is valid during that event only: the input buffer, and the
 * Value itself, are reused for the next event.
 */
export class Value {
  private first: usize;
  private last: usize;

  constructor(start: usize, end: usize) {
    this.first = start;
    this.last = end;
  }

  /** Address of the token's first byte (a string's opening quote). */
  get start(): usize {
    return this.first;
  }

  /** Address just past the token's last byte. */
  get end(): usize {
    return this.last;
  }

  // Values inside the current event's input come from a pool that the next
  // event reuses, so that reading the input allocates nothing once the pool
  // is big enough (allocations make the garbage collector run, and its work
  // is most of a small plugin's). Other values (the configuration's) are
  // allocated, as a plugin may keep them.
  private static of(start: usize, end: usize): Value {
    if ((start < poolFrom || start >= poolTo) && (start < fieldsFrom || start >= fieldsTo)) return new Value(start, end);
    if (poolUsed < pool.length) {
      const v = unchecked(pool[poolUsed++]);
      v.first = start;
      v.last = end;
      return v;
    }
    const v = new Value(start, end);
    pool.push(v);
    poolUsed++;
    return v;
  }

  /**
   * The JSON value that the `len` bytes at `ptr` hold, as the host's input
   * and configuration do: the bytes are not scanned, only the spaces around
   * the value are left out. Missing when there is nothing but spaces.
   */
  static parse(ptr: usize, len: usize): Value {
    let end = ptr + len;
    const p = skipSpace(ptr, end);
    while (end > p && isSpace(load<u8>(end - 1))) end--;
    return end > p ? Value.of(p, end) : MISSING;
  }

  get kind(): Kind {
    if (this.end <= this.start) return Kind.Missing;
    const c = load<u8>(this.start);
    if (c == 0x22) return Kind.String; // "
    if (c == 0x7b) return Kind.Object; // {
    if (c == 0x5b) return Kind.Array; // [
    if (c == 0x6e) return Kind.Null; // n
    if (c == 0x74 || c == 0x66) return Kind.Bool; // t, f
    return Kind.Number;
  }

  /** False for a member or element that is not there (and for whatever is read from it). */
  get exists(): bool {
    return this.end > this.start;
  }
  isNull(): bool {
    return this.kind == Kind.Null;
  }
  isBool(): bool {
    return this.kind == Kind.Bool;
  }
  isNumber(): bool {
    return this.kind == Kind.Number;
  }
  isString(): bool {
    return this.kind == Kind.String;
  }
  isArray(): bool {
    return this.kind == Kind.Array;
  }
  isObject(): bool {
    return this.kind == Kind.Object;
  }

  /** The token's length in bytes (0 when missing). */
  get byteLength(): i32 {
    return <i32>(this.end - this.start);
  }

  /**
   * The member `key` of this object, compared after decoding the member names'
   * escapes. Only this object's own members count, not those of nested values.
   * With duplicate names the last one wins, as in JSON.parse. Missing when
   * this is not an object or has no such member, so that paths chain:
   * `input.get("data").get("status").get("value")`.
   */
  get(key: string): Value {
    if (this.kind != Kind.Object) return MISSING;
    const end = this.end;
    let p = skipSpace(this.start + 1, end);
    let foundStart: usize = 0;
    let foundEnd: usize = 0;
    // One iteration per member: a member's comma is taken with it.
    while (p < end && load<u8>(p) == 0x22) {
      const nameEnd = skipString(p, end);
      if (nameEnd == 0) return MISSING;
      const valueStart = skipSpace(skipSpace(nameEnd, end) + 1, end); // past the colon
      const valueEnd = skipValue(valueStart, end);
      if (valueEnd == 0) return MISSING;
      if (nameEquals(p + 1, nameEnd - 1, key)) {
        foundStart = valueStart;
        foundEnd = valueEnd;
      }
      p = skipSpace(valueEnd, end);
      if (p < end && load<u8>(p) == 0x2c) p = skipSpace(p + 1, end);
    }
    return foundEnd == 0 ? MISSING : Value.of(foundStart, foundEnd);
  }

  /** Element `index` of this array; missing when out of range or not an array. */
  at(index: i32): Value {
    if (this.kind != Kind.Array || index < 0) return MISSING;
    const end = this.end;
    let p = skipSpace(this.start + 1, end);
    // One iteration per element: an element's comma is taken with it.
    for (let i = 0; p < end && load<u8>(p) != 0x5d; i++) {
      const valueEnd = skipValue(p, end);
      if (valueEnd == 0) return MISSING;
      if (i == index) return Value.of(p, valueEnd);
      p = skipSpace(valueEnd, end);
      if (p < end && load<u8>(p) == 0x2c) p = skipSpace(p + 1, end);
    }
    return MISSING;
  }

  /**
   * The number of Unicode code points of this string after decoding its
   * escapes (a surrogate pair counts one; a lone surrogate or an invalid UTF-8
   * byte counts one, as the U+FFFD it decodes to). -1 when not a string.
   */
  codePoints(): i32 {
    if (this.kind != Kind.String) return -1;
    const end = this.end - 1;
    let p = this.start + 1;
    let n = 0;
    while (p < end) {
      // ASCII other than the backslash is one byte, one code point: count
      // such bytes 8 at a time, up to the first other one.
      if (p + 8 <= end) {
        const v = load<u64>(p);
        const m = (v & HIGH_BITS) | bytesEqual(v, 0x5c);
        const i: usize = m == 0 ? 8 : <usize>(ctz(m) >> 3);
        n += <i32>i;
        p += i;
        if (i == 8) continue;
      }
      const c = load<u8>(p);
      if (c < 0x80 && c != 0x5c) {
        p++;
      } else {
        nextCodePoint(p, end);
        p += cpWidth;
      }
      n++;
    }
    return n;
  }

  /**
   * A string's decoded text (lone surrogates are kept as lone UTF-16 units);
   * for any other value the JSON text of its token; "" when missing.
   */
  toString(): string {
    if (this.kind != Kind.String) return this.raw();
    const end = this.end - 1;
    let p = this.start + 1;
    // A token byte never decodes to more than one UTF-16 unit.
    const buf = scratch.reserve(<usize>(end - p) << 1);
    let q = buf;
    while (p < end) {
      const cp = nextCodePoint(p, end);
      p += cpWidth;
      if (cp >= 0x10000) {
        store<u16>(q, <u16>(0xd800 + ((cp - 0x10000) >> 10)));
        store<u16>(q + 2, <u16>(0xdc00 + (cp & 0x3ff)));
        q += 4;
      } else {
        store<u16>(q, <u16>cp);
        q += 2;
      }
    }
    return String.UTF16.decodeUnsafe(buf, q - buf);
  }

  /** The token's JSON text as it is in the input (a string keeps its quotes and escapes). */
  raw(): string {
    return String.UTF8.decodeUnsafe(this.start, this.end - this.start);
  }

  /** true only for the literal `true`. */
  toBool(): bool {
    return this.kind == Kind.Bool && load<u8>(this.start) == 0x74;
  }

  /** The number this token holds, NaN when it is not a number. */
  toF64(): f64 {
    return this.kind == Kind.Number ? parseFloat(this.raw()) : NaN;
  }
}

/** The value of every missing member or element. */
export const MISSING = new Value(0, 0);

const pool: Value[] = [];
let poolUsed = 0;
let poolFrom: usize = 0;
let poolTo: usize = 0;

// The bytes where field reads put the values of the current event.
let fieldsFrom: usize = 0;
let fieldsTo: usize = 0;

/** Starts an event whose input is the bytes [from, to): its Values reuse the pool. */
export function beginEvent(from: usize, to: usize): void {
  poolUsed = 0;
  poolFrom = from;
  poolTo = to;
}

/** Values in [from, to), where field reads copy values, reuse the pool too. */
export function beginFields(from: usize, to: usize): void {
  fieldsFrom = from;
  fieldsTo = to;
}

// Width in bytes of the last code point nextCodePoint decoded (a second
// return value without allocating).
let cpWidth: usize = 0;

// Where toString decodes strings to before copying them into a string.
const scratch = new Buffer();

function isSpace(c: u32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

function skipSpace(p: usize, end: usize): usize {
  // Between tokens there is mostly nothing or one space: test for those
  // before entering a loop.
  if (p < end && isSpace(load<u8>(p))) {
    p++;
    while (p < end && isSpace(load<u8>(p))) p++;
  }
  return p;
}

// Returns the address past the string starting at the quote at p, or 0 when it
// does not end before `end`.
function skipString(p: usize, end: usize): usize {
  p++;
  // Most strings (member names above all) end within 8 bytes: test the
  // first 8 before entering the loop.
  if (p + 8 <= end) {
    const v = load<u64>(p);
    const m = bytesEqual(v, 0x22) | bytesEqual(v, 0x5c);
    if (m == 0) {
      p += 8;
    } else {
      p += <usize>(ctz(m) >> 3);
      if (load<u8>(p) == 0x22) return p + 1;
      p += 2; // a backslash and the byte it escapes
    }
  }
  while (true) {
    // Move p to the next quote or backslash.
    if (p + 8 <= end) {
      const v = load<u64>(p);
      const m = bytesEqual(v, 0x22) | bytesEqual(v, 0x5c);
      if (m == 0) {
        p += 8;
        continue;
      }
      p += <usize>(ctz(m) >> 3);
    } else {
      if (p >= end) return 0;
      const c = load<u8>(p);
      if (c != 0x22 && c != 0x5c) {
        p++;
        continue;
      }
    }
    if (load<u8>(p) == 0x22) return p + 1;
    p += 2; // a backslash and the byte it escapes
  }
}

// Returns the address past the object or array starting at p, or 0 when it
// does not end before `end`. It counts brackets outside strings (the JSON is
// valid, so they match, and deep nesting costs no stack), 8 bytes per
// iteration: which bytes are inside strings comes without a loop from the
// running parity of the quotes before them, as in simdjson. A backslash (only
// found inside strings) ends the word early: it and the byte it escapes are
// skipped.
function skipContainer(p: usize, end: usize): usize {
  let depth = 0;
  let inString = false;
  while (p + 8 <= end) {
    const v = load<u64>(p);
    // The bits of the bytes before the first backslash, if there is one.
    const backslash = bytesEqual(v, 0x5c);
    const n: u64 = backslash == 0 ? 64 : ctz(backslash) & ~7;
    const keep: u64 = n == 64 ? <u64>-1 : (<u64>1 << n) - 1;
    // Prefix XOR of the quote bits: set from an opening quote up to the byte
    // before its closing quote.
    let s = bytesEqualExact(v, 0x22) & keep;
    s ^= s << 8;
    s ^= s << 16;
    s ^= s << 32;
    if (inString) s ^= HIGH_BITS;
    const w = v | (0x20 * LOW_BITS); // [ and ] become { and }, nothing else does
    const open = bytesEqualExact(w, 0x7b) & ~s & keep;
    const close = bytesEqualExact(w, 0x7d) & ~s & keep;
    if (close != 0 && <i32>popcnt(close) >= depth) {
      // The container may end in this word: follow its brackets in order.
      let bits = open | close;
      while (bits != 0) {
        const bit = bits & (~bits + 1);
        if ((open & bit) != 0) {
          depth++;
        } else if (--depth == 0) {
          return p + <usize>(ctz(bit) >> 3) + 1;
        }
        bits ^= bit;
      }
    } else {
      depth += <i32>popcnt(open) - <i32>popcnt(close);
    }
    if (n == 64) {
      inString = (s >> 63) != 0;
      p += 8;
    } else {
      inString = true;
      p += <usize>(n >> 3) + 2;
    }
  }
  // The last few bytes of the buffer, one at a time.
  let escaped = false;
  while (p < end) {
    const b = load<u8>(p++);
    if (inString) {
      if (escaped) escaped = false;
      else if (b == 0x5c) escaped = true;
      else if (b == 0x22) inString = false;
    } else if (b == 0x22) {
      inString = true;
    } else if (b == 0x7b || b == 0x5b) {
      depth++;
    } else if (b == 0x7d || b == 0x5d) {
      if (--depth == 0) return p;
    }
  }
  return 0;
}

// Returns the address past the value starting at p, or 0 when there is none.
function skipValue(p: usize, end: usize): usize {
  if (p >= end) return 0;
  const c = load<u8>(p);
  if (c == 0x22) return skipString(p, end);
  if (c == 0x7b || c == 0x5b) return skipContainer(p, end);
  // A number or a literal runs to the next comma, closing bracket or space
  // (or control character).
  const start = p;
  while (p < end) {
    if (p + 8 <= end) {
      const v = load<u64>(p);
      const w = v | (0x20 * LOW_BITS);
      const m = bytesBelow(v, 0x21) | bytesEqual(v, 0x2c) | bytesEqual(w, 0x7d);
      if (m == 0) {
        p += 8;
        continue;
      }
      p += <usize>(ctz(m) >> 3);
      break;
    }
    const b = load<u8>(p);
    if (b == 0x2c || b == 0x7d || b == 0x5d || b < 0x21) break;
    p++;
  }
  return p > start ? p : 0;
}

function hexDigit(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  c |= 0x20;
  if (c - 0x61 < 6) return <i32>(c - 0x61 + 10);
  return -1;
}

// The 16-bit value of the \uXXXX escape at p, or -1 when there is none.
function escapeUnit(p: usize, end: usize): i32 {
  if (p + 6 > end || load<u8>(p) != 0x5c || load<u8>(p + 1) != 0x75) return -1;
  let v = 0;
  for (let i: usize = 2; i < 6; i++) {
    const d = hexDigit(load<u8>(p + i));
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v;
}

// Decodes the code point at p inside a string's contents (before `end`) and
// sets cpWidth to the bytes it took. An escaped surrogate pair is one code
// point; a lone escaped surrogate is returned as it is. Invalid UTF-8 decodes
// one byte to U+FFFD, as Go's and browsers' decoders do.
function nextCodePoint(p: usize, end: usize): i32 {
  const c = <i32>load<u8>(p);
  if (c == 0x5c) {
    if (p + 1 >= end) {
      cpWidth = 1;
      return 0x5c;
    }
    cpWidth = 2;
    switch (load<u8>(p + 1)) {
      case 0x62: return 0x08; // b
      case 0x66: return 0x0c; // f
      case 0x6e: return 0x0a; // n
      case 0x72: return 0x0d; // r
      case 0x74: return 0x09; // t
      case 0x75: { // u
        const hi = escapeUnit(p, end);
        if (hi < 0) return 0xfffd;
        cpWidth = 6;
        if (hi >= 0xd800 && hi < 0xdc00) {
          const lo = escapeUnit(p + 6, end);
          if (lo >= 0xdc00 && lo < 0xe000) {
            cpWidth = 12;
            return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
          }
        }
        return hi;
      }
      default: return <i32>load<u8>(p + 1); // \" \\ \/
    }
  }
  cpWidth = 1;
  if (c < 0x80) return c;
  // Lead byte: how many continuation bytes, and the allowed range of the
  // first one (which rules out overlong forms and surrogates).
  let n = 0;
  let lo = 0x80;
  let hi = 0xbf;
  let cp = 0;
  if (c < 0xc2) {
    return 0xfffd;
  } else if (c < 0xe0) {
    n = 1;
    cp = c & 0x1f;
  } else if (c < 0xf0) {
    n = 2;
    cp = c & 0x0f;
    if (c == 0xe0) lo = 0xa0;
    else if (c == 0xed) hi = 0x9f;
  } else if (c < 0xf5) {
    n = 3;
    cp = c & 0x07;
    if (c == 0xf0) lo = 0x90;
    else if (c == 0xf4) hi = 0x8f;
  } else {
    return 0xfffd;
  }
  if (p + n >= end) return 0xfffd; // truncated
  for (let i = 1; i <= n; i++) {
    const b = <i32>load<u8>(p + i);
    if (b < lo || b > hi) return 0xfffd;
    lo = 0x80;
    hi = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
  }
  cpWidth = n + 1;
  return cp;
}

// Reports whether the string contents [p, end) decode to `key`, without
// decoding them anywhere.
function nameEquals(p: usize, end: usize, key: string): bool {
  const n = key.length;
  // Rule out most other names before the loop: a UTF-16 unit takes at least
  // one byte, and a plain ASCII first byte must be the key's first unit.
  if (end - p < <usize>n) return false;
  if (n > 0) {
    const c = <i32>load<u8>(p);
    if (c < 0x80 && c != 0x5c && c != <i32>key.charCodeAt(0)) return false;
  }
  let i = 0;
  while (p < end) {
    if (i >= n) return false;
    const c = <i32>load<u8>(p);
    if (c < 0x80 && c != 0x5c) {
      if (<i32>key.charCodeAt(i) != c) return false;
      p++;
      i++;
      continue;
    }
    const cp = nextCodePoint(p, end);
    p += cpWidth;
    const k = key.codePointAt(i);
    if (k != cp) return false;
    i += k >= 0x10000 ? 2 : 1;
  }
  return i == n;
}
