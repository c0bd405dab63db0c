;; deep_json: reactor (4 pages) that outputs 100000 '[' then 100000 ']' (200000 bytes, nesting far too deep).
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 4)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $i i32)
    (loop $fill
      (i32.store8 (local.get $i) (i32.const 91))                              ;; '['
      (i32.store8 (i32.add (local.get $i) (i32.const 100000)) (i32.const 93)) ;; ']'
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 100000))))
    (call $output_set (i32.const 0) (i32.const 200000))
    (i32.const 0)))
