;; slow_first: outputs {"foo":123} like fixed.wat, but its first call on an instance spins for a few hundred thousand loop iterations first (a call that warms caches or builds tables, as real plugins' first calls do).
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"foo\":123}")
  (global $warm (mut i32) (i32.const 0))
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (local $i i32)
    (if (i32.eqz (global.get $warm))
      (then
        (loop $spin
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $spin (i32.lt_u (local.get $i) (i32.const 300000))))
        (global.set $warm (i32.const 1))))
    (call $output_set (i32.const 16) (i32.const 11))
    (i32.const 0)))
