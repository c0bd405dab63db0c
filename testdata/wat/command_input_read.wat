;; command_input_read: a command (exports _start) that imports the reactor-only wasmhook_v1.input_read.
(module
  (import "wasmhook_v1" "input_read" (func $input_read (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "wasmhook_abi_v1"))
  (func (export "_start")
    (drop (call $input_read (i32.const 0) (i32.const 0)))))
