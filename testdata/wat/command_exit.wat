;; command_exit: WASI command that writes "fatal: bad input" to stderr and calls proc_exit(3).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "fatal: bad input")
  (data (i32.const 0) "\00\04\00\00\10\00\00\00") ;; iovec {1024, 16}; nwritten at 32
  (func (export "wasmhook_abi_v1"))
  (func (export "_start")
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 32)))
    (call $proc_exit (i32.const 3))))
