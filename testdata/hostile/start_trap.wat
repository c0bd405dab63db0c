;; start_trap: reactor whose start function executes unreachable, so instantiation traps.
(module
  (memory (export "memory") 1)
  (func $boot unreachable)
  (start $boot)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 0)))
