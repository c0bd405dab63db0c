;; stderr_flood: reactor that writes 10 MiB to stderr (fd_write of 1 KiB, 10240 times), then outputs {"flood":"done"}; must succeed.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"flood\":\"done\"}")
  (data (i32.const 16) "\00\04\00\00\00\04\00\00") ;; iovec {1024, 1024}; nwritten at 24
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $i i32)
    (memory.fill (i32.const 1024) (i32.const 120) (i32.const 1024)) ;; 1 KiB of 'x' at 1024
    (loop $flood
      (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 24)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $flood (i32.lt_u (local.get $i) (i32.const 10240))))
    (call $output_set (i32.const 0) (i32.const 16))
    (i32.const 0)))
