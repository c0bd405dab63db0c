;; random_loop: reactor that asks WASI's random_get for 8 MiB in an endless loop; each call is host work in proportion to its argument, and the host must stop it by its time limit.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 128)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (loop $l
      (drop (call $random_get (i32.const 0) (i32.const 8388608)))
      (br $l))
    (i32.const 0)))
