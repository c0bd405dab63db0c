;; big_output: reactor with 3 pages that sets a 128 KiB output (above a 64 KiB output limit).
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 3)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 0) (i32.const 131072))
    (i32.const 0)))
