;; huge_len: reactor that calls output_set(0, -1), i.e. a length of 0xFFFFFFFF.
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 0) (i32.const -1))
    (i32.const 0)))
