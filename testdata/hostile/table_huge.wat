;; table_huge: a module whose table starts with 100M elements (800 MB in the host); it must not load.
(module
  (memory (export "memory") 1)
  (table $t 100000000 funcref)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 0)))
