;; bad_signature: exports wasmhook_on_event with the wrong type (i32, i32) -> i32.
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param i32 i32) (result i32)
    (i32.const 0)))
