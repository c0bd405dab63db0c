;; not_object_number: reactor that outputs 42 (valid JSON, truthy, not an object).
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "42")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 1024) (i32.const 2))
    (i32.const 0)))
