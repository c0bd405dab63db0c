// wasmhook guest SDK for AssemblyScript: ABI v1 (abi/SPEC.md) reactors.
//
// A plugin's entry file re-exports the version marker and exports its own
// wasmhook_on_event, which hands the event to runEvent():
//
//   import { Event, runEvent, Writer } from "<this package>/assembly";
//   export { wasmhook_abi_v1 } from "<this package>/assembly";
//
//   export function wasmhook_on_event(inputLen: i32): i32 {
//     return runEvent(inputLen, handle);
//   }
//
//   function handle(event: Event, out: Writer): i32 {
//     const status = event.get("/data/status/value"); // looked up by the host
//     ...
//   }
//
// (run() hands the handler the whole input instead, read before the call.)
//
// AssemblyScript exports only what the entry file exports, hence the
// re-export. Build with `--use abort=<path to this file>/wasmhookAbort` so
// that failed assertions report through error_set instead of importing
// env.abort, which the host refuses.

import { Buffer } from "./buffer";
import { config_read, error_set, field_read, input_read, log_write, output_set } from "./host";
import { beginEvent, beginFields, MISSING, Value } from "./json";
import { Form, isLiteral, keep, kept, keptLength } from "./literal";
import { Writer } from "./writer";

export { Kind, MISSING, Value } from "./json";
export { Writer } from "./writer";

/** The ABI v1 marker. The host checks that it is exported and never calls it. */
export function wasmhook_abi_v1(): void {}

/**
 * Handles one event: `input` is the whole input object (object_type,
 * event_type, data, request), `output` is empty. Write the result object to
 * `output` (or nothing, for no result) and return 0, or return a non-zero
 * status to fail (see fail()).
 */
export type Handler = (input: Value, output: Writer) => i32;

// Reused by every event of the instance.
const inputBuf = new Buffer();
const outputWriter = new Writer();

/**
 * Runs `handler` on the event: reads the input with one input_read, and sets
 * the output with one output_set when the handler succeeded and wrote
 * something. Returns the handler's status.
 */
export function run(inputLen: i32, handler: Handler): i32 {
  const ptr = inputBuf.reserve(<usize>inputLen);
  input_read(ptr, inputLen);
  outputWriter.reset();
  beginEvent(ptr, ptr + <usize>inputLen);
  const status = handler(Value.parse(ptr, <usize>inputLen), outputWriter);
  if (status == 0 && outputWriter.length > 0) output_set(outputWriter.ptr, outputWriter.length);
  return status;
}

/** The documents Event.getIn looks paths up in (abi/SPEC.md, "Field reads"). */
export enum Doc {
  /** The input: "/data/name", "/request/user". */
  Input = 0,
  /** The module's configuration. */
  Config = 1,
  /** The event's snapshots: the object's data before and after the change (null when it has none). */
  Prechange = 2,
  Postchange = 3,
  /**
   * The body of the call's last HTTP response (assembly/lookup's httpRequest),
   * read in place by the host: valid until the next request of the call.
   * Missing when no request has been answered yet, the last one failed, or
   * the body is not JSON. Response.get(path) reads it too.
   */
  Response = 4,
}

// The values field reads copied during the current event: the chunk in use
// and the chunks it replaced (freed when the next event starts), so that a
// Value handed out keeps its bytes until the event ends.
let fieldsChunk: usize = 0;
let fieldsCap: usize = 0;
let fieldsUsed: usize = 0;
const oldChunks: usize[] = [];

/**
 * One event, as runEvent hands it to the handler: ask for the fields you want
 * with get(), or for the whole input with input(). Its Values are valid until
 * the handler returns.
 */
export class Event {
  inputLength: i32 = 0;
  private inputValue: Value | null = null;

  /**
   * The value that `path`, a JSON Pointer (RFC 6901), names in the input:
   * event.get("/data/status/value"), event.get("/data/tags/0/name") (a key
   * holding "/" or "~" is written "~1" or "~0"). The host looks it up (its
   * index of the event is shared by every plugin of the event) and copies only
   * the value's bytes: one host call, two when it does not fit in the room
   * left, whatever the size of the event. Of duplicate keys the last counts.
   * MISSING when there is no such value or `path` is not a JSON Pointer.
   */
  get(path: string): Value {
    return this.getIn(Doc.Input, path);
  }

  /**
   * get() in another document: event.getIn(Doc.Postchange, "/status/value"),
   * event.getIn(Doc.Response, "/slug") after an httpGet.
   */
  getIn(doc: Doc, path: string): Value {
    // A literal path is encoded on the first event only.
    let pathPtr = kept(path, Form.Path);
    let pathLen: i32;
    if (pathPtr != 0) {
      pathLen = <i32>keptLength;
    } else {
      pathLen = <i32>utf8(path);
      pathPtr = textBuf.ptr;
      if (isLiteral(path)) keep(path, Form.Path, pathPtr, <usize>pathLen);
    }
    let at = fieldsChunk + fieldsUsed;
    const room = fieldsCap - fieldsUsed;
    const n = field_read(doc, pathPtr, pathLen, at, <i32>room);
    if (n < 0) return MISSING;
    if (<usize>n > room) {
      if (fieldsChunk != 0) oldChunks.push(fieldsChunk);
      fieldsCap = max<usize>(<usize>n, max<usize>(fieldsCap << 1, 4096));
      fieldsChunk = heap.alloc(fieldsCap);
      fieldsUsed = 0;
      beginFields(fieldsChunk, fieldsChunk + fieldsCap);
      at = fieldsChunk;
      field_read(doc, pathPtr, pathLen, at, <i32>fieldsCap);
    }
    fieldsUsed += <usize>n;
    return Value.parse(at, <usize>n);
  }

  /** The whole input, read with one input_read the first time it is asked for in the event. */
  input(): Value {
    let v = this.inputValue;
    if (v === null) {
      const ptr = inputBuf.reserve(<usize>this.inputLength);
      input_read(ptr, this.inputLength);
      beginEvent(ptr, ptr + <usize>this.inputLength);
      v = Value.parse(ptr, <usize>this.inputLength);
      this.inputValue = v;
    }
    return v;
  }
}

/** Handles one event, as Handler does, reading the fields it wants from `event`. */
export type EventHandler = (event: Event, output: Writer) => i32;

const currentEvent = new Event();

/**
 * Runs `handler` on the event without reading the input: the handler asks for
 * fields (Event.get) or for the input (Event.input). Sets the output with one
 * output_set when the handler succeeded and wrote something. Returns the
 * handler's status.
 */
export function runEvent(inputLen: i32, handler: EventHandler): i32 {
  for (let i = 0; i < oldChunks.length; i++) heap.free(unchecked(oldChunks[i]));
  oldChunks.length = 0;
  fieldsUsed = 0;
  beginEvent(0, 0);
  beginFields(fieldsChunk, fieldsChunk + fieldsCap);
  currentEvent.inputLength = inputLen;
  currentEvent.inputValue = null;
  outputWriter.reset();
  const status = handler(currentEvent, outputWriter);
  if (status == 0 && outputWriter.length > 0) output_set(outputWriter.ptr, outputWriter.length);
  return status;
}

let configValue: Value | null = null;

/**
 * The module's configuration, a JSON object ({} when the operator gave none).
 * It cannot change during the instance's life, so it is read once.
 */
export function config(): Value {
  let v = configValue;
  if (v === null) {
    const len = config_read(0, 0);
    const ptr = heap.alloc(<usize>len);
    config_read(ptr, len);
    v = Value.parse(ptr, <usize>len);
    configValue = v;
  }
  return v;
}

// Where messages are encoded to UTF-8 for the host.
const textBuf = new Buffer();

// Encodes s into textBuf (a lone surrogate as U+FFFD, so that the host gets
// valid UTF-8) and returns the byte count.
function utf8(s: string): usize {
  const n = <usize>String.UTF8.byteLength(s);
  return String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, textBuf.reserve(n), false, String.UTF8.ErrorMode.REPLACE);
}

/** Sets the message the host reports if this call fails; it does not fail the call by itself. */
export function setError(message: string): void {
  const n = utf8(message); // before reading textBuf.ptr, which it may move
  error_set(textBuf.ptr, <i32>n);
}

/** Sets the failure message and returns status 1: `return fail("no data")`. */
export function fail(message: string): i32 {
  setError(message);
  return 1;
}

/** Log levels (the host's slog levels). */
export enum Level {
  Debug = -4,
  Info = 0,
  Warn = 4,
  Error = 8,
}

/** Logs one message through the host's logger (capped per call by the host). */
export function log(level: Level, message: string): void {
  const n = utf8(message); // before reading textBuf.ptr, which it may move
  log_write(level, textBuf.ptr, <i32>n);
}

// The abort handler is compiled before this file's globals (the runtime calls
// it), so it uses none: its message is built in a static 1 KiB segment (the
// most the host keeps), which also means it never allocates: abort is how an
// allocation failure ends.

// Appends s to the n bytes at buf, whole UTF-16 units of at most 3 UTF-8
// bytes each, so that it never writes past 1024 bytes nor splits a surrogate
// pair. Returns the new length.
function abortText(buf: usize, n: usize, s: string | null): usize {
  if (s === null) return n;
  let units = min<usize>(<usize>s.length, (1024 - n) / 3);
  if (units > 0 && units < <usize>s.length) {
    const last = s.charCodeAt(<i32>units - 1);
    if (last >= 0xd800 && last < 0xdc00) units--;
  }
  return n + String.UTF8.encodeUnsafe(changetype<usize>(s), <i32>units, buf + n, false, String.UTF8.ErrorMode.REPLACE);
}

// Appends v in decimal (at most 10 digits) to the n bytes at buf.
function abortNumber(buf: usize, n: usize, v: u32): usize {
  if (n + 10 > 1024) return n;
  let digits: usize = 1;
  for (let w = v / 10; w != 0; w /= 10) digits++;
  let q = buf + n + digits;
  do {
    store<u8>(--q, <u8>(0x30 + v % 10));
    v /= 10;
  } while (v != 0);
  return n + digits;
}

/**
 * The abort handler (failed assert(), out-of-range access, out of memory):
 * logs "abort: <message> at <file>:<line>:<column>" at error level, sets it
 * as the error message, and traps, so the host discards the instance. (The
 * log is there because the host reports a trap as the trap, without the
 * error message.)
 */
export function wasmhookAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const buf = memory.data(1024);
  let n = abortText(buf, 0, "abort: ");
  n = abortText(buf, n, message);
  n = abortText(buf, n, " at ");
  n = abortText(buf, n, fileName);
  n = abortText(buf, n, ":");
  n = abortNumber(buf, n, line);
  n = abortText(buf, n, ":");
  n = abortNumber(buf, n, column);
  log_write(Level.Error, buf, <i32>n);
  error_set(buf, <i32>n);
  unreachable();
}
