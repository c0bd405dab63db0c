;; not_utf8: reactor that outputs {"a":"<0xff>"} (invalid UTF-8 inside a string).
(module
  (import "wasmhook_v1" "output_set" (func $output_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{\"a\":\"\ff\"}")
  (func (export "wasmhook_abi_v1"))
  (func (export "wasmhook_on_event") (param $input_len i32) (result i32)
    (call $output_set (i32.const 1024) (i32.const 9))
    (i32.const 0)))
