;; import_memory: reactor that imports its memory from env.memory (and re-exports it as memory); fails at load.
(module
  (import "env" "memory" (memory 1))
  (export "memory" (memory 0))
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (i32.const 0)))
