;; command_fixed: WASI command that writes {"command":"ok"} to stdout and "note from command" to stderr.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{\"command\":\"ok\"}")
  (data (i32.const 1056) "note from command")
  ;; iovecs {ptr, len}: stdout at 0, stderr at 8; nwritten at 32
  (data (i32.const 0) "\00\04\00\00\10\00\00\00" "\20\04\00\00\11\00\00\00")
  (func (export "wasmhook_abi_v1"))
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))
    (drop (call $fd_write (i32.const 2) (i32.const 8) (i32.const 1) (i32.const 32)))))
