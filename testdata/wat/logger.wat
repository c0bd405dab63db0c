;; logger: reactor that logs "hello from wat" at info (0) and "careful" at warn (4), then outputs {"logged":true}.
(module
  (import "wasmhook_v1" "log" (func $log (param i32 i32 i32)))
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "hello from wat")
  (data (i32.const 1056) "careful")
  (data (i32.const 1088) "{\"logged\":true}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $log (i32.const 0) (i32.const 1024) (i32.const 14))
    (call $log (i32.const 4) (i32.const 1056) (i32.const 7))
    (call $output_set (i32.const 1088) (i32.const 15))
    (i32.const 0)))
