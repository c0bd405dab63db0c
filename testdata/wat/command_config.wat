;; command_config: WASI command that reads its configuration with wasmhook_v1.config_read and writes it to stdout.
(module
  (import "wasmhook_v1" "config_read" (func $config_read (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "_start")
    (local $len i32) (local $need i32)
    (local.set $len (call $config_read (i32.const 0) (i32.const 0)))
    ;; pages for [0, 1024+len)
    (local.set $need (i32.wrap_i64 (i64.shr_u (i64.add (i64.extend_i32_u
      (i32.add (i32.const 1024) (local.get $len))) (i64.const 65535)) (i64.const 16))))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
        (then unreachable))))
    (drop (call $config_read (i32.const 1024) (local.get $len)))
    (i32.store (i32.const 0) (i32.const 1024)) ;; iovec {1024, len}; nwritten at 16
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))
