;; guest_error: reactor that sets the error "boom: bad data" and returns status 1.
(module
  (import "wasmhook_v1" "error_set" (func $error_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "boom: bad data")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $error_set (i32.const 1024) (i32.const 14))
    (i32.const 1)))
