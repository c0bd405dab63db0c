;; command_stderr_flood: WASI command that writes 10 MiB to stderr (1 KiB x 10240), then {"flood":"done"} to stdout; must succeed.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"flood\":\"done\"}")
  ;; iovecs {ptr, len}: stderr {1024, 1024} at 16, stdout {0, 16} at 24; nwritten at 32
  (data (i32.const 16) "\00\04\00\00\00\04\00\00" "\00\00\00\00\10\00\00\00")
  (func (export "wasmhook_abi_v1"))
  (func (export "_start")
    (local $i i32)
    (memory.fill (i32.const 1024) (i32.const 120) (i32.const 1024)) ;; 1 KiB of 'x' at 1024
    (loop $flood
      (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 32)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $flood (i32.lt_u (local.get $i) (i32.const 10240))))
    (drop (call $fd_write (i32.const 1) (i32.const 24) (i32.const 1) (i32.const 32)))))
