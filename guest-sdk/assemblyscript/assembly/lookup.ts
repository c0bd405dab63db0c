// Lookups (abi/SPEC.md, "Lookups"): HTTP requests under the module's grants,
// and a small key-value store of the module's own.
//
// The operator decides what a module may reach, in the settings file
// (`http: grants:`); nothing is allowed without a grant. The host holds the
// credentials a grant injects (an `Authorization: Token ...` header): the
// module asks for a URL and never sees the token. A failure is a negative
// status, never a trap.

import { Buffer } from "./buffer";
import { field_read, http_request, http_response_read, kv_delete, kv_get, kv_set } from "./host";
import { Doc } from "./index";
import { MISSING, Value } from "./json";
import { Writer } from "./writer";

/** The host's negative statuses. */
export enum LookupStatus {
  /** No grant covers the URL (or a redirect's), or the call made its max_requests. */
  NotAllowed = -1,
  /** No answer within the request's timeout or the call's time limit. */
  Timeout = -2,
  /** A response over max_response; a key or value over its bound. */
  TooLarge = -3,
  /** The request or the store failed on the way: refused, reset, bad certificate, too many redirects. */
  Upstream = -4,
  /** A method, headers, key or TTL the host refuses. */
  BadRequest = -5,
  /** A response read before any request answered. */
  NoResponse = -6,
  /** kvGet: no such key (never set, deleted or expired). */
  NotFound = -7,
  /** kvSet: the module's store is full. */
  Full = -8,
}

/** Names a status: "not allowed", "timeout", ..., "ok" for one that is not negative. */
export function statusName(status: i32): string {
  switch (status) {
    case LookupStatus.NotAllowed: return "not allowed";
    case LookupStatus.Timeout: return "timeout";
    case LookupStatus.TooLarge: return "too large";
    case LookupStatus.Upstream: return "upstream error";
    case LookupStatus.BadRequest: return "bad request";
    case LookupStatus.NoResponse: return "no response";
    case LookupStatus.NotFound: return "not found";
    case LookupStatus.Full: return "full";
  }
  return status < 0 ? "unknown status" : "ok";
}

/**
 * What httpRequest got. `status` is the HTTP status (100-599; a 404 is a
 * response like any other) or, when the request failed, a negative
 * LookupStatus, and then the body and headers are missing.
 *
 * get(path) reads one field of the body where the host holds it (abi/SPEC.md,
 * "Field reads", document 4): the host checks that the body is JSON and indexes it
 * once (a cached response keeps its index), and only the value crosses. The
 * body and headers themselves are read from the host the first time they are
 * asked for: `body` is the body read as JSON (without checking it), `headers`
 * the headers as a JSON object (lowercase names, sorted, each a string of its
 * values joined with ", "). All of it is the last response's, so read it
 * before the next httpRequest: the Values stay valid until then, and a
 * Response asked after the next request gives MISSING.
 */
export class Response {
  status: i32 = 0;
  private request: u32 = 0;
  private bodyValue: Value | null = null;
  private headersValue: Value | null = null;
  private bodyLen: usize = 0;

  /** True when the host answered with a response (status >= 100). */
  get answered(): bool {
    return this.status >= 0;
  }

  /**
   * The value that `path`, a JSON Pointer (RFC 6901) as for Event.get, names
   * in the body: resp.get("/name"), resp.get("/group/slug"), resp.get("/results/0/id").
   * The host looks it up and copies only that value. MISSING when there is
   * no such value, the body is not JSON, or the request failed.
   */
  get(path: string): Value {
    if (!this.current()) return MISSING;
    const b = bufs();
    const pathLen = encode(path, b.path);
    let at = b.fieldsChunk + b.fieldsUsed;
    const room = b.fieldsCap - b.fieldsUsed;
    const n = field_read(Doc.Response, b.path.ptr, pathLen, at, <i32>room);
    if (n < 0) return MISSING;
    if (<usize>n > room) {
      // A new chunk; the old one keeps the values read from it until the next request.
      if (b.fieldsChunk != 0) b.oldChunks.push(b.fieldsChunk);
      b.fieldsCap = max<usize>(<usize>n, max<usize>(b.fieldsCap << 1, 1024));
      b.fieldsChunk = heap.alloc(b.fieldsCap);
      b.fieldsUsed = 0;
      at = b.fieldsChunk;
      field_read(Doc.Response, b.path.ptr, pathLen, at, <i32>b.fieldsCap);
    }
    b.fieldsUsed += <usize>n;
    return Value.parse(at, <usize>n);
  }

  /** The body as JSON, read whole from the host on first use. */
  get body(): Value {
    if (!this.current()) return MISSING;
    const v = this.bodyValue;
    if (v !== null) return v;
    const buf = bufs().responseBody;
    const n = readPart(0, buf);
    this.bodyLen = n < 0 ? 0 : <usize>n;
    const body = n < 0 ? MISSING : Value.parse(buf.ptr, <usize>n);
    this.bodyValue = body;
    return body;
  }

  /** The headers as a JSON object, read from the host on first use. */
  get headers(): Value {
    if (!this.current()) return MISSING;
    const v = this.headersValue;
    if (v !== null) return v;
    const buf = bufs().responseHeaders;
    const n = readPart(1, buf);
    const headers = n < 0 ? MISSING : Value.parse(buf.ptr, <usize>n);
    this.headersValue = headers;
    return headers;
  }

  /** The body as text (invalid UTF-8 as U+FFFD). */
  bodyText(): string {
    if (!this.current()) return "";
    this.body; // read on first use
    return String.UTF8.decodeUnsafe(bufs().responseBody.ptr, this.bodyLen);
  }

  /** One header's value by its lowercase name, or null. */
  header(name: string): string | null {
    const v = this.headers.get(name);
    return v.isString() ? v.toString() : null;
  }

  // An answered response that is still the host's last one.
  private current(): bool {
    return this.status >= 0 && this.request == requests;
  }
}

// Kept for the life of the instance and reused by every request; made on
// the first lookup, so that a plugin that makes none carries none of it.
class Buffers {
  method: Buffer = new Buffer();
  url: Buffer = new Buffer();
  body: Buffer = new Buffer();
  key: Buffer = new Buffer();
  value: Buffer = new Buffer();
  headers: Writer = new Writer();
  responseBody: Buffer = new Buffer();
  responseHeaders: Buffer = new Buffer();
  path: Buffer = new Buffer();
  // Where Response.get copies values: the chunk in use and those it
  // replaced, freed at the next request.
  fieldsChunk: usize = 0;
  fieldsCap: usize = 0;
  fieldsUsed: usize = 0;
  oldChunks: usize[] = [];
}

let buffers: Buffers | null = null;

// Requests made by the instance: a Response is the host's last one while
// its number is this.
let requests: u32 = 0;

function bufs(): Buffers {
  let b = buffers;
  if (b === null) {
    b = new Buffers();
    buffers = b;
  }
  return b;
}

// Encodes s into buf (a lone surrogate as U+FFFD) and returns the byte count.
function encode(s: string, buf: Buffer): i32 {
  const n = <usize>String.UTF8.byteLength(s);
  return <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, buf.reserve(n), false, String.UTF8.ErrorMode.REPLACE);
}

// Reads part (0 body, 1 headers) of the last response into buf: one host
// call when it fits, two when the buffer must grow. The length, or a
// negative status.
function readPart(part: i32, buf: Buffer): i32 {
  let n = http_response_read(part, buf.ptr, <i32>buf.capacity);
  if (n < 0 || <usize>n <= buf.capacity) return n;
  n = http_response_read(part, buf.reserve(<usize>n), n);
  return n;
}

/**
 * Asks the host for one HTTP request: `method` ("" is GET), an absolute
 * `url`, `headers` (a grant's headers replace the module's of the same name;
 * null: none) and `body` ("" : none). The time waited counts against the
 * call's time limit.
 */
export function httpRequest(method: string, url: string, headers: Map<string, string> | null = null, body: string = ""): Response {
  const b = bufs();
  const methodBuf = b.method, urlBuf = b.url, bodyBuf = b.body, headerWriter = b.headers;
  const ml = encode(method, methodBuf);
  const ul = encode(url, urlBuf);
  const bl = encode(body, bodyBuf);
  headerWriter.reset();
  if (headers !== null) {
    const keys = headers.keys();
    headerWriter.beginObject();
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      headerWriter.key(k).string(headers.get(k));
    }
    headerWriter.endObject();
  }
  const oldChunks = b.oldChunks;
  for (let i = 0; i < oldChunks.length; i++) heap.free(unchecked(oldChunks[i]));
  oldChunks.length = 0;
  b.fieldsUsed = 0;
  const r = new Response();
  r.status = http_request(methodBuf.ptr, ml, urlBuf.ptr, ul, headerWriter.ptr, headerWriter.length, bodyBuf.ptr, bl);
  // @ts-ignore: private, set where the request is made
  r.request = ++requests;
  return r;
}

/** httpRequest with GET and no body. */
export function httpGet(url: string, headers: Map<string, string> | null = null): Response {
  return httpRequest("", url, headers);
}

/**
 * What kvGet got: `status` 0 and the value, or LookupStatus.NotFound, or
 * another negative LookupStatus.
 */
export class KVValue {
  status: i32 = 0;
  bytes: Uint8Array = new Uint8Array(0);

  get found(): bool {
    return this.status == 0;
  }

  /** The value as text (invalid UTF-8 as U+FFFD). */
  toString(): string {
    return String.UTF8.decodeUnsafe(this.bytes.dataStart, this.bytes.length);
  }
}

/**
 * The module's value for `key`. A module's keys are its own, kept by the
 * host between events (in memory, or in a Redis several hosts share): a value
 * may change between two events and need not survive a restart.
 */
export function kvGet(key: string): KVValue {
  const keyBuf = bufs().key, valueBuf = bufs().value;
  const kl = encode(key, keyBuf);
  const r = new KVValue();
  let n = kv_get(keyBuf.ptr, kl, valueBuf.ptr, <i32>valueBuf.capacity);
  if (n >= 0 && <usize>n > valueBuf.capacity) n = kv_get(keyBuf.ptr, kl, valueBuf.reserve(<usize>n), n);
  if (n < 0) {
    r.status = n;
    return r;
  }
  const b = new Uint8Array(n);
  memory.copy(b.dataStart, valueBuf.ptr, <usize>n);
  r.bytes = b;
  return r;
}

/** Sets `key` to `value` for `ttlMs` milliseconds (0: no expiry): 0, or a negative LookupStatus. */
export function kvSet(key: string, value: Uint8Array, ttlMs: i64 = 0): i32 {
  const keyBuf = bufs().key;
  const kl = encode(key, keyBuf);
  return kv_set(keyBuf.ptr, kl, value.dataStart, value.length, ttlMs);
}

/** kvSet with the UTF-8 bytes of a string. */
export function kvSetString(key: string, value: string, ttlMs: i64 = 0): i32 {
  const keyBuf = bufs().key, valueBuf = bufs().value;
  const kl = encode(key, keyBuf);
  const vl = encode(value, valueBuf);
  return kv_set(keyBuf.ptr, kl, valueBuf.ptr, vl, ttlMs);
}

/** Deletes `key`: 0 (also when there was none), or a negative LookupStatus. */
export function kvDelete(key: string): i32 {
  const keyBuf = bufs().key;
  const kl = encode(key, keyBuf);
  return kv_delete(keyBuf.ptr, kl);
}
