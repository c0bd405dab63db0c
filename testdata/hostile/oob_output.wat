;; oob_output: reactor with 1 page that sets output_set(65000, 1000), a range past the end of memory.
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 65000) (i32.const 1000))
    (i32.const 0)))
