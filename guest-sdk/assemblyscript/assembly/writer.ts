// A small compact-JSON writer into one reused buffer. Commas are placed for
// you: write keys and values in order and close what you opened.

import { Buffer } from "./buffer";
import { Value } from "./json";
import { Form, isLiteral, keep, kept, keptLength } from "./literal";
import { bytesBelow, bytesEqual } from "./swar";

export class Writer {
  private buf: Buffer = new Buffer();
  private len: usize = 0;
  // Whether the next key or value follows another one at the same level.
  // One flag is enough: opening a container clears it, and finishing any
  // value (a container included) sets it.
  private comma: bool = false;

  /** Address of the bytes written so far. */
  get ptr(): usize {
    return this.buf.ptr;
  }

  /** Number of bytes written so far. */
  get length(): i32 {
    return <i32>this.len;
  }

  /** Forgets what was written; the memory is kept for the next event. */
  reset(): void {
    this.len = 0;
    this.comma = false;
  }

  beginObject(): Writer {
    this.separate();
    this.byte(0x7b);
    this.comma = false;
    return this;
  }

  endObject(): Writer {
    this.byte(0x7d);
    this.comma = true;
    return this;
  }

  beginArray(): Writer {
    this.separate();
    this.byte(0x5b);
    this.comma = false;
    return this;
  }

  endArray(): Writer {
    this.byte(0x5d);
    this.comma = true;
    return this;
  }

  /** Writes a member name and its colon; the member's value comes next. */
  key(name: string): Writer {
    this.separate();
    // A literal name is quoted on the first event only.
    const p = kept(name, Form.Key);
    if (p != 0) {
      const n = keptLength;
      memory.copy(this.buf.reserve(this.len + n) + this.len, p, n);
      this.len += n;
    } else {
      const start = this.len;
      this.quoted(name);
      this.byte(0x3a);
      if (isLiteral(name)) keep(name, Form.Key, this.buf.ptr + start, this.len - start);
    }
    this.comma = false;
    return this;
  }

  /**
   * Writes `s` as a JSON string: `"` and `\` escaped by a backslash, control
   * characters as `\u00XX` (lowercase hex), everything else as raw UTF-8 (a
   * lone surrogate as U+FFFD).
   */
  string(s: string): Writer {
    this.separate();
    this.quoted(s);
    this.comma = true;
    return this;
  }

  int(n: i64): Writer {
    this.separate();
    // 20 digits and a sign cover every i64.
    const p = this.buf.reserve(this.len + 20) + this.len;
    let u: u64 = n < 0 ? <u64>(-n) : <u64>n;
    let digits: usize = 1;
    for (let v = u / 10; v != 0; v /= 10) digits++;
    let q = p;
    if (n < 0) store<u8>(q++, 0x2d);
    q += digits;
    this.len = q - this.buf.ptr;
    do {
      store<u8>(--q, <u8>(0x30 + u % 10));
      u /= 10;
    } while (u != 0);
    this.comma = true;
    return this;
  }

  /** Writes a number; whole numbers without a fraction, NaN and infinities as null. */
  number(f: f64): Writer {
    if (!isFinite(f)) return this.null();
    if (f == Math.trunc(f) && Math.abs(f) < 9007199254740992.0) return this.int(<i64>f);
    return this.rawJSON(f.toString());
  }

  bool(b: bool): Writer {
    return this.rawJSON(b ? "true" : "false");
  }

  null(): Writer {
    return this.rawJSON("null");
  }

  /** Copies a value's token as it is in the input (escapes kept); null when it is missing. */
  raw(v: Value): Writer {
    if (!v.exists) return this.null();
    this.separate();
    const n = v.end - v.start;
    memory.copy(this.buf.reserve(this.len + n) + this.len, v.start, n);
    this.len += n;
    this.comma = true;
    return this;
  }

  /** Writes `json`, which must be one valid JSON value, as it is. */
  rawJSON(json: string): Writer {
    this.separate();
    const n = <usize>String.UTF8.byteLength(json);
    const p = this.buf.reserve(this.len + n) + this.len;
    String.UTF8.encodeUnsafe(changetype<usize>(json), json.length, p, false, String.UTF8.ErrorMode.REPLACE);
    this.len += n;
    this.comma = true;
    return this;
  }

  /** The output so far as text (for tests and logs). */
  toString(): string {
    return String.UTF8.decodeUnsafe(this.buf.ptr, this.len);
  }

  private separate(): void {
    if (this.comma) this.byte(0x2c);
  }

  private byte(c: u8): void {
    store<u8>(this.buf.reserve(this.len + 1) + this.len, c);
    this.len++;
  }

  private quoted(s: string): void {
    const n = <usize>s.length;
    // At most 6 bytes per UTF-16 unit (\u00XX), plus the quotes.
    const start = this.buf.reserve(this.len + n * 6 + 2);
    let q = start + this.len;
    store<u8>(q++, 0x22);
    const src = changetype<usize>(s);
    for (let i: usize = 0; i < n; i++) {
      // Four units at a time while they are ASCII that needs no escape.
      if (i + 4 <= n) {
        const x = load<u64>(src + (i << 1));
        // Units below 0x80 have a zero high byte; setting it to 0x20 keeps
        // it out of the tests for control characters, quote and backslash.
        const y = x | 0x2000200020002000;
        if ((x & 0xff80ff80ff80ff80) == 0 && (bytesBelow(y, 0x20) | bytesEqual(y, 0x22) | bytesEqual(y, 0x5c)) == 0) {
          store<u32>(q, <u32>((x & 0xff) | ((x >> 8) & 0xff00) | ((x >> 16) & 0xff0000) | ((x >> 24) & 0xff000000)));
          q += 4;
          i += 3;
          continue;
        }
      }
      let c = <u32>load<u16>(src + (i << 1));
      if (c < 0x80) {
        if (c == 0x22 || c == 0x5c) {
          store<u8>(q++, 0x5c);
          store<u8>(q++, <u8>c);
        } else if (c < 0x20) {
          store<u32>(q, 0x3030755c); // \u00
          const d = c & 15;
          store<u8>(q + 4, <u8>(0x30 + (c >> 4)));
          store<u8>(q + 5, <u8>(d < 10 ? 0x30 + d : 0x57 + d)); // 0x57 + 10 is 'a'
          q += 6;
        } else {
          store<u8>(q++, <u8>c);
        }
      } else if (c < 0x800) {
        store<u8>(q++, <u8>(0xc0 | (c >> 6)));
        store<u8>(q++, <u8>(0x80 | (c & 0x3f)));
      } else {
        if (c >= 0xd800 && c < 0xe000) {
          const next: u32 = i + 1 < n ? <u32>load<u16>(src + ((i + 1) << 1)) : 0;
          if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
            const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
            store<u8>(q++, <u8>(0xf0 | (cp >> 18)));
            store<u8>(q++, <u8>(0x80 | ((cp >> 12) & 0x3f)));
            store<u8>(q++, <u8>(0x80 | ((cp >> 6) & 0x3f)));
            store<u8>(q++, <u8>(0x80 | (cp & 0x3f)));
            i++;
            continue;
          }
          c = 0xfffd;
        }
        store<u8>(q++, <u8>(0xe0 | (c >> 12)));
        store<u8>(q++, <u8>(0x80 | ((c >> 6) & 0x3f)));
        store<u8>(q++, <u8>(0x80 | (c & 0x3f)));
      }
    }
    store<u8>(q++, 0x22);
    this.len = q - start;
  }
}
