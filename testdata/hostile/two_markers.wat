;; two_markers: exports both wasmhook_abi_v1 and wasmhook_abi_v2; a module speaks exactly one ABI, so it must not load (ErrABIMismatch).
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_abi_v2"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 0)))
