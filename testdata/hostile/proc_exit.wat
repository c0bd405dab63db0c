;; proc_exit: reactor whose on_event sets an output, then calls WASI proc_exit(0) mid-call; ErrGuest, output dropped.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{\"exited\":true}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 1024) (i32.const 15)) ;; must not reach the payload
    (call $proc_exit (i32.const 0))
    (i32.const 0)))
