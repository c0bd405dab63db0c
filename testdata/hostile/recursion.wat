;; recursion: reactor whose on_event calls a function that calls itself forever with locals (stack exhaustion).
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func $down (param $n i32) (result i32)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local.set $a (i64.extend_i32_u (local.get $n)))
    (local.set $b (i64.mul (local.get $a) (i64.const 3)))
    (local.set $c (i64.add (local.get $b) (local.get $a)))
    (local.set $d (i64.xor (local.get $c) (local.get $b)))
    ;; not a tail call: the result is used after the call returns (it never does)
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.wrap_i64 (local.get $d))))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $down (local.get $input_len))))
