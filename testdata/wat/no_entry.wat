;; no_entry: has the marker and memory but neither wasmhook_on_event nor _start.
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1")))
