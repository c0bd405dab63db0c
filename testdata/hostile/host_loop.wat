;; host_loop: reactor whose on_event calls log forever with a short message (time limit and log cap).
(module
  (import "wasmhook_v1" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "spin")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (loop $forever
      (call $log (i32.const 0) (i32.const 1024) (i32.const 4))
      (br $forever))
    (i32.const 0)))
