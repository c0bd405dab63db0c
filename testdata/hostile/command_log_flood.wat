;; command_log_flood: WASI command that logs a 1 KiB message 10240 times (10 MiB) through wasmhook_v1.log, then writes {"flood":"done"} to stdout; must succeed (excess logs dropped, one warning).
(module
  (import "wasmhook_v1" "log" (func $log (param i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"flood\":\"done\"}")
  (data (i32.const 24) "\00\00\00\00\10\00\00\00") ;; iovec {0, 16}; nwritten at 32
  (func (export "wasmhook_abi_v1"))
  (func (export "_start")
    (local $i i32)
    (memory.fill (i32.const 1024) (i32.const 120) (i32.const 1024)) ;; 1 KiB of 'x' at 1024
    (loop $flood
      (call $log (i32.const 0) (i32.const 1024) (i32.const 1024))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $flood (i32.lt_u (local.get $i) (i32.const 10240))))
    (drop (call $fd_write (i32.const 1) (i32.const 24) (i32.const 1) (i32.const 32)))))
