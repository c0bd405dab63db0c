;; error_set_oob: reactor with 1 page that calls error_set(0, -1), a range past the end of memory (len 0xFFFFFFFF), then returns status 0.
(module
  (import "wasmhook_v1" "error_set" (func $error_set (param i32 i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"oob\":\"ignored\"}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $error_set (i32.const 0) (i32.const -1))
    (call $output_set (i32.const 0) (i32.const 17))
    (i32.const 0)))
