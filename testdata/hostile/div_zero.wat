;; div_zero: reactor whose on_event divides by zero (input_len - input_len, so it is not folded).
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (drop (i32.div_s (i32.const 1) (i32.sub (local.get $input_len) (local.get $input_len))))
    (i32.const 0)))
