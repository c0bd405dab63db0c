;; wrong_import_sig: a reactor importing wasmhook_v1.output_set with the wrong type (i32) -> ().
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 1024))
    (i32.const 0)))
