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
