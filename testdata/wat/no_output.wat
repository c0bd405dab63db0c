;; no_output: reactor that returns status 0 without calling output_set (empty result).
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 0)))
