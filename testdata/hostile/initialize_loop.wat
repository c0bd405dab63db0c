;; initialize_loop: reactor whose _initialize loops forever; fails at load when the start timeout (5 s default) passes.
(module
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "_initialize")
    (loop $forever (br $forever)))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 0)))
