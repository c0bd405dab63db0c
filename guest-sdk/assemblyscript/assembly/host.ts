// The wasmhook_v1 host functions (abi/SPEC.md, section 3). Pointers and
// lengths are offsets and byte counts into the module's exported memory.

// @ts-ignore: decorator
@external("wasmhook_v1", "input_read")
export declare function input_read(ptr: usize, len: i32): i32;

// @ts-ignore: decorator
@external("wasmhook_v1", "config_read")
export declare function config_read(ptr: usize, len: i32): i32;

// @ts-ignore: decorator
@external("wasmhook_v1", "output_set")
export declare function output_set(ptr: usize, len: i32): void;

// @ts-ignore: decorator
@external("wasmhook_v1", "error_set")
export declare function error_set(ptr: usize, len: i32): void;

// @ts-ignore: decorator
@external("wasmhook_v1", "log")
export declare function log_write(level: i32, ptr: usize, len: i32): void;

// @ts-ignore: decorator
@external("wasmhook_v1", "field_read")
export declare function field_read(doc: i32, path: usize, pathLen: i32, ptr: usize, len: i32): i32;

// @ts-ignore: decorator
@external("wasmhook_v1", "http_request")
export declare function http_request(
  methodPtr: usize, methodLen: i32, urlPtr: usize, urlLen: i32,
  headersPtr: usize, headersLen: i32, bodyPtr: usize, bodyLen: i32,
): i32;

// @ts-ignore: decorator
@external("wasmhook_v1", "http_response_read")
export declare function http_response_read(part: i32, ptr: usize, len: i32): i32;

// @ts-ignore: decorator
@external("wasmhook_v1", "kv_get")
export declare function kv_get(keyPtr: usize, keyLen: i32, ptr: usize, len: i32): i32;

// @ts-ignore: decorator
@external("wasmhook_v1", "kv_set")
export declare function kv_set(keyPtr: usize, keyLen: i32, valuePtr: usize, valueLen: i32, ttlMs: i64): i32;

// @ts-ignore: decorator
@external("wasmhook_v1", "kv_delete")
export declare function kv_delete(keyPtr: usize, keyLen: i32): i32;
