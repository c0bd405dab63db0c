;; status_only: reactor that returns status 7 without calling error_set (message "status 7").
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 7)))
