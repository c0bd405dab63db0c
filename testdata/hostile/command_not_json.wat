;; command_not_json: WASI command that writes {"a": (truncated JSON) to stdout and exits 0.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{\"a\":")
  (data (i32.const 0) "\00\04\00\00\05\00\00\00") ;; iovec {1024, 5}; nwritten at 32
  (func (export "wasmhook_abi_v1"))
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))))
