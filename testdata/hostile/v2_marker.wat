;; v2_marker: a reactor that exports wasmhook_abi_v2 instead of wasmhook_abi_v1.
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{\"foo\":123}")
  (func (export "wasmhook_abi_v2"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 1024) (i32.const 11))
    (i32.const 0)))
