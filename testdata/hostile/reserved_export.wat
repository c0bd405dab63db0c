;; reserved_export: exports its own function as wasmhook:start, a name the host reserves for its own exports; it must not load (and its function must never run as a start function).
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook:start") unreachable)
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 0)))
