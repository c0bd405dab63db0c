;; loop: reactor whose on_event loops forever (no exit); the host must stop it by its time limit.
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
